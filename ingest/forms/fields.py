"""The one list of complaint-form fields.

The generator (tools/make_forms.py) draws the shipped PDF and DOCX forms from
FIELDS, and every reader recognises labels through the same list, so the forms
and the readers cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

LANGUAGES = ("nl", "fr")


@dataclass(frozen=True)
class FormField:
    """One field of the complaint form.

    ``labels`` are the printed labels per language; ``aliases`` are other labels
    met in the wild (web forms, older forms). ``alias_languages`` tells, for the
    aliases that belong to one language, which one, so that a form made of
    aliases only still reveals its language.
    """

    key: str
    labels: Mapping[str, str]
    aliases: tuple[str, ...]
    multiline: bool = False
    alias_languages: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({})
    )


def _field(
    key: str,
    nl: str,
    fr: str,
    *,
    nl_aliases: tuple[str, ...] = (),
    fr_aliases: tuple[str, ...] = (),
    neutral: tuple[str, ...] = (),
    multiline: bool = False,
) -> FormField:
    langs = {a: "nl" for a in nl_aliases} | {a: "fr" for a in fr_aliases}
    return FormField(
        key=key,
        labels=MappingProxyType({"nl": nl, "fr": fr}),
        aliases=nl_aliases + fr_aliases + neutral,
        multiline=multiline,
        alias_languages=MappingProxyType(langs),
    )


FIELDS: tuple[FormField, ...] = (
    _field(
        "name",
        "Naam en voornaam",
        "Nom et prénom",
        nl_aliases=("Naam", "Voornaam en naam", "Volledige naam", "Uw naam"),
        fr_aliases=("Nom", "Prénom et nom", "Nom complet", "Votre nom"),
        neutral=("Name",),
    ),
    _field(
        "member_number",
        "Lidnummer",
        "Numéro de membre",
        nl_aliases=("Lid nummer", "Aansluitingsnummer", "Nummer lid"),
        fr_aliases=("N° de membre", "Numéro d'affilié", "Numéro d'affiliation"),
    ),
    _field(
        "insz",
        "Rijksregisternummer (INSZ)",
        "Numéro de registre national (NISS)",
        nl_aliases=("Rijksregisternummer", "Rijksregister", "INSZ-nummer", "INSZ"),
        fr_aliases=(
            "Numéro de registre national",
            "N° de registre national",
            "Registre national",
            "Numéro NISS",
            "NISS",
        ),
    ),
    _field(
        "street",
        "Straat en nummer",
        "Rue et numéro",
        nl_aliases=("Straat en huisnummer", "Straat + nr", "Straat", "Adres"),
        fr_aliases=("Rue et n°", "Rue", "Adresse"),
    ),
    _field(
        "postcode",
        "Postcode",
        "Code postal",
        nl_aliases=("Postnummer",),
    ),
    _field(
        "city",
        "Gemeente",
        "Commune",
        nl_aliases=("Woonplaats", "Stad"),
        fr_aliases=("Localité", "Ville"),
    ),
    _field(
        "phone",
        "Telefoon",
        "Téléphone",
        nl_aliases=("Telefoonnummer", "Gsm-nummer", "Tel.", "Tel"),
        fr_aliases=("Numéro de téléphone", "Tél.", "Tél"),
        neutral=("GSM",),
    ),
    _field(
        "email",
        "E-mail",
        "Adresse e-mail",
        nl_aliases=("E-mailadres", "Uw e-mailadres"),
        fr_aliases=("Courriel", "Adresse électronique", "Votre adresse e-mail"),
        neutral=("Email", "E-mail address"),
    ),
    _field("date", "Datum", "Date"),
    _field(
        "category",
        "Betreft",
        "Concerne",
        nl_aliases=("Categorie", "Onderwerp", "Soort klacht", "Type klacht"),
        fr_aliases=("Catégorie", "Objet", "Type de plainte"),
    ),
    _field(
        "description",
        "Omschrijving van de klacht",
        "Description de la plainte",
        nl_aliases=("Omschrijving", "Uw klacht", "Uw bericht", "Bericht", "Klacht"),
        fr_aliases=("Votre plainte", "Votre message", "Plainte"),
        neutral=("Description", "Message"),
        multiline=True,
    ),
    _field(
        "desired_solution",
        "Gewenste oplossing",
        "Solution souhaitée",
        nl_aliases=("Voorgestelde oplossing", "Oplossing"),
        fr_aliases=("Solution proposée", "Solution"),
        multiline=True,
    ),
)

FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS)


def field_by_key(key: str) -> FormField:
    """Return the field called ``key`` (KeyError for an unknown key)."""
    for candidate in FIELDS:
        if candidate.key == key:
            return candidate
    raise KeyError(key)
