"""Sent copies: every mail the service sends lands \\Seen in [imap]
sent_copy_mailbox after the SMTP server took it; a failed append is retried
and never sends the mail again. Real Dovecot and the SMTP test server."""

from __future__ import annotations

import time

from tests.intake_mail import complaint, imap_sections

SENT = "Sent Items"


def _config(make_config, db_url, imap, smtp_server, **imap_values):
    return make_config(
        db_url,
        imap=imap_sections(imap, sent_copy_mailbox=SENT, **imap_values),
        smtp={"host": smtp_server.host, "port": smtp_server.port},
    )


def test_sent_mail_is_copied_seen_to_the_sent_folder(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    # The copies go to the sent folder that intake also reads.
    config = _config(make_config, db_url, imap, smtp_server, sent_mailbox=SENT)
    imap.append(complaint(sender="jan.peeters@example.be"))
    assert cli("--config", config, "run", "--once").code == 0
    (ack,) = smtp_server.wait_for(1)
    (uid,) = imap.list_uids(SENT)
    assert imap.fetch_flags(SENT)[uid] == {"\\Seen"}
    copy = imap.fetch_raw(uid, SENT)
    assert ack.message["Message-ID"].encode() in copy
    assert cli("--config", config, "run", "--once").code == 0
    assert imap.list_uids(SENT) == [uid]  # copied once
    # Read back from the sent folder, our own copy joins nothing.
    (case,) = cli("--config", config, "cases", "list", "--format", "json").json()
    assert case["message_count"] == 1
    (own,) = cli("--config", config, "messages", "list", "--class", "staff",
                 "--format", "json").json()  # fmt: skip
    assert own["case"] is None


def test_failed_append_is_retried_without_resending(
    cli, make_config, db_url, imap, smtp_server
) -> None:
    # The IMAP server refuses the login: the mail goes out, its copy waits.
    broken = _config(make_config, db_url, imap, smtp_server, password="wrong")
    registered = cli(
        "--config", broken, "case", "register", "--channel", "post",
        "--received-at", "2026-12-01", "--name", "Anna Peeters",
        "--email", "anna.peeters@example.be",
        "--description", "Brief: mijn terugbetaling is te laat.",
    )  # fmt: skip
    assert registered.code == 0, registered.err
    smtp_server.wait_for(1)
    assert SENT not in imap.list_mailboxes()

    config = _config(make_config, db_url, imap, smtp_server)
    assert cli("--config", config, "run", "--once").code == 0
    (uid,) = imap.list_uids(SENT)
    assert imap.fetch_flags(SENT)[uid] == {"\\Seen"}
    time.sleep(1.0)
    assert len(smtp_server.received) == 1  # never sent again
