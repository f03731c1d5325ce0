"""Erasure, retention, export, key rotation and backup in an encrypted store
(issue 19): written in parallel with encryption at rest, so checked here
together, on SQLite and PostgreSQL.

An erasure by national number finds the sealed number; what was erased is
gone from the database and an erased mail never comes back; export shows the
opened values; rotation after an erasure leaves the report's figures alone;
a backup of an encrypted store is encrypted and reads back with the key.
"""

# ruff: noqa: F811 (the fixtures key_file and keyed come from test_encryption)
from __future__ import annotations

import io
import json
import sqlite3
import time
import zipfile
from pathlib import Path

from sqlalchemy import func, select, text

from store.backup import backup
from store.crypto import Keyring, install, new_key
from store.db import (
    CHECKPOINT_WAIT_MS,
    forget_old_pages,
    make_engine,
    session_factory,
    transaction,
)
from store.erasure import erase_member
from store.inbound import register_inbound
from store.lifecycle import close
from store.member_export import export_member
from store.member_lookup import member_query
from store.models import Case, Message
from store.privacy_keys import SECRET_KEY
from store.queries import show_case
from store.registration_input import CaseRules
from store.rekey import remaining, rotate
from store.sealed import SEALED, key_of_stored
from store.workspace import search_cases
from tests.casefactory import mail_case
from tests.test_encryption import (  # noqa: F401
    ATTACHMENT,
    EMAIL,
    FIELD,
    INSZ,
    PHONE,
    SECRET_WORDS,
    key_file,
    keyed,
    register_member_cases,
    stored_bytes,
    write_keys,
)
from tests.test_erasure import _record_of, _report

TZ = "Europe/Brussels"


def _second_case(sessions) -> str:
    """A second complaint of the same member: a repeat member in the report."""
    return mail_case(sessions, 2, email=EMAIL, insz=INSZ, phone=PHONE)


def test_erasure_by_national_number_in_an_encrypted_store(
    db_url: str, keyed, key_file: Path, make_config, cli
) -> None:
    by_mail, by_post = register_member_cases(keyed)
    second = _second_case(keyed)
    again = _record_of(keyed, by_mail)
    with transaction(keyed) as session:
        close(session, by_mail, "els")
    config = make_config(db_url, privacy={"key_file": str(key_file)})
    year = show_case_year(keyed, by_mail)
    before = _report(cli, config, year)
    assert before["repeat_members"] == 1
    erased = cli(
        "--config", config, "member", "erase", "--insz", "850730 033 28",
        "--reason", "verzoek", "--force",
    )  # fmt: skip
    assert erased.code == 0, erased.err
    assert erased.out == f"erased: {by_mail}, {second}; 2 messages\n"
    assert _report(cli, config, year) == before
    # The pseudonyms' secret is sealed too: beside them in clear it would
    # give the erased national numbers back to a copy of the database.
    assert stored_secret(db_url).startswith(SEALED)
    # Also not in SQLite's -wal file, which kept the pages as they were.
    held = stored_bytes(db_url)
    for value in (EMAIL.encode(), SECRET_WORDS.lower().encode(), FIELD.encode()):
        assert value not in held
    with transaction(keyed) as session:
        assert show_case(session, by_post, TZ)["member"]["street"] is not None
        assert search_cases(session, INSZ, TZ) == []
        assert search_cases(session, EMAIL, TZ) == []
        count = select(func.count()).select_from(Message)
        before_count = session.scalar(count)
        register_inbound(session, CaseRules(), again)
    with transaction(keyed) as session:
        assert session.scalar(count) == before_count


def stored_secret(url: str) -> str:
    """The pseudonym secret as the database holds it, not opened."""
    engine = make_engine(url)
    with engine.connect() as connection:
        value = connection.execute(
            text("SELECT value FROM service_state WHERE key = :key"),
            {"key": SECRET_KEY},
        ).scalar_one()
    engine.dispose()
    return (value if isinstance(value, dict) else json.loads(value))["secret"]


def show_case_year(sessions, number: str) -> int:
    with transaction(sessions) as session:
        return int(show_case(session, number, TZ)["received_at"][:4])


def test_purge_in_an_encrypted_store_keeps_the_figures(
    db_url: str, keyed, key_file: Path, make_config, cli
) -> None:
    by_mail, _ = register_member_cases(keyed)
    second = _second_case(keyed)
    with transaction(keyed) as session:
        close(session, by_mail, "els")
        close(session, second, "els")
    config = make_config(db_url, privacy={"key_file": str(key_file)})
    year = show_case_year(keyed, by_mail)
    before = _report(cli, config, year)
    with transaction(keyed) as session:  # closed six years ago
        for case in session.scalars(select(Case).where(Case.closed_at.is_not(None))):
            case.closed_at = case.closed_at.replace(year=case.closed_at.year - 6)
    gone = cli("--config", config, "purge")
    assert gone.code == 0, gone.err
    assert gone.out.splitlines()[1:] == [by_mail, second]
    assert _report(cli, config, year) == before
    assert EMAIL.encode() not in stored_bytes(db_url)
    with transaction(keyed) as session:
        assert show_case(session, by_mail, TZ)["member"]["insz"] is None


