"""Encryption at rest ([privacy] key_file), on SQLite and PostgreSQL.

With a key, what the database holds (read from the file, or row by row as
PostgreSQL prints it) has no national number, phone number, address, raw
mail, attachment, form field or description in clear; everything reads back
and search finds a case by its national number in any formatting, its
e-mail and its phone. Without one the store is as before.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from store.crypto import KeyProblem, Keyring, install, new_key
from store.db import make_engine, session_factory, transaction
from store.member import Member
from store.models import Base
from store.queries import CaseFilter, list_cases, show_case
from store.registration import register_case
from store.registration_input import NewCase
from store.rekey import remaining, rotate
from tests.casefactory import RULES, mail_case

INSZ = "85.07.30-033.28"
PHONE = "0470 12 34 56"
STREET = "Zonnebloemstraat 117"
SECRET_WORDS = "Kniepijnverhaal-Xq"  # only in the description and the raw mail
ATTACHMENT = b"%PDF-1.4 attachment-bytes-Zq9"
FIELD = "Veldwaarde-Wk7"
EMAIL = "elodie.dupre@example.be"


def write_keys(path: Path, *keys: str) -> Path:
    path.write_text("\n".join(keys) + "\n", encoding="ascii")
    return path


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return write_keys(tmp_path / "keys", new_key())


@pytest.fixture
def keyed(db_url: str, key_file: Path) -> Iterator:
    engine = make_engine(db_url)
    install(engine, Keyring.from_file(key_file))
    yield session_factory(engine)
    engine.dispose()


def register_member_cases(sessions) -> tuple[str, str]:
    by_mail = mail_case(
        sessions,
        1,
        email=EMAIL,
        insz=INSZ,
        phone=PHONE,
        body=f"{SECRET_WORDS}: mijn rijksregisternummer is {INSZ}.",
        attachment=ATTACHMENT,
        fields=(("omschrijving", FIELD),),
    )
    new = NewCase(
        channel="post",
        received_at=datetime.now(UTC),
        language="nl",
        member=Member(name="Jan Janssens", street=STREET, postcode="9000", city="Gent"),
        description="Per brief.",
    )
    with transaction(sessions) as session:
        by_post = register_case(session, RULES, new).number
    return by_mail, by_post


def stored_bytes(url: str) -> bytes:
    """Everything the database holds, as bytes to look into."""
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        wal = path.with_name(path.name + "-wal")
        return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    engine = make_engine(url)
    chunks = []
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = connection.execute(text(f"SELECT CAST(t AS text) FROM {table} t"))
            chunks.extend(row[0].encode() for row in rows)
    engine.dispose()
    return b"\n".join(chunks)


def clear_forms(value: bytes) -> list[bytes]:
    """A value as it would show in clear: as is, and as PostgreSQL's bytea hex."""
    return [value, value.hex().encode()]


def test_nothing_personal_in_clear(db_url: str, keyed) -> None:
    register_member_cases(keyed)
    keyed.kw["bind"].dispose()
    held = stored_bytes(db_url)
    for secret in (INSZ, "85073003328", PHONE, "0470123456", STREET, FIELD):
        assert secret.encode() not in held, secret
    for secret in (SECRET_WORDS.encode(), ATTACHMENT):
        for form in clear_forms(secret):
            assert form not in held, secret
    # What the full-text index keeps: the words of the text, in clear.
    assert b"rijksregisternummer" in held


def test_everything_reads_back_and_is_found(keyed) -> None:
    by_mail, by_post = register_member_cases(keyed)
    with transaction(keyed) as session:
        case = show_case(session, by_mail, "Europe/Brussels")
        post = show_case(session, by_post, "Europe/Brussels")
    assert case["member"]["insz"] == INSZ
    assert case["member"]["phone"] == PHONE
    assert SECRET_WORDS in case["messages"][0]["text"]
    assert case["form_fields"][0]["value"] == FIELD
    assert post["member"]["street"] == STREET
    queries = (INSZ, "85073003328", "85 07 30 033 28", EMAIL, PHONE, "+32470123456")
    for query in queries:
        with transaction(keyed) as session:
            cases = list_cases(session, CaseFilter(q=query), "UTC")
        found = [c["number"] for c in cases]
        assert found == [by_mail], query


def test_attachment_and_raw_mail_read_back(keyed) -> None:
    from sqlalchemy import select

    from store.models import Attachment, Message

    mail_case(keyed, 2, attachment=ATTACHMENT, body=SECRET_WORDS)
    with transaction(keyed) as session:
        assert session.scalars(select(Attachment.data)).one() == ATTACHMENT
        assert SECRET_WORDS.encode() in session.scalars(select(Message.raw)).one()


def test_a_wrong_key_is_one_clear_error(db_url: str, keyed, tmp_path: Path) -> None:
    number, _ = register_member_cases(keyed)
    engine = make_engine(db_url)
    install(engine, Keyring.from_file(write_keys(tmp_path / "other", new_key())))
    sessions = session_factory(engine)
    with (
        pytest.raises(KeyProblem, match="does not hold"),
        transaction(sessions) as session,
    ):
        show_case(session, number, "Europe/Brussels")
    install(engine, None)
    with (
        pytest.raises(KeyProblem, match="key_file is needed"),
        transaction(sessions) as session,
    ):
        show_case(session, number, "Europe/Brussels")
    engine.dispose()


