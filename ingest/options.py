"""What the intake pipeline needs from the configuration, read once."""

from __future__ import annotations

from dataclasses import dataclass

from config import Settings
from config.schema import ImapSettings, IngestSettings
from ingest.classify import ClassifierSettings, number_pattern_from_format
from ingest.forms.limits import MIB, FormLimits
from ingest.inbound_builder import RecordOptions


@dataclass(frozen=True)
class IntakeOptions:
    """Everything the pipeline needs from the configuration."""

    classifier: ClassifierSettings
    record: RecordOptions
    max_message_size: int = ImapSettings.max_message_size
    max_attempts: int = IngestSettings.max_attempts
    # Staff mail may run commands ([staff] mail_commands).
    mail_commands: bool = False
    # Mail from this mailbox is the fund's own sent mail ([imap] sent_mailbox).
    sent_mailbox: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> IntakeOptions:
        own = tuple(
            dict.fromkeys(
                a.lower()
                for a in (
                    settings.smtp.from_address,
                    settings.smtp.reply_to,
                    settings.imap.username,
                )
                if a and "@" in a
            )
        )
        classifier = ClassifierSettings(
            number_pattern=number_pattern_from_format(settings.cases.number_format),
            spam_headers=tuple(_spam_rule(r) for r in settings.ingest.spam_headers),
            trusted_authserv_ids=tuple(settings.trusted_authserv_ids),
            trust_topmost_results=settings.trust_topmost_authentication_results,
            own_addresses=own,
            staff_domains=tuple(settings.staff_domains),
            staff_addresses=tuple(a.lower() for a in settings.staff.addresses),
            trust_unauthenticated_staff=settings.staff.trust_unauthenticated,
        )
        record = RecordOptions(
            default_language=settings.cases.default_language,
            categories=tuple(settings.cases.categories),
            category_keywords=settings.cases.category_keywords,
            own_addresses=own,
            ocr_timeout=settings.ingest.ocr_timeout,
            ocr_max_pages=settings.ingest.ocr_max_pages,
            form_limits=form_limits(settings),
        )
        return cls(
            classifier=classifier,
            record=record,
            max_message_size=settings.imap.max_message_size,
            max_attempts=settings.ingest.max_attempts,
            mail_commands=settings.staff.mail_commands,
            sent_mailbox=settings.imap.sent_mailbox,
        )


def _spam_rule(text: str) -> tuple[str, str]:
    name, _, value = text.partition(":")
    return name.strip().lower(), value.strip()


def form_limits(settings: Settings) -> FormLimits:
    """The limits form workers run under ([ingest] form_* keys)."""
    ingest = settings.ingest
    return FormLimits(
        workers=ingest.form_workers,
        cpu_seconds=ingest.form_cpu_seconds,
        seconds=ingest.form_seconds,
        memory_bytes=ingest.form_memory_mb * MIB,
        message_cpu_seconds=ingest.message_form_cpu_seconds,
        message_seconds=ingest.message_form_seconds,
        max_unpacked_bytes=ingest.max_unpacked_bytes,
    )
