"""Masking of personal data, and the logging configuration that applies it.

The masking tests live here because masking exists for the log lines.
"""

from __future__ import annotations

import io
import json
import logging
from collections import namedtuple

import pytest
import structlog

from service.log_setup import NOISY_LOGGERS, configure_logging
from service.masking import mask_text, mask_value

INSZ_FORMS = ["85.07.30-033.61", "85073003361", "85 07 30 033 61", "850730-033.61"]
PHONE_FORMS = [
    "+32 470 12 34 56",
    "+32470123456",
    "+32 2 123 45 67",
    "0032 470 12 34 56",
    "0470 12 34 56",
    "0470/12.34.56",
    "02/123.45.67",
    "(02) 123 45 67",
    "09-123.45.67",
    "050 12 34 56",
    "+31 6 12345678",
]
ADDRESSES = [
    "Kerkstraat 12",
    "Sint-Pietersnieuwstraat 25 bus 3",
    "Leopoldlaan 3A",
    "Grote Markt 1",
    "Frankrijklei 115",
    "rue de la Loi 16",
    "Avenue Louise 54",
    "Chaussée de Wavre 1234",
    "Hauptstraße 5",
]
# Things an operator needs to read in a log line, which must stay as they are.
KEPT = [
    "KL-2026-00042",
    "uid 12345 uidvalidity 1700000000",
    "port 993",
    "127.0.0.1:8025",
    "0.0.0.0:9100",
    "2026-07-30",
    "2026-07-30T12:30:00.123456Z",
    "2026-07-30T12:30:00+02:00",
    "30/07/2026 14:30",
    "05.01.2026 14:30:15",
    "550e8400-e29b-41d4-a716-446655440000",
    "took 0.512 s, version 0.1.0, 10 messages in 3 seconds",
    "Date: Mon, 30 Jul 2026 12:00:00 +0200",
    "size 12345678 bytes",
]


@pytest.mark.parametrize("insz", INSZ_FORMS)
def test_insz_is_masked_in_every_form(insz: str) -> None:
    assert mask_text(f"INSZ: {insz}, please") == "INSZ: <insz>, please"


@pytest.mark.parametrize("phone", PHONE_FORMS)
def test_phone_numbers_are_masked(phone: str) -> None:
    assert mask_text(f"bel {phone} na 17u") == "bel <phone> na 17u"


@pytest.mark.parametrize("address", ADDRESSES)
def test_street_addresses_are_masked(address: str) -> None:
    assert mask_text(f"adres: {address}, 9000 Gent") == "adres: <address>, 9000 Gent"


def test_email_keeps_first_character_and_domain() -> None:
    text = "van jan.peeters+klacht@example.be aan klachten@fonds.be"
    assert mask_text(text) == "van j***@example.be aan k***@fonds.be"


def test_iban_keeps_only_the_country() -> None:
    text = "IBAN BE68 5390 0754 7034 of BE68539007547034."
    assert mask_text(text) == "IBAN BE<iban> of BE<iban>."


def test_password_in_url_is_masked() -> None:
    url = "postgresql+psycopg://klachten:s3cr3t@db.example:5432/klachten"
    assert (
        mask_text(url) == "postgresql+psycopg://klachten:***@db.example:5432/klachten"
    )


@pytest.mark.parametrize("text", KEPT)
def test_case_numbers_dates_and_ports_are_untouched(text: str) -> None:
    assert mask_text(text) == text


def test_mask_value_by_key() -> None:
    event = {
        "smtp_password": "hunter2",
        "api-token": 1234,
        "credentials": {"user": "x"},
        "name": "Jan Peeters",
        "member_name": "Jan Peeters",
        "street": "Kerkstraat",
        "body": "Ik heb een klacht over mijn terugbetaling.",
        "insz": 85073003361,
        "phone": "0470123456",
        "sender": "Jan Peeters <jan@example.be>",
        "recipient": ["a@x.be", "Piet <piet@y.be>"],
        "message_id": "<CAF123@mail.gmail.com>",
        "case": "KL-2026-00042",
        "attempts": 3,
        "note": "call 0470 12 34 56",
    }
    assert mask_value(event) == {
        "smtp_password": "***",
        "api-token": "***",
        "credentials": "***",
        "name": "<redacted len=11>",
        "member_name": "<redacted len=11>",
        "street": "<redacted len=10>",
        "body": "<redacted len=42>",
        "insz": "<insz>",
        "phone": "<phone>",
        "sender": "j***@example.be",
        "recipient": ["a***@x.be", "p***@y.be"],
        "message_id": "<CAF123@mail.gmail.com>",
        "case": "KL-2026-00042",
        "attempts": 3,
        "note": "call <phone>",
    }


