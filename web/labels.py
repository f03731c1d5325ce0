"""The workspace's words in Dutch and French; the person's choice is kept in
the session. A key missing in French falls back to Dutch, then to the key.

The store's codes (statuses, outcomes, channels, flags, ...) are shown through
`term`: the yearly report's words where it has them (responder/report/labels.py),
the workspace's own below for the rest; an unknown code is shown as it is.
"""

from __future__ import annotations

from responder.report.labels import NAMES as REPORT_NAMES
from store.vocabulary import Channel, Flag, MailKind, MailStatus, Outcome, Status

LANGUAGES = ("nl", "fr")
# How an answer goes out (store.lifecycle.Answer.delivery) -> its word's key.
DELIVERY_WORDS: dict[str, str] = {
    "email": "by_email",
    "post": "by_post",
    "none": "record_only",
}

_NL: dict[str, str] = {
    "app": "Klachten",
    "cases": "Dossiers",
    "my_cases": "Mijn dossiers",
    "overview": "Overzicht",
    "users": "Gebruikers",
    "sign_in": "Aanmelden",
    "sign_out": "Afmelden",
    "email": "E-mail",
    "password": "Wachtwoord",
    "number": "Nummer",
    "received": "Ontvangen",
    "member": "Lid",
    "subject": "Onderwerp",
    "channel": "Kanaal",
    "assignee": "Toegewezen aan",
    "days_left": "Dagen over",
    "flags": "Vlaggen",
    "status": "Status",
    "category": "Categorie",
    "regional_office": "Gewestelijke dienst",
    "year": "Jaar",
    "overdue": "Te laat",
    "search": "Zoeken",
    "filter": "Filteren",
    "all": "alle",
    "mine": "mijn dossiers",
    "unassigned": "niemand",
    "open": "open",
    "previous": "Vorige",
    "next": "Volgende",
    "page": "Pagina",
    "no_cases": "Geen dossiers.",
    "ack_due": "Ontvangstmelding tegen",
    "answer_due": "Antwoord tegen",
    "acknowledged": "Ontvangst gemeld",
    "answered": "Beantwoord",
    "closed": "Afgesloten",
    "language": "Taal",
    "name": "Naam",
    "phone": "Telefoon",
    "street": "Straat",
    "postcode": "Postcode",
    "city": "Gemeente",
    "member_number": "Lidnummer",
    "insz": "Rijksregisternummer",
    "invalid": "ongeldig",
    "messages": "Berichten",
    "attachments": "Bijlagen",
    "form_fields": "Formuliervelden",
    "source": "bron",
    "events": "Audittrail",
    "actions": "Acties",
    "assign": "Toewijzen",
    "note": "Notitie",
    "add_note": "Notitie toevoegen",
    "review_note": "Wat werd nagekeken (mag leeg)",
    "mark_reviewed": "Nagekeken: vlag 'na te kijken' weg",
    "edit": "Gegevens aanpassen",
    "save": "Opslaan",
    "answer": "Antwoorden",
    "outcome": "Uitkomst",
    "text": "Tekst",
    "preview": "Voorbeeld",
    "send": "Versturen",
    "by_email": "per e-mail",
    "by_post": "per post",
    "record_only": "alleen registreren",
    "delivery": "Verzending",
    "close": "Afsluiten",
    "reopen": "Heropenen",
    "reason": "Reden",
    "refer": "Doorverwezen naar de ombudsdienst",
    "date": "Datum",
    "reclassify": "Geen klacht",
    "merge": "Samenvoegen met",
    "write": "Schrijven aan het lid",
    "template": "Sjabloon",
    "register": "Klacht registreren",
    "open_cases": "Open dossiers",
    "due_this_week": "Deze week te beantwoorden",
    "waiting_letter": "Wachten op een brief",
    "per_assignee": "Per medewerker",
    "report": "Jaarverslag",
    "download": "Downloaden",
    "not_found": "Niet gevonden",
    "forbidden": "Niet toegestaan",
    "error": "Fout",
    "done": "Gedaan",
    "description": "Omschrijving",
    "cause": "Oorzaak",
    "service": "Dienst",
    "measure": "Maatregel",
    "back": "Terug",
    "sign_in_failed": "Aanmelden mislukt.",
    "viewer_note": "U kunt lezen, niet handelen.",
    "refused": "Geweigerd",
}

