"""The configuration schema: every key once, with its type, default and meaning.

A file holding only the keys of the foundation issue is complete; everything else
has a default here. `config/klachten.example.toml` documents the same keys for
operators.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from config.machine_addresses import suppression_defaults


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
    regional_offices: list[str] = field(default_factory=list)
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
    # Empty: the domain of smtp.from_address.
    trusted_authserv_ids: list[str] = field(default_factory=list)
    per_address_limit: int = 5  # acknowledgements per address per 24 hours
    # Mails to members per hour, all addresses together; beyond it mail waits
    # in the outbox (never dropped) and `status` says so.
    hourly_limit: int = 5000
    # Never answered (fnmatch); by default the machine addresses' local parts.
    suppression: list[str] = field(default_factory=suppression_defaults)
    templates_dir: str = ""
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
    """What the store keeps about members, and how."""

    # Encryption at rest: a file of keys (newest first, one base64 key a
    # line; `klachten privacy new-key`). Empty: $CREDENTIALS_DIRECTORY/
    # privacy.key when systemd provides it, else the store is not encrypted.
    key_file: str = ""


@dataclass(frozen=True)
class Settings:
    imap: ImapSettings = field(default_factory=ImapSettings)
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
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
        """The configured ids, else the domain of the sending address."""
        if self.responder.trusted_authserv_ids:
            return list(self.responder.trusted_authserv_ids)
        return [self.smtp.from_address.rpartition("@")[2].lower()]

    @property
    def staff_domains(self) -> list[str]:
        """The configured staff domains, else the domain of the sending address."""
        if self.staff.domains:
            return [d.lower().strip().rstrip(".") for d in self.staff.domains]
        return [self.smtp.from_address.rpartition("@")[2].lower()]

    @property
    def alarm_recipients(self) -> list[str]:
        return list(self.service.operators or self.reminders.coordinators)


SECRET_KEYS = frozenset({("imap", "password"), ("smtp", "password")})
