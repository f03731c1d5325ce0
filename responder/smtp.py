"""One mail transaction over an open SMTP connection (mailconn.smtp opens it).

`send` speaks MAIL, RCPT and DATA itself instead of calling
`smtplib.SMTP.sendmail`, because we want the server's reply to DATA (the queue
id, "250 2.0.0 Ok: queued as ...") on record, and because we classify every
refusal ourselves: 4xx is temporary, 5xx permanent.
"""

from __future__ import annotations

import smtplib
from collections.abc import Sequence
from dataclasses import dataclass


class SendFailure(Exception):
    """The server refused one mail; `permanent` for 5xx replies."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code} {text}".strip())
        self.code = code
        self.text = text

    @property
    def permanent(self) -> bool:
        return 500 <= self.code < 600


@dataclass(frozen=True)
class SendResult:
    """Accepted: the reply to DATA, and recipients refused while others were taken."""

    reply: str
    refused: tuple[str, ...] = ()


def send(
    client: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes
) -> SendResult:
    """One mail transaction; raises SendFailure on a refusal, OSError or
    SMTPServerDisconnected when the connection breaks."""
    try:
        return _transaction(client, sender, recipients, data)
    except smtplib.SMTPResponseException as exc:
        # smtplib raises (instead of returning) when DATA is not answered 354.
        _abort(client, exc.smtp_code)
        raise SendFailure(exc.smtp_code, _text(exc.smtp_error)) from None


def _transaction(
    client: smtplib.SMTP, sender: str, recipients: Sequence[str], data: bytes
) -> SendResult:
    # MAIL and RCPT without smtplib's quoteaddr, which parses each address
    # with the email package: ours are plain addresses (compose refuses
    # others), and putcmd still refuses a line break in them.
    code, text = client.docmd("MAIL", f"FROM:<{sender.strip()}>")
    if code != 250:
        _abort(client, code)
        raise SendFailure(code, _text(text))
    refused: dict[str, tuple[int, str]] = {}
    for recipient in recipients:
        code, text = client.docmd("RCPT", f"TO:<{recipient.strip()}>")
        if code not in (250, 251):
            refused[recipient] = (code, _text(text))
    if len(refused) == len(recipients):
        _abort(client, 0)
        # A temporary refusal of any recipient makes the whole mail worth
        # retrying; otherwise the most telling (first) refusal is final.
        code, text = min(refused.values(), key=lambda item: item[0])
        raise SendFailure(code, text)
    code, text = client.data(data)
    if code != 250:
        _abort(client, code)
        raise SendFailure(code, _text(text))
    return SendResult(reply=f"{code} {_text(text)}", refused=tuple(refused))


def _abort(client: smtplib.SMTP, code: int) -> None:
    """Reset the transaction so the connection can carry the next mail; after
    421 the server is closing, so we close too."""
    if code == 421:
        client.close()
        return
    try:
        client.rset()
    except (smtplib.SMTPException, OSError):
        client.close()


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(reply.split())
