"""The words of the store: every status, channel, class, outcome, flag and mail kind.

Each list of values is written out here and nowhere else: the command line's
choices, the database's CHECK constraints (store/models.py), the report and
the intake rules all derive from these enumerations. The members are `str`
subclasses whose value is the string the database and the JSON output have
always held, so `Status.IN_PROGRESS == "in_progress"` and JSON shows
"in_progress".
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Status(StrEnum):
    """Where a case stands in its lifecycle."""

    REGISTERED = "registered"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    CLOSED = "closed"
    # A person decided it is not a complaint (`Reclassification`): out of the
    # open list, the reminders and the yearly counts.
    RECLASSIFIED = "reclassified"


# A case is done once answered or closed: no reminders, no lateness.
DONE_STATUSES: tuple[Status, ...] = (Status.ANSWERED, Status.CLOSED)
OPEN_STATUSES: tuple[Status, ...] = tuple(
    s for s in Status if s not in (*DONE_STATUSES, Status.RECLASSIFIED)
)


class Reclassification(StrEnum):
    """What a case that is not a complaint is instead (`case reclassify --as`)."""

    STAFF = "staff"
    QUESTION = "question"
    SPAM = "spam"
    DUPLICATE = "duplicate"


class Channel(StrEnum):
    """How a complaint reached the service."""

    EMAIL = "email"
    FORM = "form"
    E_LOKET = "e-loket"
    CONTACT_FORM = "contact-form"
    POST = "post"
    ORAL = "oral"


# The channels a person registers by hand (`case register --channel`); e-mail
# and e-mailed forms come in through intake.
REGISTER_CHANNELS: tuple[Channel, ...] = (
    Channel.POST,
    Channel.ORAL,
    Channel.E_LOKET,
    Channel.CONTACT_FORM,
)


class MessageClass(StrEnum):
    """What an inbound message is, decided by the classifier (or quarantine)."""

    COMPLAINT = "complaint"
    FOLLOW_UP = "follow_up"
    # Mail from the fund's own people: never a complaint, never acknowledged.
    STAFF = "staff"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"
    LIST = "list"
    SPAM = "spam"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"


# The classes the classifier can give; quarantine is decided by intake when a
# message cannot be handled at all.
CLASSIFIER_CLASSES: tuple[MessageClass, ...] = tuple(
    c for c in MessageClass if c is not MessageClass.QUARANTINED
)
# Messages that open or continue a case (forms are read only for these).
CASE_CLASSES: tuple[MessageClass, ...] = (
    MessageClass.COMPLAINT,
    MessageClass.FOLLOW_UP,
)
NON_COMPLAINT_CLASSES: tuple[MessageClass, ...] = tuple(
    c for c in MessageClass if c not in CASE_CLASSES
)


class Outcome(StrEnum):
    """The verdict recorded when a case is answered."""

    FOUNDED = "founded"
    PARTLY_FOUNDED = "partly-founded"
    UNFOUNDED = "unfounded"
    WITHDRAWN = "withdrawn"
    NOT_ADMISSIBLE = "not-admissible"


class Flag(StrEnum):
    """Marks on a case or an attachment, shown in `flags` of the JSON."""

    NEEDS_REVIEW = "needs_review"
    SENDER_UNVERIFIED = "sender_unverified"
    AWAITING_LETTER = "awaiting_letter"
    # A case to answer by post whose member has neither an e-mail address
    # nor a whole postal address (street, postcode, municipality).
    AWAITING_ADDRESS = "awaiting_address"
    ACK_NOT_SENT = "ack_not_sent"
    OMBUDSDIENST = "ombudsdienst"
    # Member details read from forms or typed on the command line.
    FORMS_DISAGREE = "forms_disagree"
    NO_CONTACT_ADDRESS = "no_contact_address"
    EMAIL_INVALID = "email_invalid"
    INSZ_INVALID = "insz_invalid"
    POSTCODE_INVALID = "postcode_invalid"
    PHONE_INVALID = "phone_invalid"
    CATEGORY_UNKNOWN = "category_unknown"
    # The category was suggested from the complaint's words: a person confirms.
    CATEGORY_SUGGESTED = "category_suggested"
    # Attachments the form readers could not or would not read.
    OCR_UNAVAILABLE = "ocr_unavailable"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    # Not read: its form reader ran out of time (ingest/forms/limits.py).
    ATTACHMENT_TOO_SLOW = "attachment_too_slow"
    ATTACHMENT_CORRUPT = "attachment_corrupt"
    ATTACHMENT_ARCHIVE = "attachment_archive"
    ATTACHMENT_MACRO = "attachment_macro"
    ATTACHMENT_ENCRYPTED = "attachment_encrypted"
    # An attachment that is the member's written confirmation.
    CONFIRMATION = "confirmation"
    # The mail came under a Message-ID an earlier, different mail carried
    # (store/message_identity.py); also the kind of the message's event.
    MESSAGE_ID_REUSED = "message_id_reused"
    # A case whose messages, attachments and events moved into another one.
    MERGED = "merged"
    # The member's personal data was removed (erasure on request or
    # retention, store/erasure.py); the anonymous facts stay.
    ERASED = "erased"
    # Registered again by `klachten reconcile` after a restore: the mailbox
    # showed it processed, the restored store did not hold it.
    RESTORED = "restored"
    # A delivery report returned our acknowledgement or answer: the member
    # did not get it (store/bounces.py); shown in the next reminder.
    ACK_BOUNCED = "ack_bounced"
    ANSWER_BOUNCED = "answer_bounced"
    # The member wrote again after the answer (or the closing): a person reads
    # it; cleared when staff acts on the case.
    MEMBER_REPLIED = "member_replied"


class MailKind(StrEnum):
    """What an outbox mail is; also the first word of its delivery events."""

    ACKNOWLEDGEMENT = "acknowledgement"
    ANSWER = "answer"
    # A coordinator's mail to the member from a template (`case write`).
    MEMBER_MAIL = "member_mail"
    REMINDER = "reminder"
    DIGEST = "digest"
    DELIVERY_FAILED = "delivery_failed"
    STALL_ALARM = "stall_alarm"
    # To a staff member whose answer by mail lacked the ombudsdienst mention.
    ANSWER_INCOMPLETE = "answer_incomplete"
    # To the assignee (or the coordinators): the member replied after the answer.
    MEMBER_REPLIED = "member_replied"
    # To a staff member whose mail command was not understood.
    COMMAND_REPLY = "command_reply"


class Audience(StrEnum):
    """Who an outbox mail is for; also the template directory."""

    MEMBER = "member"
    COORDINATOR = "coordinator"
    OPERATOR = "operator"


class MailStatus(StrEnum):
    """Where an outbox mail stands. Nothing is removed from the outbox."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