_FR: dict[str, str] = {
    "app": "Plaintes",
    "cases": "Dossiers",
    "my_cases": "Mes dossiers",
    "overview": "Aperçu",
    "users": "Utilisateurs",
    "sign_in": "Se connecter",
    "sign_out": "Se déconnecter",
    "email": "E-mail",
    "password": "Mot de passe",
    "number": "Numéro",
    "received": "Reçu",
    "member": "Membre",
    "subject": "Objet",
    "channel": "Canal",
    "assignee": "Attribué à",
    "days_left": "Jours restants",
    "flags": "Indicateurs",
    "status": "Statut",
    "category": "Catégorie",
    "regional_office": "Service régional",
    "year": "Année",
    "overdue": "En retard",
    "search": "Rechercher",
    "filter": "Filtrer",
    "all": "tous",
    "mine": "mes dossiers",
    "unassigned": "personne",
    "open": "ouverts",
    "previous": "Précédent",
    "next": "Suivant",
    "page": "Page",
    "no_cases": "Aucun dossier.",
    "ack_due": "Accusé de réception pour le",
    "answer_due": "Réponse pour le",
    "acknowledged": "Réception accusée",
    "answered": "Répondu",
    "closed": "Clôturé",
    "language": "Langue",
    "name": "Nom",
    "phone": "Téléphone",
    "street": "Rue",
    "postcode": "Code postal",
    "city": "Commune",
    "member_number": "Numéro de membre",
    "insz": "Numéro de registre national",
    "invalid": "invalide",
    "messages": "Messages",
    "attachments": "Pièces jointes",
    "form_fields": "Champs du formulaire",
    "source": "source",
    "events": "Historique",
    "actions": "Actions",
    "assign": "Attribuer",
    "note": "Note",
    "add_note": "Ajouter une note",
    "review_note": "Ce qui a été vérifié (facultatif)",
    "mark_reviewed": "Vérifié : retirer l'indicateur « à vérifier »",
    "edit": "Modifier les données",
    "save": "Enregistrer",
    "answer": "Répondre",
    "outcome": "Résultat",
    "text": "Texte",
    "preview": "Aperçu",
    "send": "Envoyer",
    "by_email": "par e-mail",
    "by_post": "par courrier",
    "record_only": "enregistrer seulement",
    "delivery": "Envoi",
    "close": "Clôturer",
    "reopen": "Rouvrir",
    "reason": "Raison",
    "refer": "Renvoyé au service de médiation",
    "date": "Date",
    "reclassify": "Pas une plainte",
    "merge": "Fusionner avec",
    "write": "Écrire au membre",
    "template": "Modèle",
    "register": "Enregistrer une plainte",
    "open_cases": "Dossiers ouverts",
    "due_this_week": "À répondre cette semaine",
    "waiting_letter": "En attente d'une lettre",
    "per_assignee": "Par collaborateur",
    "report": "Rapport annuel",
    "download": "Télécharger",
    "not_found": "Introuvable",
    "forbidden": "Non autorisé",
    "error": "Erreur",
    "done": "Fait",
    "description": "Description",
    "cause": "Cause",
    "service": "Service",
    "measure": "Mesure",
    "back": "Retour",
    "sign_in_failed": "Échec de la connexion.",
    "viewer_note": "Vous pouvez lire, pas agir.",
    "refused": "Refusé",
}

_ALL = {"nl": _NL, "fr": _FR}


def word(language: str, key: str) -> str:
    """The label of `key` in `language` (Dutch, then the key, when missing)."""
    return _ALL.get(language, _NL).get(key) or _NL.get(key) or key


# The vocabularies whose words the yearly report already has (its NAMES): a
# code of one of these is looked up there after the workspace's own words.
_REPORTED: dict[str, frozenset[str]] = {
    "status": frozenset(Status),
    "outcome": frozenset(Outcome),
    "channel": frozenset(Channel),
    "flag": frozenset(Flag),
}