def test_mask_value_recurses_and_keeps_container_types() -> None:
    Pair = namedtuple("Pair", "left right")
    value = [("jan@example.be", 1), {"inner": [Pair("0470 12 34 56", None)]}, b"raw"]
    assert mask_value(value) == [
        ("j***@example.be", 1),
        {"inner": [Pair("<phone>", None)]},
        b"raw",
    ]
    assert isinstance(mask_value(value)[1]["inner"][0], Pair)


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture
def restore_logging():
    """Undo configure_logging, so later tests see the defaults again."""
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    yield
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    structlog.reset_defaults()


SECRET_BITS = ["85.07.30-033.61", "jan@example.be", "0470 12 34 56", "Jan Peeters"]


def _assert_clean(output: str) -> None:
    for bit in SECRET_BITS:
        assert bit not in output


@pytest.mark.usefixtures("restore_logging")
def test_json_output_masks_event_string_and_bound_values() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream)  # a StringIO is no terminal: JSON
    log = structlog.get_logger("service.intake").bind(phone="0470 12 34 56")
    with structlog.contextvars.bound_contextvars(case="KL-2026-00042"):
        log.info(
            "intake.message_registered for 85.07.30-033.61 <jan@example.be>",
            member={"insz": "85.07.30-033.61", "name": "Jan Peeters"},
            error=ValueError("no reply to jan@example.be"),
        )
    _assert_clean(stream.getvalue())
    [line] = _json_lines(stream)
    assert line["event"] == "intake.message_registered for <insz> <j***@example.be>"
    assert line["phone"] == "<phone>"
    assert line["member"] == {"insz": "<insz>", "name": "<redacted len=11>"}
    assert line["error"] == "no reply to j***@example.be"
    assert line["case"] == "KL-2026-00042"
    assert line["level"] == "info"
    assert line["logger"] == "service.intake"
    assert line["timestamp"].endswith("Z")


@pytest.mark.usefixtures("restore_logging")
def test_exception_text_is_masked() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, json=True)
    try:
        raise RuntimeError("mailbox of jan@example.be, tel 0470 12 34 56")
    except RuntimeError:
        structlog.get_logger().exception("smtp.delivery_failed")
    _assert_clean(stream.getvalue())
    [line] = _json_lines(stream)
    assert "RuntimeError: mailbox of j***@example.be, tel <phone>" in line["exception"]


@pytest.mark.usefixtures("restore_logging")
def test_stdlib_loggers_are_routed_masked_and_noisy_ones_quieted() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, level="DEBUG")
    logging.getLogger("apscheduler.scheduler").info("job added for jan@example.be")
    logging.getLogger("sqlalchemy.engine").warning(
        "slow query for %s", "jan@example.be"
    )
    logging.getLogger("klachten.test").debug("lookup", extra={"insz": "85073003361"})
    failure = RuntimeError("no mailbox for jan@example.be")
    logging.getLogger("imapclient").error("imap.select_failed", exc_info=failure)
    _assert_clean(stream.getvalue())
    lines = _json_lines(stream)
    assert [(ln["logger"], ln["level"]) for ln in lines] == [
        ("sqlalchemy.engine", "warning"),
        ("klachten.test", "debug"),
        ("imapclient", "error"),
    ]
    assert lines[0]["event"] == "slow query for j***@example.be"
    assert lines[1]["insz"] == "<insz>"
    assert "message" not in lines[2]
    assert "RuntimeError: no mailbox for j***@example.be" in lines[2]["exception"]
    assert all(logging.getLogger(n).level == logging.WARNING for n in NOISY_LOGGERS)


@pytest.mark.usefixtures("restore_logging")
def test_other_handlers_receive_structlog_events_already_masked(caplog) -> None:
    configure_logging(stream=io.StringIO())
    structlog.get_logger("service.intake").info("x", sender="jan@example.be")
    [record] = [r for r in caplog.records if r.name == "service.intake"]
    assert record.msg["sender"] == "j***@example.be"


@pytest.mark.usefixtures("restore_logging")
def test_console_mode_prints_text() -> None:
    stream = io.StringIO()
    configure_logging(stream=stream, json=False)
    structlog.get_logger("service.intake").warning("imap.login_failed", user="jan@x.be")
    output = stream.getvalue()
    assert "imap.login_failed" in output
    assert "user=j***@x.be" in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output)


@pytest.mark.usefixtures("restore_logging")
def test_calling_twice_replaces_the_handler_and_level() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging(stream=first)
    configure_logging(stream=second, level="WARNING")
    structlog.get_logger().info("scheduler.tick")
    structlog.get_logger().warning("scheduler.job_failed")
    assert first.getvalue() == ""
    assert [ln["event"] for ln in _json_lines(second)] == ["scheduler.job_failed"]


def test_unknown_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="LOUD"):
        configure_logging(level="LOUD", stream=io.StringIO())
