"""Web-form and e-Loket notification mails, in Dutch and in French."""

from __future__ import annotations

from ingest.forms import read_webform
from ingest.forms.merge import merge_member
from tests.formfill import dotted, insz

VALID = dotted(insz("850730033"))

WEBSITE_NL = f"""\
Er werd een nieuw bericht verstuurd via het contactformulier op de website.

Naam: Jan Peeters
E-mailadres: jan.peeters@example.be
Telefoon: 0470 12 34 56
Rijksregisternummer: {VALID}
Postcode: 9000
Gemeente: Gent
Onderwerp: Terugbetaling
Bericht: Mijn factuur van de kinesist werd niet terugbetaald.
Ik heb al twee keer gebeld.

Datum: 3 maart

--
Dit bericht werd automatisch verzonden.
"""

ELOKET_FR = """\
Notification e-Loket

Nom : Marie Dubois
Courriel : marie.dubois@example.be
Numéro de membre : 123456789
Code postal : 1000
Localité : Bruxelles
Objet : traitement du dossier
Votre message :
Mon dossier d'incapacité de travail traîne depuis deux mois.
Personne ne me répond.
Solution souhaitée : Une réponse écrite.
"""


def test_dutch_website_form() -> None:
    form = read_webform(WEBSITE_NL)
    assert form is not None
    assert form.kind == "webform" and form.language == "nl"
    values = {k: v.value for k, v in form.fields.items()}
    assert values["name"] == "Jan Peeters"
    assert values["email"] == "jan.peeters@example.be"
    assert values["insz"] == VALID
    assert values["city"] == "Gent"
    assert values["description"] == (
        "Mijn factuur van de kinesist werd niet terugbetaald.\n"
        "Ik heb al twee keer gebeld."
    )
    assert values["date"] == "3 maart"
    assert all(
        v.source == "webform" and v.origin == "body" for v in form.fields.values()
    )


def test_french_eloket_form_with_description_on_next_lines() -> None:
    form = read_webform(ELOKET_FR)
    assert form is not None and form.language == "fr"
    values = {k: v.value for k, v in form.fields.items()}
    assert values["member_number"] == "123456789"
    assert values["city"] == "Bruxelles"
    assert values["category"] == "traitement du dossier"
    assert values["description"].splitlines() == [
        "Mon dossier d'incapacité de travail traîne depuis deux mois.",
        "Personne ne me répond.",
    ]
    assert values["desired_solution"] == "Une réponse écrite."


def test_no_reply_sender_takes_members_address_from_the_form() -> None:
    form = read_webform(ELOKET_FR)
    assert form is not None
    outcome = merge_member("e-Loket", "no-reply@libmutov.be", None, [form])
    assert outcome.member.email == "marie.dubois@example.be"
    assert outcome.conflicts == ()
    assert outcome.member.name == "Marie Dubois"
    assert outcome.category == "dossierbehandeling"
    assert outcome.language == "fr"


def test_explicit_language_line_wins_over_label_votes() -> None:
    text = "Naam: Jan\nE-mail: jan@example.be\nTaal: Frans\nBericht: test\n"
    form = read_webform(text)
    assert form is not None and form.language == "fr"


def test_ordinary_prose_is_not_a_form() -> None:
    text = (
        "Beste,\n\nNaam van mijn dokter: dr. Janssens.\n"
        "Ik wil klacht indienen over de terugbetaling.\n\nMet vriendelijke groeten"
    )
    assert read_webform(text) is None


def test_labels_without_colon_do_not_count_in_mails() -> None:
    text = "Naam Jan\nTelefoon 0470 12 34 56\nPostcode 9000\nGemeente Gent\n"
    assert read_webform(text) is None


def test_german_notification_labels() -> None:
    text = (
        "Vorname und Name: Karl Schmitz\nE-Mail-Adresse: karl@example.be\n"
        "Postleitzahl: 4780\nOrt: St. Vith\nStraße und Hausnummer: Hauptstraße 3\n"
        "Nationalregisternummer: 85.07.30-033.61\nIhre Nachricht: Keine Erstattung.\n"
    )
    form = read_webform(text)
    assert form is not None and form.language == "de"
    values = {k: v.value for k, v in form.fields.items()}
    assert values["name"] == "Karl Schmitz"
    assert values["postcode"] == "4780"
    assert values["city"] == "St. Vith"
    assert values["street"] == "Hauptstraße 3"
    assert values["description"] == "Keine Erstattung."


def test_english_notification_labels() -> None:
    text = (
        "Full name: Emma Jones\nEmail address: emma@example.be\n"
        "Phone number: 0470 12 34 56\nCity: Brussels\n"
        "Your message: I am still waiting for my refund.\n"
    )
    form = read_webform(text)
    assert form is not None and form.language == "en"
    values = {k: v.value for k, v in form.fields.items()}
    assert (values["name"], values["email"]) == ("Emma Jones", "emma@example.be")
    assert values["description"] == "I am still waiting for my refund."