# The workspace's words per vocabulary: "status", "outcome", "channel",
# "flag", "class" (of a message), "reclassification", "template" (a mail to
# the member), "mail" (an outbox mail's kind) and "event" (of the trail).
_CODES_NL: dict[str, dict[str, str]] = {
    "status": {"reclassified": "geen klacht"},
    "flag": {
        "needs_review": "na te kijken",
        "ombudsdienst": "doorverwezen naar de ombudsdienst",
        "sender_unverified": "afzender niet geverifieerd",
        "awaiting_address": "wacht op een postadres",
        "ack_not_sent": "ontvangstmelding niet verstuurd",
        "forms_disagree": "formulieren spreken elkaar tegen",
        "no_contact_address": "geen contactadres",
        "email_invalid": "e-mailadres ongeldig",
        "insz_invalid": "rijksregisternummer ongeldig",
        "postcode_invalid": "postcode ongeldig",
        "phone_invalid": "telefoonnummer ongeldig",
        "category_unknown": "categorie onbekend",
        "category_suggested": "categorie voorgesteld",
        "ocr_unavailable": "tekstherkenning niet beschikbaar",
        "attachment_too_large": "bijlage te groot",
        "attachment_too_slow": "bijlage te traag gelezen",
        "attachment_corrupt": "bijlage beschadigd",
        "attachment_archive": "bijlage is een archief",
        "attachment_macro": "bijlage met macro's",
        "attachment_encrypted": "bijlage versleuteld",
        "confirmation": "bevestiging van het lid",
        "message_id_reused": "Message-ID hergebruikt",
        "merged": "samengevoegd",
        "erased": "gegevens gewist",
        "restored": "hersteld na een restore",
        "answer_bounced": "antwoord onbestelbaar (bounce)",
        "member_replied": "lid reageerde",
    },
    "class": {
        "complaint": "klacht",
        "follow_up": "opvolgbericht",
        "staff": "medewerker",
        "auto_reply": "automatisch antwoord",
        "bounce": "onbestelbaar",
        "list": "mailinglijst",
        "spam": "spam",
        "rejected": "geweigerd",
        "quarantined": "in quarantaine",
    },
    "reclassification": {
        "staff": "bericht van een medewerker",
        "question": "vraag",
        "spam": "spam",
        "duplicate": "dubbel (van dossier …)",
    },
    "template": {
        "request-info": "informatie vragen",
        "request-confirmation": "schriftelijke bevestiging vragen",
        "delay": "vertraging melden",
    },
    "mail": {
        "acknowledgement": "ontvangstmelding",
        "answer": "antwoord",
        "member_mail": "mail aan het lid",
        "reminder": "herinnering",
        "digest": "overzicht",
        "delivery_failed": "melding mislukte verzending",
        "stall_alarm": "alarm stilstand",
        "answer_incomplete": "antwoord onvolledig",
        "member_replied": "lid reageerde",
        "command_reply": "antwoord op een opdracht",
    },
    "mail_status": {
        "pending": "wacht",
        "sending": "wordt verstuurd",
        "sent": "verstuurd",
        "skipped": "niet verstuurd",
        "failed": "mislukt",
    },
    "event": {
        "registered": "geregistreerd",
        "assigned": "toegewezen",
        "note": "notitie",
        "reviewed": "nagekeken",
        "answered": "beantwoord",
        "answer_posted": "antwoord per post",
        "closed": "afgesloten",
        "reopened": "heropend",
        "referred": "doorverwezen naar de ombudsdienst",
        "confirmed": "bevestigd door het lid",
        "edited": "gegevens aangepast",
        "reclassified": "geen klacht",
        "merged": "dossier samengevoegd",
        "merged_into": "samengevoegd met een ander dossier",
        "letter_sent": "brief verstuurd",
        "member_written": "mail aan het lid",
        "member_replied": "lid reageerde",
        "bounced": "onbestelbaar (bounce)",
        "stranger_mail": "mail van een onbekende afzender",
        "message_moved": "bericht verplaatst",
        "opened_from_message": "geopend vanuit een bericht",
        "staff_answer_seen": "antwoord van een medewerker gezien",
        "mail_commands": "opdrachten per mail",
        "mail_command_ignored": "opdracht per mail genegeerd",
        "forwarded_by_staff": "doorgestuurd door een medewerker",
        "staff_unverified": "medewerker niet geverifieerd",
        "erased": "persoonsgegevens gewist",
        "exported": "gegevens uitgevoerd",
        "follow_up_received": "opvolgbericht ontvangen",
        "staff_message_received": "bericht van een medewerker ontvangen",
    },
}

