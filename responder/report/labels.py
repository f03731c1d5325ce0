"""Words of the report in Dutch, French and German, shared by every output format.

Values the store holds as codes (channels, outcomes, statuses, message
classes) are shown through `name()`; an unknown code is shown as it is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from responder.dates import date_long

TEXT: dict[str, dict[str, str]] = {
    "nl": {
        "analysis": "Analyse: de dienstverlening verbeteren",
        "causes_by_service": "Oorzaken per dienst",
        "service": "Dienst",
        "cause": "Oorzaak",
        "founded_by_service": "Gegronde klachten per dienst",
        "founded_by_category": "Gegronde klachten per categorie",
        "decided": "Beslist",
        "founded": "Gegrond",
        "partly_founded": "Deels gegrond",
        "share_founded": "Aandeel (deels) gegrond",
        "measures": "Genomen maatregelen",
        "measure": "Maatregel",
        "title": "Klachtenrapport {year}",
        "subtitle": "Jaarlijkse analyse van de klachtenbehandeling",
        "internal": "Intern document — bevat persoonsgegevens",
        "generated": "Opgemaakt op {date}, toestand op {cutoff}",
        "summary": "Samenvatting",
        "received": "Ontvangen klachten",
        "by_channel": "Per kanaal",
        "by_category": "Per categorie",
        "by_language": "Per taal",
        "by_month": "Per maand",
        "by_regional_office": "Per regionaal kantoor",
        "outcomes": "Beslissing",
        "open_at_year_end": "Nog open op {cutoff}",
        "acknowledgement": "Ontvangstmelding",
        "answer": "Antwoord",
        "count": "Aantal",
        "median_days": "Mediaan (dagen)",
        "p90_days": "90e percentiel (dagen)",
        "share_within": "Binnen {days} dagen",
        "share_within_business": "Binnen {days} werkdagen",
        "distribution": "Tijd tot antwoord",
        "overdue": "Te laat behandeld",
        "answered_late": "Te laat beantwoord",
        "open_late": "Open na de termijn",
        "median_days_late": "Mediaan dagen te laat",
        "max_days_late": "Maximum dagen te laat",
        "follow_ups": "Opvolgberichten",
        "follow_total": "Opvolgberichten in totaal",
        "cases_with": "Dossiers met opvolgberichten",
        "mean_per_case": "Gemiddeld per dossier",
        "max_per_case": "Maximum per dossier",
        "repeat_members": "Leden met meer dan één klacht",
        "ombudsdienst": "Doorverwezen naar de ombudsdienst",
        "acks_not_sent": "Niet verstuurde ontvangstmeldingen",
        "acknowledged_without_mail": "Ontvangstmelding zonder e-mail",
        "non_complaints": "Berichten die geen klacht waren",
        "comparison": "Vergelijking met {year}",
        "no_previous": "Geen gegevens voor {year}.",
        "figure": "Cijfer",
        "this_year": "{year}",
        "difference": "Verschil",
        "reason": "Reden",
        "cases": "Dossiers",
        "number": "Nummer",
        "received_on": "Ontvangen",
        "channel": "Kanaal",
        "category": "Categorie",
        "status": "Status",
        "outcome": "Beslissing",
        "member_name": "Lid",
        "days_to_answer": "Dagen tot antwoord",
        "total": "Totaal",
        "none": "—",
        "chart_months": "Klachten per maand",
        "chart_categories": "Klachten per categorie",
        "chart_answer": "Tijd tot antwoord (dagen)",
    },
    "fr": {
        "analysis": "Analyse : améliorer le service",
        "causes_by_service": "Causes par service",
        "service": "Service",
        "cause": "Cause",
        "founded_by_service": "Plaintes fondées par service",
        "founded_by_category": "Plaintes fondées par catégorie",
        "decided": "Décidées",
        "founded": "Fondées",
        "partly_founded": "Partiellement fondées",
        "share_founded": "Part (partiellement) fondée",
        "measures": "Mesures prises",
        "measure": "Mesure",
        "title": "Rapport des plaintes {year}",
        "subtitle": "Analyse annuelle du traitement des plaintes",
        "internal": "Document interne — contient des données personnelles",
        "generated": "Établi le {date}, situation au {cutoff}",
        "summary": "Résumé",
        "received": "Plaintes reçues",
        "by_channel": "Par canal",
        "by_category": "Par catégorie",
        "by_language": "Par langue",
        "by_month": "Par mois",
        "by_regional_office": "Par bureau régional",
        "outcomes": "Décision",
        "open_at_year_end": "Encore ouvertes au {cutoff}",
        "acknowledgement": "Accusé de réception",
        "answer": "Réponse",
        "count": "Nombre",
        "median_days": "Médiane (jours)",
        "p90_days": "90e percentile (jours)",
        "share_within": "Dans les {days} jours",
        "share_within_business": "Dans les {days} jours ouvrables",
        "distribution": "Délai de réponse",
        "overdue": "Traitées en retard",
        "answered_late": "Réponse tardive",
        "open_late": "Ouvertes après le délai",
        "median_days_late": "Médiane des jours de retard",
        "max_days_late": "Maximum de jours de retard",
        "follow_ups": "Messages de suivi",
        "follow_total": "Messages de suivi au total",
        "cases_with": "Dossiers avec messages de suivi",
        "mean_per_case": "Moyenne par dossier",
        "max_per_case": "Maximum par dossier",
        "repeat_members": "Membres ayant introduit plus d'une plainte",
        "ombudsdienst": "Renvoyées au service de médiation",
        "acks_not_sent": "Accusés de réception non envoyés",
        "acknowledged_without_mail": "Accusé de réception sans e-mail",
        "non_complaints": "Messages qui n'étaient pas des plaintes",
        "comparison": "Comparaison avec {year}",
        "no_previous": "Pas de données pour {year}.",
        "figure": "Chiffre",
        "this_year": "{year}",
        "difference": "Différence",
        "reason": "Motif",
        "cases": "Dossiers",
        "number": "Numéro",
        "received_on": "Reçue le",
        "channel": "Canal",
        "category": "Catégorie",
        "status": "Statut",
        "outcome": "Décision",
        "member_name": "Membre",
        "days_to_answer": "Jours jusqu'à la réponse",
        "total": "Total",
        "none": "—",
        "chart_months": "Plaintes par mois",
        "chart_categories": "Plaintes par catégorie",
        "chart_answer": "Délai de réponse (jours)",
    },
    "de": {
        "analysis": "Analyse: den Dienst verbessern",
        "causes_by_service": "Ursachen nach Dienst",
        "service": "Dienst",
        "cause": "Ursache",
        "founded_by_service": "Begründete Beschwerden nach Dienst",
        "founded_by_category": "Begründete Beschwerden nach Kategorie",
        "decided": "Entschieden",
        "founded": "Begründet",
        "partly_founded": "Teilweise begründet",
        "share_founded": "Anteil (teilweise) begründet",
        "measures": "Getroffene Maßnahmen",
        "measure": "Maßnahme",
        "title": "Beschwerdebericht {year}",
        "subtitle": "Jährliche Analyse der Beschwerdebearbeitung",
        "internal": "Internes Dokument — enthält personenbezogene Daten",
        "generated": "Erstellt am {date}, Stand am {cutoff}",
        "summary": "Zusammenfassung",
        "received": "Eingegangene Beschwerden",
        "by_channel": "Nach Kanal",
        "by_category": "Nach Kategorie",
        "by_language": "Nach Sprache",
        "by_month": "Nach Monat",
        "by_regional_office": "Nach Regionalbüro",
        "outcomes": "Entscheidung",
        "open_at_year_end": "Am {cutoff} noch offen",
        "acknowledgement": "Eingangsbestätigung",
        "answer": "Antwort",
        "count": "Anzahl",
        "median_days": "Median (Tage)",
        "p90_days": "90. Perzentil (Tage)",
        "share_within": "Innerhalb von {days} Tagen",
        "share_within_business": "Innerhalb von {days} Werktagen",
        "distribution": "Zeit bis zur Antwort",
        "overdue": "Verspätet bearbeitet",
        "answered_late": "Verspätet beantwortet",
        "open_late": "Nach der Frist offen",
        "median_days_late": "Median der Verspätung (Tage)",
        "max_days_late": "Maximale Verspätung (Tage)",
        "follow_ups": "Folgenachrichten",
        "follow_total": "Folgenachrichten insgesamt",
        "cases_with": "Akten mit Folgenachrichten",
        "mean_per_case": "Durchschnitt pro Akte",
        "max_per_case": "Maximum pro Akte",
        "repeat_members": "Mitglieder mit mehr als einer Beschwerde",
        "ombudsdienst": "An den Ombudsdienst verwiesen",
        "acks_not_sent": "Nicht versandte Eingangsbestätigungen",
        "acknowledged_without_mail": "Eingangsbestätigung ohne E-Mail",
        "non_complaints": "Nachrichten, die keine Beschwerde waren",
        "comparison": "Vergleich mit {year}",
        "no_previous": "Keine Daten für {year}.",
        "figure": "Kennzahl",
        "this_year": "{year}",
        "difference": "Differenz",
        "reason": "Grund",
        "cases": "Akten",
        "number": "Nummer",
        "received_on": "Eingegangen",
        "channel": "Kanal",
        "category": "Kategorie",
        "status": "Status",
        "outcome": "Entscheidung",
        "member_name": "Mitglied",
        "days_to_answer": "Tage bis zur Antwort",
        "total": "Insgesamt",
        "none": "—",
        "chart_months": "Beschwerden pro Monat",
        "chart_categories": "Beschwerden pro Kategorie",
        "chart_answer": "Zeit bis zur Antwort (Tage)",
    },
}

NAMES: dict[str, dict[str, str]] = {
    "nl": {
        "email": "e-mail", "form": "formulier", "e-loket": "e-loket",
        "contact-form": "contactformulier", "post": "post", "oral": "mondeling",
        "founded": "gegrond", "partly-founded": "deels gegrond",
        "unfounded": "ongegrond", "withdrawn": "ingetrokken",
        "not-admissible": "onontvankelijk", "none": "nog geen beslissing",
        "registered": "geregistreerd",
        "awaiting_confirmation": "wacht op bevestiging",
        "acknowledged": "ontvangst gemeld", "in_progress": "in behandeling",
        "answered": "beantwoord", "closed": "afgesloten",
        "auto_reply": "automatische antwoorden", "bounce": "onbestelbaar",
        "list": "mailinglijsten", "spam": "spam", "rejected": "geweigerd",
        "quarantined": "in quarantaine", "complaint": "klachten",
        "follow_up": "opvolgberichten",
        "staff": "berichten van medewerkers", "unset": "niet ingevuld",
        "awaiting_letter": "wacht op brief (geen e-mailadres)",
        "closed_without_acknowledgement": "afgesloten zonder ontvangstmelding",
        "ack_bounced": "ontvangstmelding onbestelbaar (bounce)",
        "letter_sent": "per brief", "acknowledged_otherwise": "op een andere manier",
        "nl": "Nederlands", "fr": "Frans", "de": "Duits", "en": "Engels",
        "received": "Ontvangen", "open_at_year_end": "Open op {cutoff}",
        "overdue": "Te laat", "repeat_members": "Leden met meer dan één klacht",
        "ombudsdienst": "Ombudsdienst",
        "acknowledgements_not_sent": "Ontvangstmeldingen niet verstuurd",
        "follow_ups": "Opvolgberichten",
    },
    "fr": {
        "email": "e-mail", "form": "formulaire", "e-loket": "e-guichet",
        "contact-form": "formulaire de contact", "post": "courrier",
        "oral": "oral", "founded": "fondée", "partly-founded": "partiellement fondée",
        "unfounded": "non fondée", "withdrawn": "retirée",
        "not-admissible": "irrecevable", "none": "pas encore de décision",
        "registered": "enregistrée",
        "awaiting_confirmation": "en attente de confirmation",
        "acknowledged": "réception confirmée", "in_progress": "en traitement",
        "answered": "répondue", "closed": "clôturée",
        "auto_reply": "réponses automatiques", "bounce": "non distribuables",
        "list": "listes de diffusion", "spam": "spam", "rejected": "refusés",
        "quarantined": "en quarantaine", "complaint": "plaintes",
        "follow_up": "messages de suivi",
        "staff": "messages du personnel", "unset": "non renseignée",
        "awaiting_letter": "en attente d'une lettre (pas d'adresse e-mail)",
        "closed_without_acknowledgement": "clôturée sans accusé de réception",
        "ack_bounced": "accusé de réception non distribué",
        "letter_sent": "par lettre", "acknowledged_otherwise": "autrement",
        "nl": "néerlandais", "fr": "français", "de": "allemand", "en": "anglais",
        "received": "Reçues", "open_at_year_end": "Ouvertes au {cutoff}",
        "overdue": "En retard",
        "repeat_members": "Membres ayant introduit plus d'une plainte",
        "ombudsdienst": "Service de médiation",
        "acknowledgements_not_sent": "Accusés de réception non envoyés",
        "follow_ups": "Messages de suivi",
    },
    "de": {
        "email": "E-Mail", "form": "Formular", "e-loket": "E-Schalter",
        "contact-form": "Kontaktformular", "post": "Post", "oral": "mündlich",
        "founded": "begründet", "partly-founded": "teilweise begründet",
        "unfounded": "unbegründet", "withdrawn": "zurückgezogen",
        "not-admissible": "unzulässig", "none": "noch keine Entscheidung",
        "registered": "registriert",
        "awaiting_confirmation": "wartet auf Bestätigung",
        "acknowledged": "Eingang bestätigt", "in_progress": "in Bearbeitung",
        "answered": "beantwortet", "closed": "abgeschlossen",
        "auto_reply": "automatische Antworten", "bounce": "unzustellbar",
        "list": "Mailinglisten", "spam": "Spam", "rejected": "abgelehnt",
        "quarantined": "in Quarantäne", "complaint": "Beschwerden",
        "follow_up": "Folgenachrichten",
        "staff": "Nachrichten von Mitarbeitern", "unset": "nicht angegeben",
        "awaiting_letter": "wartet auf Brief (keine E-Mail-Adresse)",
        "closed_without_acknowledgement": "ohne Eingangsbestätigung abgeschlossen",
        "ack_bounced": "Eingangsbestätigung unzustellbar",
        "letter_sent": "per Brief", "acknowledged_otherwise": "auf andere Weise",
        "nl": "Niederländisch", "fr": "Französisch", "de": "Deutsch", "en": "Englisch",
        "received": "Eingegangen", "open_at_year_end": "Offen am {cutoff}",
        "overdue": "Verspätet",
        "repeat_members": "Mitglieder mit mehr als einer Beschwerde",
        "ombudsdienst": "Ombudsdienst",
        "acknowledgements_not_sent": "Eingangsbestätigungen nicht versandt",
        "follow_ups": "Folgenachrichten",
    },
}  # fmt: skip

MONTHS_SHORT = {
    "nl": ("jan", "feb", "mrt", "apr", "mei", "jun",
           "jul", "aug", "sep", "okt", "nov", "dec"),
    "fr": ("janv", "févr", "mars", "avr", "mai", "juin",
           "juil", "août", "sept", "oct", "nov", "déc"),
    "de": ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun",
           "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"),
}  # fmt: skip
LANGUAGES = tuple(TEXT)


def text(language: str, key: str, **values: Any) -> str:
    """A sentence or heading of the report in `language`."""
    return TEXT[language][key].format(**values)


def name(language: str, code: str | None, cutoff: str = "") -> str:
    """How a stored code reads; unknown codes (categories, offices) as they are.

    ``cutoff`` is the report's "situation on" date in words: the figure "open"
    is open on that day (31 December for a past year, today for this one).
    """
    if code is None:
        return TEXT[language]["none"]
    return NAMES[language].get(code, code).replace("{cutoff}", cutoff)


def cutoff_words(cutoff: str, timezone: str, language: str) -> str:
    """The report's cutoff (ISO 8601 with offset) as a date in words."""
    return date_long(datetime.fromisoformat(cutoff), language, tz=timezone)


def month_name(month: int | str, language: str) -> str:
    """1 -> "jan" / "janv" / "Jan"."""
    return MONTHS_SHORT[language][int(month) - 1]


def number(value: float | int | None, language: str = "nl") -> str:
    """1234.5 -> "1 234,5" (both languages use a decimal comma); None -> "—"."""
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    else:
        text = f"{int(value):,}"
    separator = "\u202f" if language == "fr" else "."
    return text.replace(",", "\0").replace(".", ",").replace("\0", separator)


def percent(value: float | None) -> str:
    """0.8571 -> "85,7 %"; None -> "—"."""
    if value is None:
        return "—"
    return f"{value * 100:.1f}".replace(".", ",") + "\u00a0%"