def test_rotation_moves_everything_to_the_new_key(
    db_url: str, keyed, key_file: Path
) -> None:
    by_mail, _ = register_member_cases(keyed)
    old = key_file.read_text().strip()
    newer = new_key()
    write_keys(key_file, newer, old)
    engine = make_engine(db_url)
    install(engine, Keyring.from_file(key_file))
    sessions = session_factory(engine)
    done = rotate(sessions, batch=1)
    assert done.resealed["cases"] == 2 and done.resealed["attachments"] == 1
    with transaction(sessions) as session:
        assert set(remaining(session).values()) == {0}
    # The old key can go: everything opens, and is found, with the new one.
    write_keys(key_file, newer)
    install(engine, Keyring.from_file(key_file))
    with transaction(sessions) as session:
        assert show_case(session, by_mail, "UTC")["member"]["insz"] == INSZ
        found = list_cases(session, CaseFilter(q="85073003328"), "UTC")
    assert [c["number"] for c in found] == [by_mail]
    engine.dispose()


def test_a_store_in_clear_gets_sealed_by_rotation(sessions, key_file: Path) -> None:
    number, _ = register_member_cases(sessions)
    engine = sessions.kw["bind"]
    install(engine, Keyring.from_file(key_file))
    with transaction(sessions) as session:
        assert remaining(session)["cases"] == 2  # readable while still in clear
        assert show_case(session, number, "UTC")["member"]["insz"] == INSZ
    rotate(sessions)
    with transaction(sessions) as session:
        assert set(remaining(session).values()) == {0}
        assert show_case(session, number, "UTC")["member"]["phone"] == PHONE
    install(engine, None)


def test_a_mail_cannot_pass_for_a_sealed_value(sessions) -> None:
    forged = "kc1$" + base64.b64encode(b"\0" * 40).decode()
    number = mail_case(sessions, 3, body=forged, attachment=b"kc1$" + b"\0" * 40)
    with transaction(sessions) as session:
        case = show_case(session, number, "UTC")
    assert case["messages"][0]["text"] == forged


def test_bad_key_files_are_refused(tmp_path: Path) -> None:
    for content, reason in (
        ("", "holds no key"),
        ("not base64!\n", "not base64"),
        (base64.b64encode(b"short").decode(), "32-byte key"),
    ):
        with pytest.raises(KeyProblem, match=reason):
            Keyring.from_file(write_keys(tmp_path / "k", content))
    with pytest.raises(KeyProblem, match="No such file"):
        Keyring.from_file(tmp_path / "missing")


def test_an_edit_keeps_the_old_national_number_sealed(db_url: str, keyed) -> None:
    from store.case_edit import EditRules, edit_case

    number = mail_case(keyed, 4, insz=INSZ)
    with transaction(keyed) as session:
        edit_case(
            session, EditRules(), number, {"member.insz": "90.02.01-123.05"}, "an"
        )
    keyed.kw["bind"].dispose()
    assert INSZ.encode() not in stored_bytes(db_url)
    with transaction(keyed) as session:
        events = show_case(session, number, "UTC")["events"]
    edited = [e["details"] for e in events if e["kind"] == "edited"]
    assert edited == [{"field": "member.insz", "old": INSZ, "new": "90.02.01-123.05"}]


def test_repeat_members_are_counted_in_an_encrypted_store(keyed) -> None:
    from store.report_data import year_counts, year_window

    mail_case(keyed, 5, insz=INSZ)
    mail_case(keyed, 6, insz=INSZ)
    year = datetime.now(UTC).year
    with transaction(keyed) as session:
        counts = year_counts(session, year_window(year, "Europe/Brussels"))
    assert counts.repeat_members == 1


def test_without_a_key_the_same_reading_finds_them(db_url: str, sessions) -> None:
    """The check above can fail: in a store without a key it sees everything."""
    register_member_cases(sessions)
    sessions.kw["bind"].dispose()
    held = stored_bytes(db_url)
    for secret in (INSZ, PHONE, STREET, FIELD, SECRET_WORDS):
        assert secret.encode() in held, secret
    assert any(form in held for form in clear_forms(ATTACHMENT))


def test_an_altered_value_is_refused_not_misread(keyed) -> None:
    from sqlalchemy import column, table, update

    number = mail_case(keyed, 7, insz=INSZ)
    plain = table("cases", column("number"), column("member_insz"))
    with transaction(keyed) as session:
        stored = session.execute(select_insz(plain, number)).scalar_one()
        altered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
        session.execute(
            update(plain).where(plain.c.number == number).values(member_insz=altered)
        )
    with (
        pytest.raises(KeyProblem, match="does not authenticate"),
        transaction(keyed) as session,
    ):
        show_case(session, number, "UTC")


def select_insz(plain, number: str):
    from sqlalchemy import select

    return select(plain.c.member_insz).where(plain.c.number == number)


def test_a_running_process_takes_a_new_key_from_its_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What lets rotate-key run beside the daemon: values sealed under a key
    put in the file later open, and new values are sealed under it."""
    import store.crypto

    old, newer = new_key(), new_key()
    path = write_keys(tmp_path / "keys", old)
    running = Keyring.from_file(path)
    other = Keyring.from_file(write_keys(tmp_path / "other", newer))
    sealed = other.seal(b"sealed by rotate-key")
    write_keys(path, newer, old)
    assert running.open(sealed) == b"sealed by rotate-key"  # read again on demand
    sealing = Keyring.from_file(write_keys(tmp_path / "third", old))
    write_keys(tmp_path / "third", newer, old, "# the new key first")
    assert sealing.newest_id != other.newest_id  # looked at every few seconds
    monkeypatch.setattr(store.crypto, "RELOAD_EVERY", 0.0)
    assert sealing.newest_id == other.newest_id
