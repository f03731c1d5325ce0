"""Belgian postal addresses as members type them, split into parts (pure)."""

from __future__ import annotations

import pytest

from ingest.forms import read_webform
from ingest.forms.labels import parse_labelled
from ingest.forms.merge import merge_member
from store.member import check_member
from store.postal_address import (
    PostalAddress,
    belgian_postcode,
    postcode_line,
    split_address,
)

A = PostalAddress

# As typed in held-out forms, web forms and e-Loket notifications.
PHRASINGS = [
    ("Kerkstraat 14, 9300 Aalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    ("Kerkstraat 14 9300 Aalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    ("Kerkstraat 14,9300 Aalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    ("Kerkstraat 14\n9300 Aalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    ("Kerkstraat 14\r\n9300  AALST\r\n", A("Kerkstraat 14", None, "9300", "AALST")),
    (
        "Rue de la Loi 16 bte 3, 1000 Bruxelles",
        A("Rue de la Loi 16 bte 3", "3", "1000", "Bruxelles"),
    ),
    (
        "Rue de la Loi 16 boîte 3\nB-1000 Bruxelles\nBelgique",
        A("Rue de la Loi 16 boîte 3", "3", "1000", "Bruxelles"),
    ),
    (
        "Kerkstraat 14 bus 2, 9300 Aalst, België",
        A("Kerkstraat 14 bus 2", "2", "9300", "Aalst"),
    ),
    (
        "Avenue Louise 231/5, 1050 Ixelles",
        A("Avenue Louise 231/5", "5", "1050", "Ixelles"),
    ),
    ("Hauptstraße 5, 4700 Eupen", A("Hauptstraße 5", None, "4700", "Eupen")),
    (
        "Aachener Straße 12 Postfach 4\nB-4780 Sankt Vith\nBelgien",
        A("Aachener Straße 12 Postfach 4", "4", "4780", "Sankt Vith"),
    ),
    (
        "16, rue de la Loi, 1000 Bruxelles",
        A("16, rue de la Loi", None, "1000", "Bruxelles"),
    ),
    (
        "Steenweg op Gent 1234, 9300 Aalst",
        A("Steenweg op Gent 1234", None, "9300", "Aalst"),
    ),
    ("Kerkstraat 14 - 9300 Aalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    ("Kerkstraat 14, BE-9300 Aalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    ("Kerkstraat 14\n9300\nAalst", A("Kerkstraat 14", None, "9300", "Aalst")),
    (
        "Grote Markt 1, 8500 Kortrijk (West-Vlaanderen)",
        A("Grote Markt 1", None, "8500", "Kortrijk (West-Vlaanderen)"),
    ),
    (
        "Chaussée de Wavre 1500, 1160 Auderghem",
        A("Chaussée de Wavre 1500", None, "1160", "Auderghem"),
    ),
    ("9300 Aalst", A(None, None, "9300", "Aalst")),
    ("Kerkstraat 14", A("Kerkstraat 14", None, None, None)),
    ("Steenweg 1234", A("Steenweg 1234", None, None, None)),
    ("Steenweg 1234 bus A", A("Steenweg 1234 bus A", "A", None, None)),
    ("", A()),
    ("België", A()),
]


@pytest.mark.parametrize(("typed", "expected"), PHRASINGS)
def test_split_address(typed: str, expected: PostalAddress) -> None:
    assert split_address(typed) == expected


def test_an_invalid_postcode_is_split_and_then_reported() -> None:
    split = split_address("Kerkstraat 14, 9995 Nergens")
    assert (split.postcode, split.city) == ("9995", "Nergens")
    checked = check_member(postcode=split.postcode)
    assert checked.flags == ("postcode_invalid",)


@pytest.mark.parametrize(
    ("typed", "valid"),
    [("1000", True), ("9992", True), ("4700", True), (" 9300 ", True),
     ("0999", False), ("9993", False), ("999", False), ("10000", False),
     ("١٠٠٠", False), ("12a4", False)],
)  # fmt: skip
def test_belgian_postcode_range(typed: str, valid: bool) -> None:
    assert belgian_postcode(typed) is valid


def test_complete_needs_street_postcode_and_city() -> None:
    assert split_address("Kerkstraat 14, 9300 Aalst").complete
    assert not split_address("9300 Aalst").complete
    assert not split_address("Kerkstraat 14").complete


@pytest.mark.parametrize(
    ("line", "expected"),
    [("9300 Aalst", True), ("B-1000 Bruxelles", True), ("Kerkstraat 14", False),
     ("1234 euro terugbetaald", True), ("Ik wacht al 3 maanden", False)],
)  # fmt: skip
def test_postcode_line(line: str, expected: bool) -> None:
    assert postcode_line(line) is expected


def test_a_form_address_on_two_lines_is_one_street_value() -> None:
    parsed = parse_labelled("Naam: Jan\nAdres:\nKerkstraat 14\n9300 Aalst\nTel: 1")
    assert parsed.values["street"] == "Kerkstraat 14\n9300 Aalst"


def test_merge_splits_the_street_field_and_keeps_fields_of_their_own() -> None:
    from tests.test_forms_merge import form

    outcome = merge_member(None, None, None, [form(street="Kerkstraat 14, 9300 Aalst")])
    member = outcome.member
    assert (member.street, member.postcode, member.city) == (
        "Kerkstraat 14",
        "9300",
        "Aalst",
    )
    outcome = merge_member(
        None, None, None,
        [form(street="Rue de la Loi 16 bte 3\n1000 Bruxelles", city="Brussel")],
    )  # fmt: skip
    member = outcome.member
    assert (member.street, member.postcode, member.city) == (
        "Rue de la Loi 16 bte 3",
        "1000",
        "Brussel",
    )


@pytest.mark.parametrize(
    "notification",
    [
        "Naam: Jan Peeters\nE-mailadres: jan@example.be\n"
        "Adres: Kerkstraat 14, 9300 Aalst\nBericht: Geen terugbetaling.\n",
        "Nom : Marie Dubois\nCourriel : marie@example.be\n"
        "Adresse : Rue de la Loi 16 bte 3\n1000 Bruxelles\n"
        "Votre message : Mon dossier traîne.\n",
        "Name: Anna Schmitz\nE-Mail-Adresse: anna@example.be\n"
        "Straße und Hausnummer: Hauptstraße 5, 4700 Eupen\n"
        "Ihre Nachricht: Keine Rückerstattung.\n",
    ],
)
def test_web_form_and_eloket_addresses_are_split(notification: str) -> None:
    result = read_webform(notification)
    assert result is not None
    member = merge_member(None, None, None, [result]).member
    assert member.street and member.postcode and member.city
    assert not any(ch.isdigit() for ch in member.city)
    assert member.postcode not in member.street


@pytest.mark.parametrize(
    "foot",
    [
        "Datum en handtekening: 3 maart 2026, J. Peeters",
        "Datum en handtekening",
        "Handtekening: ..........",
        "Date et signature : le 3 mars, M. Dubois",
        "Lu et approuvé",
        "Datum und Unterschrift: 3. März, A. Schmitz",
        "Unterschrift:",
        "Date and signature: 3 March",
    ],
)
def test_a_signature_line_is_not_part_of_the_description(foot: str) -> None:
    text = f"Naam: Jan\nOmschrijving van de klacht:\nGeen terugbetaling.\n{foot}\n"
    parsed = parse_labelled(text)
    assert parsed.values["description"] == "Geen terugbetaling."


def test_a_sentence_about_a_signature_stays_in_the_description() -> None:
    text = (
        "Naam: Jan\nOmschrijving van de klacht:\nHet attest werd geweigerd.\n"
        "Handtekening van de arts ontbrak volgens jullie.\n"
    )
    parsed = parse_labelled(text)
    assert "Handtekening van de arts" in parsed.values["description"]