# Still to go out: waiting, or claimed by a worker that may have died.
UNSENT_MAIL_STATUSES: tuple[MailStatus, ...] = (MailStatus.PENDING, MailStatus.SENDING)
# The skip reason of a mail still unsent when its member's data was erased
# (store/erasure.py): the yearly report does not count it as not sent.
ERASED_SKIP_REASON = "member data erased"


class Role(StrEnum):
    """What a workspace account may do, each role all of the one before."""

    VIEWER = "viewer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class MemberTemplate(StrEnum):
    """The mails a coordinator writes to a member (`case write --template`)."""

    REQUEST_INFO = "request-info"
    REQUEST_CONFIRMATION = "request-confirmation"
    DELAY = "delay"


class OwnHeader(StrEnum):
    """Headers of the mail we send that our own code reads back (a sent
    folder after a restore, a member's reply)."""

    CASE = "X-Klachten-Case"  # the case number
    COMPLAINT = "X-Klachten-Complaint"  # sha256 of the complaint acknowledged


def values(words: Iterable[StrEnum]) -> tuple[str, ...]:
    """The plain strings of an enumeration or a set of its members, in order.

    For argparse's choices: its "invalid choice" line shows each choice's
    repr, which is 'post' for a string and <Channel.POST: 'post'> for a member.
    """
    return tuple(word.value for word in words)