def test_export_of_an_encrypted_store_holds_the_opened_values(keyed) -> None:
    by_mail, _ = register_member_cases(keyed)
    with transaction(keyed) as session:
        data = export_member(
            session, member_query(None, INSZ), actor="els", timezone=TZ
        )
    files = zipfile.ZipFile(io.BytesIO(data))
    index = json.loads(files.read("index.json"))
    [case] = index["cases"]
    assert case["number"] == by_mail
    assert (case["member"]["insz"], case["member"]["phone"]) == (INSZ, PHONE)
    assert FIELD in json.dumps(case["form_fields"])
    [eml] = [n for n in files.namelist() if n.endswith(".eml")]
    assert SECRET_WORDS.encode() in files.read(eml)
    attachments = [n for n in files.namelist() if "attachment" in n]
    assert [files.read(n) for n in attachments] == [ATTACHMENT]
    assert INSZ in files.read("index.html").decode()


def test_rotation_after_an_erasure(
    db_url: str, keyed, key_file: Path, make_config, cli
) -> None:
    by_mail, by_post = register_member_cases(keyed)
    second = _second_case(keyed)
    with transaction(keyed) as session:
        erase_member(
            session, member_query(EMAIL, None), reason="verzoek", actor="els",
            force=True,
        )  # fmt: skip
    config = make_config(db_url, privacy={"key_file": str(key_file)})
    year = show_case_year(keyed, second)
    before = _report(cli, config, year)
    write_keys(key_file, new_key(), key_file.read_text().strip())
    engine = make_engine(db_url)
    install(engine, Keyring.from_file(key_file))
    sessions = session_factory(engine)
    rotate(sessions, batch=1)
    with transaction(sessions) as session:
        assert set(remaining(session).values()) == {0}
    newest = Keyring.from_file(key_file).newest_id
    assert key_of_stored(stored_secret(db_url)) == newest
    write_keys(key_file, key_file.read_text().split()[0])
    install(engine, Keyring.from_file(key_file))
    with transaction(sessions) as session:
        assert show_case(session, by_mail, TZ)["member"]["email"] is None
        assert show_case(session, by_post, TZ)["member"]["city"] == "Gent"
    assert _report(cli, config, year) == before
    engine.dispose()


def test_a_backup_of_an_encrypted_store_is_sealed_and_reads_back(
    sqlite_url: str, key_file: Path, tmp_path: Path, make_config, cli
) -> None:
    engine = make_engine(sqlite_url)
    install(engine, Keyring.from_file(key_file))
    sessions = session_factory(engine)
    by_mail, _ = register_member_cases(sessions)
    engine.dispose()
    copy = tmp_path / "copy.db"
    backup(sqlite_url, copy)
    assert INSZ.encode() not in copy.read_bytes()
    assert ATTACHMENT not in copy.read_bytes()
    config = make_config(f"sqlite:///{copy}", privacy={"key_file": str(key_file)})
    shown = cli("--config", config, "case", "show", by_mail, "--format", "json")
    assert shown.code == 0, shown.err
    assert shown.json()["member"]["insz"] == INSZ
    no_key = make_config(f"sqlite:///{copy}")
    refused = cli("--config", no_key, "case", "show", by_mail)
    assert refused.code == 2 and len(refused.err.strip().splitlines()) == 1


def test_forgetting_old_pages_waits_for_a_reader_only_briefly(
    sqlite_url: str,
) -> None:
    path = Path(sqlite_url.split("///", 1)[1])
    wal = path.with_name(path.name + "-wal")
    engine = make_engine(sqlite_url)
    mail_case(session_factory(engine), 1, email=EMAIL)
    reader = sqlite3.connect(path, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases").fetchall()  # an old snapshot
    mail_case(session_factory(engine), 2, email="bert@example.be")
    started = time.monotonic()
    forget_old_pages(engine)
    assert time.monotonic() - started < CHECKPOINT_WAIT_MS / 1000 + 2
    assert wal.stat().st_size > 0  # the reader still needs it
    reader.execute("COMMIT")
    reader.close()
    forget_old_pages(engine)
    assert wal.stat().st_size == 0
    engine.dispose()


def test_a_store_whose_only_sealed_value_is_the_secret_needs_its_key(
    db_url: str, keyed, key_file: Path, make_config, cli
) -> None:
    number = mail_case(keyed, 1, email=EMAIL)
    with transaction(keyed) as session:
        close(session, number, "els")
        erase_member(session, member_query(EMAIL, None), reason="r", actor="els")
    other = write_keys(key_file.with_name("other"), new_key())
    config = make_config(db_url, privacy={"key_file": str(other)})
    status = cli("--config", config, "status")
    assert status.code == 1
    assert "encryption: the store holds data sealed under key" in status.out
    result = cli("--config", config, "case", "close", number)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert "sealed under key" in result.err