_CODES_FR: dict[str, dict[str, str]] = {
    "status": {"reclassified": "pas une plainte"},
    "flag": {
        "needs_review": "à vérifier",
        "ombudsdienst": "renvoyé au service de médiation",
        "sender_unverified": "expéditeur non vérifié",
        "awaiting_address": "en attente d'une adresse postale",
        "ack_not_sent": "accusé de réception non envoyé",
        "forms_disagree": "les formulaires se contredisent",
        "no_contact_address": "pas d'adresse de contact",
        "email_invalid": "adresse e-mail invalide",
        "insz_invalid": "numéro de registre national invalide",
        "postcode_invalid": "code postal invalide",
        "phone_invalid": "numéro de téléphone invalide",
        "category_unknown": "catégorie inconnue",
        "category_suggested": "catégorie suggérée",
        "ocr_unavailable": "reconnaissance de texte indisponible",
        "attachment_too_large": "pièce jointe trop volumineuse",
        "attachment_too_slow": "pièce jointe trop lente à lire",
        "attachment_corrupt": "pièce jointe endommagée",
        "attachment_archive": "pièce jointe : archive",
        "attachment_macro": "pièce jointe avec macros",
        "attachment_encrypted": "pièce jointe chiffrée",
        "confirmation": "confirmation du membre",
        "message_id_reused": "Message-ID réutilisé",
        "merged": "fusionné",
        "erased": "données effacées",
        "restored": "rétabli après une restauration",
        "answer_bounced": "réponse non distribuée",
        "member_replied": "le membre a réagi",
    },
    "class": {
        "complaint": "plainte",
        "follow_up": "message de suivi",
        "staff": "collaborateur",
        "auto_reply": "réponse automatique",
        "bounce": "non distribuable",
        "list": "liste de diffusion",
        "spam": "spam",
        "rejected": "refusé",
        "quarantined": "en quarantaine",
    },
    "reclassification": {
        "staff": "message d'un collaborateur",
        "question": "question",
        "spam": "spam",
        "duplicate": "doublon (du dossier …)",
    },
    "template": {
        "request-info": "demander des informations",
        "request-confirmation": "demander une confirmation écrite",
        "delay": "annoncer un retard",
    },
    "mail": {
        "acknowledgement": "accusé de réception",
        "answer": "réponse",
        "member_mail": "courriel au membre",
        "reminder": "rappel",
        "digest": "récapitulatif",
        "delivery_failed": "avis d'échec d'envoi",
        "stall_alarm": "alarme d'arrêt",
        "answer_incomplete": "réponse incomplète",
        "member_replied": "le membre a réagi",
        "command_reply": "réponse à une commande",
    },
    "mail_status": {
        "pending": "en attente",
        "sending": "en cours d'envoi",
        "sent": "envoyé",
        "skipped": "non envoyé",
        "failed": "échec",
    },
    "event": {
        "registered": "enregistré",
        "assigned": "attribué",
        "note": "note",
        "reviewed": "vérifié",
        "answered": "répondu",
        "answer_posted": "réponse par courrier",
        "closed": "clôturé",
        "reopened": "rouvert",
        "referred": "renvoyé au service de médiation",
        "confirmed": "confirmé par le membre",
        "edited": "données modifiées",
        "reclassified": "pas une plainte",
        "merged": "dossier fusionné",
        "merged_into": "fusionné avec un autre dossier",
        "letter_sent": "lettre envoyée",
        "member_written": "courriel au membre",
        "member_replied": "le membre a réagi",
        "bounced": "non distribuable",
        "stranger_mail": "courriel d'un expéditeur inconnu",
        "message_moved": "message déplacé",
        "opened_from_message": "ouvert à partir d'un message",
        "staff_answer_seen": "réponse d'un collaborateur vue",
        "mail_commands": "commandes par courriel",
        "mail_command_ignored": "commande par courriel ignorée",
        "forwarded_by_staff": "transféré par un collaborateur",
        "staff_unverified": "collaborateur non vérifié",
        "erased": "données personnelles effacées",
        "exported": "données exportées",
        "follow_up_received": "message de suivi reçu",
        "staff_message_received": "message d'un collaborateur reçu",
    },
}

_CODES = {"nl": _CODES_NL, "fr": _CODES_FR}


def term(language: str, kind: str, code: object) -> str:
    """How a stored code of vocabulary `kind` reads in `language`.

    The workspace's words, then the yearly report's, then Dutch; an unknown
    code (or an event of a kind nobody named) is shown as it is.
    """
    text = "" if code is None else str(code)
    for lang in dict.fromkeys((chosen(language), "nl")):
        found = _own(lang, kind, text)
        if found:
            return found
    return text


def _own(language: str, kind: str, code: str) -> str | None:
    found = _CODES[language].get(kind, {}).get(code)
    if found is None and code in _REPORTED.get(kind, ()):
        found = REPORT_NAMES[language].get(code)
    if found is None and kind == "event":
        found = _delivery_event(language, code)
    return found


def _delivery_event(language: str, code: str) -> str | None:
    """An outbox mail's delivery event ("acknowledgement_sent"): its kind and
    what became of it, in words."""
    kind, _, what = code.rpartition("_")
    if kind not in frozenset(MailKind) or what not in frozenset(MailStatus):
        return None
    words = _CODES[language]
    colon = " : " if language == "fr" else ": "
    return words["mail"][kind] + colon + words["mail_status"][what]


def chosen(value: object) -> str:
    """A supported language from the session, else Dutch."""
    return value if isinstance(value, str) and value in LANGUAGES else "nl"
