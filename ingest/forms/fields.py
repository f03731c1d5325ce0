"""The one list of complaint-form fields.

The generator (tools/make_forms.py) draws the shipped PDF and DOCX forms from
FIELDS, and every reader recognises labels through the same list, so the forms
and the readers cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from config.schema import CasesSettings

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
    de_aliases: tuple[str, ...] = (),
    en_aliases: tuple[str, ...] = (),
    neutral: tuple[str, ...] = (),
    multiline: bool = False,
) -> FormField:
    by_language = {"nl": nl_aliases, "fr": fr_aliases, "de": de_aliases}
    by_language["en"] = en_aliases
    langs = {a: lang for lang, aliases in by_language.items() for a in aliases}
    return FormField(
        key=key,
        labels=MappingProxyType({"nl": nl, "fr": fr}),
        aliases=nl_aliases + fr_aliases + de_aliases + en_aliases + neutral,
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
        de_aliases=("Vorname und Name", "Vollständiger Name", "Ihr Name", "Nachname"),
        en_aliases=("Full name", "Your name", "Surname"),
        neutral=("Name",),
    ),
    _field(
        "member_number",
        "Lidnummer",
        "Numéro de membre",
        nl_aliases=("Lid nummer", "Aansluitingsnummer", "Nummer lid"),
        fr_aliases=("N° de membre", "Numéro d'affilié", "Numéro d'affiliation"),
        de_aliases=("Mitgliedsnummer", "Mitgliednummer"),
        en_aliases=("Member number", "Membership number"),
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
        de_aliases=("Nationalregisternummer", "Nationalnummer", "ENSS"),
        en_aliases=("National register number", "National number"),
    ),
    _field(
        "street",
        "Straat en nummer",
        "Rue et numéro",
        nl_aliases=("Straat en huisnummer", "Straat + nr", "Straat", "Adres"),
        fr_aliases=("Rue et n°", "Rue", "Adresse"),
        de_aliases=("Straße und Hausnummer", "Strasse und Hausnummer", "Straße"),
        en_aliases=("Street and number", "Street", "Address"),
    ),
    _field(
        "postcode",
        "Postcode",
        "Code postal",
        nl_aliases=("Postnummer",),
        de_aliases=("Postleitzahl", "PLZ"),
        en_aliases=("Postal code", "Zip code"),
    ),
    _field(
        "city",
        "Gemeente",
        "Commune",
        nl_aliases=("Woonplaats", "Stad"),
        fr_aliases=("Localité", "Ville"),
        de_aliases=("Wohnort", "Gemeinde", "Ort", "Stadt"),
        en_aliases=("City", "Town", "Municipality"),
    ),
    _field(
        "phone",
        "Telefoon",
        "Téléphone",
        nl_aliases=("Telefoonnummer", "Gsm-nummer", "Tel.", "Tel"),
        fr_aliases=("Numéro de téléphone", "Tél.", "Tél"),
        de_aliases=("Telefonnummer", "Telefon", "Handynummer", "Handy"),
        en_aliases=("Phone number", "Telephone", "Phone", "Mobile"),
        neutral=("GSM",),
    ),
    _field(
        "email",
        "E-mail",
        "Adresse e-mail",
        nl_aliases=("E-mailadres", "Uw e-mailadres"),
        fr_aliases=("Courriel", "Adresse électronique", "Votre adresse e-mail"),
        de_aliases=("E-Mail-Adresse", "Ihre E-Mail-Adresse"),
        en_aliases=("Email address", "Your email address", "Your email"),
        neutral=("Email", "E-mail address"),
    ),
    _field("date", "Datum", "Date"),
    _field(
        "category",
        "Betreft",
        "Concerne",
        nl_aliases=("Categorie", "Onderwerp", "Soort klacht", "Type klacht"),
        fr_aliases=("Catégorie", "Objet", "Type de plainte"),
        de_aliases=("Betreff", "Kategorie", "Art der Beschwerde"),
        en_aliases=("Subject", "Category", "Type of complaint"),
    ),
    _field(
        "description",
        "Omschrijving van de klacht",
        "Description de la plainte",
        nl_aliases=("Omschrijving", "Uw klacht", "Uw bericht", "Bericht", "Klacht"),
        fr_aliases=("Votre plainte", "Votre message", "Plainte"),
        de_aliases=(
            "Beschreibung der Beschwerde",
            "Beschreibung",
            "Ihre Beschwerde",
            "Ihre Nachricht",
            "Nachricht",
            "Beschwerde",
        ),
        en_aliases=("Description of the complaint", "Your complaint", "Your message"),
        neutral=("Description", "Message"),
        multiline=True,
    ),
    _field(
        "desired_solution",
        "Gewenste oplossing",
        "Solution souhaitée",
        nl_aliases=("Voorgestelde oplossing", "Oplossing"),
        fr_aliases=("Solution proposée", "Solution"),
        de_aliases=("Gewünschte Lösung", "Gewuenschte Loesung", "Lösung"),
        en_aliases=("Desired solution", "Proposed solution"),
        multiline=True,
    ),
)

FIELD_KEYS: tuple[str, ...] = tuple(f.key for f in FIELDS)

# The default list of [cases] categories: declared once, in the config schema.
DEFAULT_CATEGORIES: tuple[str, ...] = tuple(CasesSettings().categories)

# French and German wording of the default categories (the shipped forms,
# notifications in those languages), declared once in the config schema's
# [cases] labels; the export value of each choice stays the canonical (Dutch)
# name.
_LABELS = CasesSettings().labels
CATEGORY_LABELS_FR: Mapping[str, str] = MappingProxyType(
    {name: _LABELS["fr"][name] for name in DEFAULT_CATEGORIES}
)
CATEGORY_LABELS_DE: Mapping[str, str] = MappingProxyType(
    {name: _LABELS["de"][name] for name in DEFAULT_CATEGORIES}
)
