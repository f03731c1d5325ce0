"""The configuration schema: every key once, with its type, default and meaning.

A file holding only the keys of the foundation issue is complete; everything else
has a default here. `config/klachten.example.toml` documents the same keys for
operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config.machine_addresses import suppression_defaults
from config.offices import RegionalOffice


@dataclass(frozen=True)
class ImapSettings:
    host: str = "127.0.0.1"
    port: int = 993
    security: str = "ssl"  # ssl | starttls | none
    username: str = "klachten@libmutov.be"
    password: str = ""
    mailbox: str = "INBOX"
    poll_interval: int = 60  # seconds, used when IDLE is not available
    idle: bool = True
    # Certificate verification stays on unless an operator turns it off.
    verify_certificate: bool = True
    ca_file: str = ""
    # After registration: add this keyword and \Seen, or move to processed_mailbox.
    processed_keyword: str = "$Klachten"
    processed_mailbox: str = ""
    # Messages larger than this are set aside without being fetched whole.
    max_message_size: int = 25 * 1024 * 1024
    # IDLE is renewed before the 29-minute limit of RFC 2177.
    idle_renew: int = 25 * 60
    timeout: int = 60
    backoff_cap: int = 300  # seconds: ceiling of the reconnect backoff
    # security = "none" sends the password in clear: refused toward any host
    # but loopback unless this is true.
    allow_plaintext_auth: bool = False
    # "password" (LOGIN) or "oauth2" (SASL XOAUTH2/OAUTHBEARER with a token
    # from the [oauth] section).
    auth: str = "password"
    # Set \Seen on what was taken in; false keeps the unread mark people see
    # in a shared mailbox (the keyword or processed_mailbox still marks it).
    mark_seen: bool = True
    # The shared mailbox's sent folder (e.g. "Sent Items"): read like the inbox
    # (UID-tracked, never flagged or moved) so answers sent from Outlook count.
    sent_mailbox: str = ""
    # Where a copy of every mail the service sends is appended (\Seen), so
    # coordinators see it in Outlook; empty: no copies.
    sent_copy_mailbox: str = ""


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 587
    security: str = "starttls"  # ssl | starttls | none
    username: str = ""
    password: str = ""
    from_address: str = "klachten@libmutov.be"
    from_name: str = "LM Klachtendienst"
    reply_to: str = ""
    verify_certificate: bool = True
    ca_file: str = ""
    timeout: int = 30
    # Temporary failures are retried with exponential backoff from this base.
    retry_base: int = 30
    retry_cap: int = 3600
    max_attempts: int = 12
    # security = "none" with a username sends AUTH in clear: refused toward any
    # host but loopback unless this is true.
    allow_plaintext_auth: bool = False
    # "password" or "oauth2" (AUTH XOAUTH2 with a token from [oauth]).
    auth: str = "password"


@dataclass(frozen=True)
class OAuthSettings:
    """Where IMAP and SMTP get their OAuth2 access token (auth = "oauth2")."""

    provider: str = "microsoft"  # microsoft | google | generic
    # Microsoft Entra ID: the directory (tenant) id or domain of the app.
    tenant: str = ""
    # Microsoft and generic: the application's client id and secret (the
    # secret also as the credential file oauth.client_secret).
    client_id: str = ""
    client_secret: str = ""
    # Google: the service account's JSON key file, and the mailbox it acts
    # for through domain-wide delegation.
    service_account_file: str = ""
    subject: str = ""
    # Generic: the token endpoint (client-credentials grant). Microsoft: empty
    # for the public cloud's endpoint of the tenant.
    token_url: str = ""
    # Empty: the provider's (Microsoft https://outlook.office365.com/.default,
    # Google https://mail.google.com/).
    scope: str = ""


@dataclass(frozen=True)
class StoreSettings:
    url: str = "sqlite:///klachten.db"


@dataclass(frozen=True)
class CasesSettings:
    number_format: str = "KL-{year}-{seq:05d}"
    timezone: str = "Europe/Brussels"
    ack_days: int = 10
    answer_days: int = 45
    # "calendar" as the procedure states, or "business" (Belgian public holidays).
    day_kind: str = "calendar"
    default_language: str = "nl"
    categories: list[str] = field(
        default_factory=lambda: [
            "terugbetaling",
            "dossierbehandeling",
            "onthaal en medewerkers",
            "facturatie en bijdragen",
            "arbeidsongeschiktheid",
            "andere",
        ]
    )
    # Tables: name, postcodes (9000 or "9000-9999"), address (lines), and
    # optionally coordinators (config/offices.py). Intake sets a case's office
    # from the member's postcode; letters print its address as the sender.
    regional_offices: list[RegionalOffice] = field(default_factory=list)
    # What a coordinator records for the yearly analysis (issue 17, item 13):
    # the cause of the complaint and the department it concerns.
    causes: list[str] = field(
        default_factory=lambda: [
            "communicatie",
            "termijn overschreden",
            "fout in het dossier",
            "regelgeving",
            "houding van een medewerker",
            "technisch probleem",
            "andere",
        ]
    )
    services: list[str] = field(
        default_factory=lambda: [
            "uitkeringen",
            "terugbetalingen",
            "aansluitingen en bijdragen",
            "onthaal",
            "medische dienst",
            "dienst maatschappelijk werk",
            "aanvullende verzekering",
            "andere",
        ]
    )
    # How the names above read in French and German in the yearly report:
    # language -> configured name -> label. A name without one is shown as
    # configured (the names are Dutch). The shipped forms use the defaults.
    labels: dict[str, dict[str, str]] = field(
        default_factory=lambda: {
            "fr": {
                "terugbetaling": "remboursement",
                "dossierbehandeling": "traitement du dossier",
                "onthaal en medewerkers": "accueil et collaborateurs",
                "facturatie en bijdragen": "facturation et cotisations",
                "arbeidsongeschiktheid": "incapacité de travail",
                "andere": "autre",
                "communicatie": "communication",
                "termijn overschreden": "délai dépassé",
                "fout in het dossier": "erreur dans le dossier",
                "regelgeving": "réglementation",
                "houding van een medewerker": "attitude d'un collaborateur",
                "technisch probleem": "problème technique",
                "uitkeringen": "indemnités",
                "terugbetalingen": "remboursements",
                "aansluitingen en bijdragen": "affiliations et cotisations",
                "onthaal": "accueil",
                "medische dienst": "service médical",
                "dienst maatschappelijk werk": "service social",
                "aanvullende verzekering": "assurance complémentaire",
            },
            "de": {
                "terugbetaling": "Erstattung",
                "dossierbehandeling": "Aktenbearbeitung",
                "onthaal en medewerkers": "Empfang und Mitarbeiter",
                "facturatie en bijdragen": "Rechnungen und Beiträge",
                "arbeidsongeschiktheid": "Arbeitsunfähigkeit",
                "andere": "Andere",
                "communicatie": "Kommunikation",
                "termijn overschreden": "Frist überschritten",
                "fout in het dossier": "Fehler in der Akte",
                "regelgeving": "Regelung",
                "houding van een medewerker": "Verhalten eines Mitarbeiters",
                "technisch probleem": "technisches Problem",
                "uitkeringen": "Krankengeld",
                "terugbetalingen": "Erstattungen",
                "aansluitingen en bijdragen": "Mitgliedschaft und Beiträge",
                "onthaal": "Empfang",
                "medische dienst": "Medizinischer Dienst",
                "dienst maatschappelijk werk": "Sozialdienst",
                "aanvullende verzekering": "Zusatzversicherung",
            },
        }
    )
    # Words that suggest a category when a complaint names none (word starts,
    # accents and case ignored; nl/fr/de). A suggested category is flagged
    # `category_suggested` until a person confirms or changes it.
    category_keywords: dict[str, list[str]] = field(
        default_factory=lambda: {
            "terugbetaling": [
                "terugbeta", "terugbetaald", "rembours", "erstatt", "ruckerstatt",
                "vergut",
            ],
            "dossierbehandeling": [
                "dossier", "aanvraag", "behandeling", "traitement", "demande",
                "akte", "antrag", "bearbeitung",
            ],
            "onthaal en medewerkers": [
                "onthaal", "loket", "medewerk", "onvriendelijk", "wachttijd",
                "accueil", "guichet", "collaborat", "impoli", "empfang", "schalter",
                "mitarbeiter", "unfreundlich", "wartezeit",
            ],
            "facturatie en bijdragen": [
                "factu", "bijdrage", "lidgeld", "cotisation", "rechnung", "beitrag",
            ],
            "arbeidsongeschiktheid": [
                "arbeidsongeschikt", "ziekte-uitkering", "uitkering",
                "adviserend", "incapacite", "indemnite", "medecin-conseil",
                "arbeitsunfahig", "krankengeld", "vertrauensarzt",
            ],
        }
    )  # fmt: skip


@dataclass(frozen=True)
class RemindersSettings:
    coordinators: list[str] = field(
        default_factory=lambda: ["klachtencoordinator@libmutov.be"]
    )
    days_before_answer_deadline: list[int] = field(default_factory=lambda: [14, 7, 2])
    escalation: list[str] = field(default_factory=list)
    send_time: str = "08:00"  # local time of day at which reminders go out
    weekends: bool = False
    digest: bool = True
    digest_day: str = "mon"
    digest_time: str = "08:00"


@dataclass(frozen=True)
class SourceSettings:
    kind: str = "imap"  # imap | maildir
    path: str = ""  # the Maildir, when kind = "maildir"
    # Maildir++ folder (<path>/.<name>) that stored messages move to; what
    # stays in new/ and cur/ is waiting, whoever has read it.
    processed_folder: str = "Verwerkt"


@dataclass(frozen=True)
class ResponderSettings:
    # Authentication-Results from these authserv-ids (and their subdomains) count.
    # Empty: the domain of smtp.from_address. Presets: "google" (mx.google.com)
    # and "microsoft" (Exchange Online's topmost header, which has no id).
    trusted_authserv_ids: list[str] = field(default_factory=list)
    per_address_limit: int = 5  # acknowledgements per address per 24 hours
    # Mails to members per hour, all addresses together; beyond it mail waits
    # in the outbox (never dropped) and `status` says so.
    hourly_limit: int = 5000
    # Never answered (fnmatch); by default the machine addresses' local parts.
    suppression: list[str] = field(default_factory=suppression_defaults)
    templates_dir: str = ""
    # Believe the topmost Authentication-Results header even without an
    # authserv-id (Exchange Online writes none); the "microsoft" preset in
    # trusted_authserv_ids does so only with [oauth] provider = "microsoft".
    trust_topmost_authentication_results: bool = False
    org_name: str = "LM"
    org_phone: str = ""
    # Printed in the sender block of letters, and "<city>, <date>" above them.
    org_address: list[str] = field(default_factory=list)
    org_city: str = ""


@dataclass(frozen=True)
class IngestSettings:
    # Header rules marking spam: "Header-Name: value" (case-insensitive).
    spam_headers: list[str] = field(default_factory=lambda: ["X-Spam-Flag: YES"])
    max_attempts: int = 3  # failures before a message stays in quarantine
    ocr_timeout: int = 30  # seconds per page
    ocr_max_pages: int = 5
    # Forms (PDF, DOCX, scans) are read in worker processes with these limits;
    # an attachment over one is kept, flagged and not read.
    form_workers: int = 2  # warm worker processes, started at the first form
    form_cpu_seconds: int = 20  # CPU time per attachment
    form_seconds: int = 30  # wall time per attachment
    form_memory_mb: int = 320  # address space of a worker (its OCR programs too)
    message_form_cpu_seconds: int = 60  # CPU time of all forms of one message
    message_form_seconds: int = 60  # wall time of all forms of one message
    # DOCX: bytes actually inflated, whole document (declared sizes are not
    # trusted).
    max_unpacked_bytes: int = 50 * 1024 * 1024


@dataclass(frozen=True)
class StaffSettings:
    # The fund's people: their mail is never a complaint (classed "staff").
    addresses: list[str] = field(default_factory=list)
    # Their mail domains; empty: the domain of smtp.from_address.
    domains: list[str] = field(default_factory=list)
    # Believe staff mail without a trusted dmarc=pass (the weaker choice, for
    # a mail server that writes no Authentication-Results).
    trust_unauthenticated: bool = False
    # The language of the mails a staff member gets: address -> nl | fr | de;
    # reminders to anyone not named are Dutch, notices about one case are in
    # the case's language.
    languages: dict[str, str] = field(default_factory=dict)
    # Believed staff mail to klachten@ with the case number in the subject may
    # act on the case with lines such as "Toewijzen: naam@..." (opt-in).
    mail_commands: bool = False


@dataclass(frozen=True)
class MetricsSettings:
    listen: str = ""  # e.g. "127.0.0.1:9464"; empty: no listener


@dataclass(frozen=True)
class ServiceSettings:
    log_level: str = "INFO"
    stall_alarm_minutes: int = 30
    # Who gets the stall alarm; empty: the coordinators.
    operators: list[str] = field(default_factory=list)
    outbox_interval: int = 15  # seconds between outbox delivery runs
    # How long a claimed outbox row is reserved for the process sending it. A
    # process killed mid-batch leaves its rows for this long; they then go out
    # again with the same Message-ID (delivery is at least once).
    outbox_lease: int = 300


@dataclass(frozen=True)
class WebSettings:
    """The coordinator workspace (`klachten web`)."""

    listen: str = "127.0.0.1:8080"  # behind the fund's reverse proxy
    # The public address, for links in mails and the API's Origin check;
    # https makes the session cookie Secure.
    base_url: str = "http://127.0.0.1:8080"
    # Header the single sign-on proxy sets to the person's account e-mail
    # (e.g. "X-Remote-User"); empty: local accounts only.
    trusted_user_header: str = ""
    # Addresses (or networks, "10.0.0.0/8") whose trusted_user_header counts.
    trusted_proxies: list[str] = field(default_factory=lambda: ["127.0.0.1", "::1"])
    session_idle_minutes: int = 60
    # The key that signs session cookies; empty: $CREDENTIALS_DIRECTORY/
    # web.secret_key, else generated once into $STATE_DIRECTORY (0600).
    secret_key_file: str = ""


@dataclass(frozen=True)
class PrivacySettings:
    """What the store keeps about members, for how long, and how."""

    # Personal data of a case closed or reclassified more than this many
    # years ago, and of mail of no case received that long ago, is erased
    # (`klachten purge`, and the daemon daily); the anonymous facts stay.
    retention_years: int = 5
    # Encryption at rest: a file of keys (newest first, one base64 key a
    # line; `klachten privacy new-key`). Empty: $CREDENTIALS_DIRECTORY/
    # privacy.key when systemd provides it, else the store is not encrypted.
    key_file: str = ""


@dataclass(frozen=True)
class Settings:
    imap: ImapSettings = field(default_factory=ImapSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    oauth: OAuthSettings = field(default_factory=OAuthSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    cases: CasesSettings = field(default_factory=CasesSettings)
    reminders: RemindersSettings = field(default_factory=RemindersSettings)
    source: SourceSettings = field(default_factory=SourceSettings)
    responder: ResponderSettings = field(default_factory=ResponderSettings)
    ingest: IngestSettings = field(default_factory=IngestSettings)
    staff: StaffSettings = field(default_factory=StaffSettings)
    metrics: MetricsSettings = field(default_factory=MetricsSettings)
    service: ServiceSettings = field(default_factory=ServiceSettings)
    web: WebSettings = field(default_factory=WebSettings)
    privacy: PrivacySettings = field(default_factory=PrivacySettings)

    @property
    def trusted_authserv_ids(self) -> list[str]:
        """The configured ids (presets resolved), else the domain of the
        sending address. "microsoft" names no id: see the next property."""
        configured = self.responder.trusted_authserv_ids
        if not configured:
            return [self.smtp.from_address.rpartition("@")[2].lower()]
        return [
            AUTHSERV_PRESETS.get(name.lower(), name)
            for name in configured
            if name.lower() != "microsoft"
        ]

    @property
    def trust_topmost_authentication_results(self) -> bool:
        """Whether the topmost Authentication-Results without an authserv-id
        counts: asked for outright, or by the "microsoft" preset when the
        mailbox is read from Microsoft 365 (the only one who wrote it then)."""
        if self.responder.trust_topmost_authentication_results:
            return True
        presets = {name.lower() for name in self.responder.trusted_authserv_ids}
        return (
            "microsoft" in presets
            and self.source.kind == "imap"
            and self.imap.auth == "oauth2"
            and self.oauth.provider == "microsoft"
        )

    @property
    def staff_domains(self) -> list[str]:
        """The configured staff domains, else the domain of the sending address."""
        if self.staff.domains:
            return [d.lower().strip().rstrip(".") for d in self.staff.domains]
        return [self.smtp.from_address.rpartition("@")[2].lower()]

    @property
    def alarm_recipients(self) -> list[str]:
        return list(self.service.operators or self.reminders.coordinators)


# [responder] trusted_authserv_ids presets: what each provider writes as the
# authserv-id of its Authentication-Results. Exchange Online ("microsoft")
# writes none at all (Settings.trust_topmost_authentication_results).
AUTHSERV_PRESETS = {"google": "mx.google.com"}

SECRET_KEYS = frozenset(
    {("imap", "password"), ("smtp", "password"), ("oauth", "client_secret")}
)
