"""Accounts of the workspace: store functions on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from store import accounts
from store.db import transaction
from store.errors import NotFound, UserError
from store.models import Account, Event, utcnow

PASSWORD = "correct horse battery"


def _add(sessions, email="Coord@LibMutov.be", role="coordinator", password=PASSWORD):
    with transaction(sessions) as session:
        return accounts.add_account(session, email, "An Coord", role, password, "root")


def _verify(sessions, email, password, addr="10.0.0.1", now=None):
    with transaction(sessions) as session:
        return accounts.verify(session, email, password, addr, now=now)


def test_add_stores_the_address_lower_cased_and_hashes_the_password(sessions):
    info = _add(sessions)
    assert info.email == "coord@libmutov.be"
    assert info.role == "coordinator" and info.has_password and not info.disabled
    with transaction(sessions) as session:
        row = session.scalars(select(Account)).one()
        assert row.password_hash.startswith("$argon2id$")
        assert PASSWORD not in row.password_hash
        event = session.scalars(select(Event)).one()
        assert (event.kind, event.actor) == ("account_added", "root")
        assert event.details == {"email": "coord@libmutov.be", "role": "coordinator"}


def test_an_address_has_one_account_whatever_its_spelling(sessions):
    _add(sessions)
    with pytest.raises(UserError, match="exists already"):
        _add(sessions, email="COORD@libmutov.BE")
    with transaction(sessions) as session:
        assert len(accounts.list_accounts(session)) == 1


@pytest.mark.parametrize(
    ("email", "role", "password", "message"),
    [
        ("not-an-address", "viewer", PASSWORD, "invalid e-mail"),
        ("a@libmutov.be", "boss", PASSWORD, "unknown role"),
        ("a@libmutov.be", "viewer", "short", "at least 10"),
    ],
)
def test_bad_input_adds_nothing(sessions, email, role, password, message):
    with pytest.raises(UserError, match=message):
        _add(sessions, email=email, role=role, password=password)
    with transaction(sessions) as session:
        assert accounts.list_accounts(session) == []
        assert session.scalars(select(Event)).all() == []


def test_sign_in_with_the_right_password_in_any_spelling(sessions):
    _add(sessions)
    result = _verify(sessions, " COORD@libmutov.be", PASSWORD)
    assert result.ok and result.account.email == "coord@libmutov.be"
    assert result.account.last_sign_in_at is not None
    wrong = _verify(sessions, "coord@libmutov.be", PASSWORD + "x")
    assert not wrong.ok and wrong.reason == accounts.INVALID


def test_unknown_account_reads_as_a_wrong_password(sessions):
    result = _verify(sessions, "nobody@libmutov.be", PASSWORD)
    assert (result.account, result.reason) == (None, accounts.INVALID)


def test_sso_only_account_cannot_sign_in_with_a_password(sessions):
    _add(sessions, password=None)
    result = _verify(sessions, "coord@libmutov.be", "anything at all")
    assert result.reason == accounts.NO_PASSWORD
    with transaction(sessions) as session:
        found = accounts.find_account(session, "Coord@libmutov.be")
        assert found is not None and not found.has_password


def test_five_failures_lock_the_account_for_fifteen_minutes(sessions):
    _add(sessions)
    start = utcnow()
    for i in range(accounts.MAX_FAILURES):
        result = _verify(sessions, "coord@libmutov.be", "wrong", f"10.0.0.{i}", start)
        assert result.reason == accounts.INVALID
    # Locked: even the right password, from a fresh address.
    locked = _verify(
        sessions,
        "coord@libmutov.be",
        PASSWORD,
        "10.9.9.9",
        start + timedelta(1 / 24 / 6),
    )
    assert locked.reason == accounts.LOCKED
    later = start + accounts.LOCK + timedelta(seconds=1)
    assert _verify(sessions, "coord@libmutov.be", PASSWORD, "10.9.9.9", later).ok


def test_five_failures_lock_the_address_for_every_account(sessions):
    _add(sessions)
    start = utcnow()
    for i in range(accounts.MAX_FAILURES):
        _verify(sessions, f"guess{i}@libmutov.be", "wrong", "192.0.2.7", start)
    blocked = _verify(sessions, "coord@libmutov.be", PASSWORD, "192.0.2.7", start)
    assert blocked.reason == accounts.LOCKED
    assert _verify(sessions, "coord@libmutov.be", PASSWORD, "192.0.2.8", start).ok


def test_failures_spread_beyond_the_window_do_not_lock(sessions):
    _add(sessions)
    start = utcnow()
    for i in range(accounts.MAX_FAILURES + 2):
        at = start + i * (accounts.WINDOW / 3)
        _verify(sessions, "coord@libmutov.be", "wrong", f"10.1.0.{i}", at)
    end = start + (accounts.MAX_FAILURES + 2) * (accounts.WINDOW / 3)
    assert _verify(sessions, "coord@libmutov.be", PASSWORD, "10.2.0.1", end).ok


def test_a_success_resets_the_account_count(sessions):
    _add(sessions)
    now = utcnow()
    for _ in range(accounts.MAX_FAILURES - 1):
        _verify(sessions, "coord@libmutov.be", "wrong", "10.0.0.1", now)
    assert _verify(sessions, "coord@libmutov.be", PASSWORD, "10.0.0.2", now).ok
    _verify(sessions, "coord@libmutov.be", "wrong", "10.0.0.3", now)
    assert _verify(sessions, "coord@libmutov.be", PASSWORD, "10.0.0.4", now).ok


def test_disabled_account_cannot_sign_in(sessions):
    _add(sessions)
    with transaction(sessions) as session:
        info = accounts.disable_account(session, "coord@libmutov.be", "root")
    assert info.disabled
    assert _verify(sessions, "coord@libmutov.be", PASSWORD).reason == accounts.DISABLED
    with (
        pytest.raises(UserError, match="disabled already"),
        transaction(sessions) as session,
    ):
        accounts.disable_account(session, "coord@libmutov.be", "root")


def test_set_password_replaces_the_old_one_and_clears_the_lock(sessions):
    _add(sessions)
    now = utcnow()
    for _ in range(accounts.MAX_FAILURES):
        _verify(sessions, "coord@libmutov.be", "wrong", "10.0.0.1", now)
    with transaction(sessions) as session:
        accounts.set_password(session, "coord@libmutov.be", "another long one", "adm")
    assert _verify(sessions, "coord@libmutov.be", PASSWORD, "10.0.0.2", now).reason == (
        accounts.INVALID
    )
    assert _verify(sessions, "coord@libmutov.be", "another long one", "10.0.0.3").ok
    with transaction(sessions) as session:
        kinds = [e.kind for e in session.scalars(select(Event).order_by(Event.id))]
    assert kinds == ["account_added", "account_password_set"]


def test_unknown_account_is_not_found(sessions):
    with pytest.raises(NotFound), transaction(sessions) as session:
        accounts.set_password(session, "x@libmutov.be", PASSWORD, "adm")
    with pytest.raises(NotFound), transaction(sessions) as session:
        accounts.disable_account(session, "x@libmutov.be", "adm")


def test_roles_are_ordered():
    assert accounts.role_allows("admin", "coordinator")
    assert accounts.role_allows("coordinator", "coordinator")
    assert not accounts.role_allows("viewer", "coordinator")
    assert not accounts.role_allows("nobody", "viewer")
