"""Reads for the workspace and `cases search`, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from store import search
from store.case_edit import EditRules, edit_case
from store.db import make_engine, transaction
from store.errors import NotFound, UserError
from store.lifecycle import Answer, answer, assign
from store.migrate import upgrade
from store.models import Case
from store.queries import CaseFilter, list_cases
from store.reclassify import merge
from store.workspace import attachment_file, find_cases, overview, search_cases
from tests.casefactory import RULES, mail_case, post_case

TZ = "Europe/Brussels"


def _numbers(items):
    return [c["number"] for c in items]


def _search(sessions, text):
    with transaction(sessions) as session:
        return _numbers(search_cases(session, text, TZ))


def test_fold_and_digit_forms():
    assert search.fold("  Élodie\tDUPRÉ-Çelik ") == "elodie dupre-celik"
    assert search.digit_forms("+32 470 12 34 56") == ["32470123456", "0470123456"]
    assert search.digit_forms("0470/12.34.56") == ["0470123456", "32470123456"]
    assert search.digit_forms("0032 2 123 45 67") == [
        "003221234567",
        "3221234567",
        "021234567",
    ]
    assert search.digit_forms("9000") == []


def test_search_by_number_name_email_insz_phone_and_text(sessions):
    elodie = mail_case(
        sessions,
        1,
        name="Élodie Dupré",
        email="Elodie.Dupre@Example.be",
        phone="+32470123456",
        insz="85.07.30-033.28",
        body="De tandarts werd niet terugbetaald.",
        fields=(("wens", "Snelle terugbetaling graag"),),
    )
    other = mail_case(sessions, 2, name="Jan Peeters", body="Wachttijd aan het loket")
    assert _search(sessions, "dupre") == [elodie]
    assert _search(sessions, "ÉLODIE dupré") == [elodie]
    assert _search(sessions, "dupre elodie") == [elodie]  # words in any order
    assert _search(sessions, "elodie.dupre@example.be") == [elodie]
    assert _search(sessions, elodie.lower()) == [elodie]
    assert _search(sessions, elodie[-5:]) == [elodie]
    for typed in ("85073003328", "85.07.30-033.28", "850730 033 28"):
        assert _search(sessions, typed) == [elodie], typed
    for typed in ("0470 12 34 56", "+32 470/12.34.56", "0032470123456"):
        assert _search(sessions, typed) == [elodie], typed
    assert _search(sessions, "TANDARTS") == [elodie]
    assert _search(sessions, "snelle terugbetaling") == [elodie]  # form field
    assert _search(sessions, "loket") == [other]
    assert _search(sessions, "100%") == []  # wildcards are literal
    assert _search(sessions, "_") == []


def test_search_follows_edits_and_merges(sessions):
    number = post_case(sessions, name="An Claes")
    other = mail_case(sessions, 3, body="Brilglazen niet vergoed")
    assert _search(sessions, "claes") == [number]
    with transaction(sessions) as session:
        edit_case(session, EditRules(), number, {"member.name": "An Vermeulen"}, "els")
    assert _search(sessions, "claes") == []
    assert _search(sessions, "vermeulen") == [number]
    with transaction(sessions) as session:
        merge(session, other, number, "els")
    # The moved message makes the target match; the emptied case keeps its
    # own description and still shows, as a duplicate pointing to the target.
    assert _search(sessions, "brilglazen") == sorted([number, other])


def test_search_of_nothing_is_refused(sessions):
    with pytest.raises(UserError), transaction(sessions) as session:
        search_cases(session, "  ", TZ)


def test_cases_list_json_is_what_search_prints(sessions):
    number = mail_case(sessions, 4, name="Zoë Maes")
    with transaction(sessions) as session:
        listed = list_cases(session, CaseFilter(), TZ)
        found = search_cases(session, "zoe", TZ)
    assert found == [c for c in listed if c["number"] == number]


def test_migration_indexes_cases_stored_before_it(tmp_path):
    from sqlalchemy.orm import sessionmaker

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0001")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO cases (number, year, seq, status, channel, received_at, "
            "ack_due, answer_due, language, flags, created_at, member_name) "
            "VALUES ('KL-2026-00001', 2026, 1, 'registered', 'post', "
            "'2026-12-01 10:00:00', '2026-12-11 10:00:00', '2027-01-15 10:00:00', "
            "'nl', '[]', '2026-12-01 10:00:00', 'Geert Ghëysen')"
        )
    upgrade(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    assert _search(sessions, "gheysen") == ["KL-2026-00001"]
    engine.dispose()


def test_find_cases_filters_pages_and_counts(sessions):
    now = datetime.now(UTC)
    numbers = [
        mail_case(sessions, 10 + i, received=now - timedelta(days=i)) for i in range(5)
    ]
    with transaction(sessions) as session:
        edit_case(
            session,
            EditRules(categories=("terugbetaling",), regional_offices=("LM Gent",)),
            numbers[1],
            {"category": "terugbetaling", "regional_office": "LM Gent"},
            "els",
        )
        assign(session, numbers[2], "els@libmutov.be", "els")
    with transaction(sessions) as session:
        page = find_cases(session, CaseFilter(), TZ, page=2, per_page=2)
        assert (page.total, page.pages, page.page) == (5, 3, 2)
        assert _numbers(page.items) == numbers[2:4]
        assert page.items[0]["message_count"] == 1
        by_due = find_cases(session, CaseFilter(), TZ, order="answer_due")
        assert _numbers(by_due.items) == list(reversed(numbers))
        for filters, expected in (
            (CaseFilter(category="terugbetaling"), [numbers[1]]),
            (CaseFilter(regional_office="LM Gent"), [numbers[1]]),
            (CaseFilter(assigned_to="els@libmutov.be"), [numbers[2]]),
            (CaseFilter(status="in_progress"), [numbers[2]]),
            (CaseFilter(channel="post"), []),
            (CaseFilter(year=now.year + 1), []),
            (CaseFilter(q="kinesitherapie", category="terugbetaling"), [numbers[1]]),
        ):
            assert _numbers(find_cases(session, filters, TZ).items) == expected
    with pytest.raises(UserError), transaction(sessions) as session:
        find_cases(session, CaseFilter(), TZ, order="colour")
    with pytest.raises(UserError), transaction(sessions) as session:
        find_cases(session, CaseFilter(), TZ, per_page=0)


def test_overview_counts(sessions):
    now = datetime(2026, 12, 9, 12, tzinfo=UTC)  # a Wednesday
    overdue = mail_case(sessions, 20, received=now - timedelta(days=50))
    this_week = mail_case(sessions, 21, received=now - timedelta(days=43))
    later = mail_case(sessions, 22, received=now - timedelta(days=1))
    letter = post_case(
        sessions, received=now - timedelta(days=2), flags=("awaiting_letter",)
    )
    answered = mail_case(sessions, 23, received=now - timedelta(days=60))
    with transaction(sessions) as session:
        assign(session, later, "els@libmutov.be", "els")
        answer(session, RULES, answered, Answer("founded", "Ok"), "els", now=now)
    with transaction(sessions) as session:
        seen = overview(session, TZ, now=now)
    assert (seen.open, seen.overdue, seen.due_this_week, seen.awaiting_letter) == (
        4,
        1,
        1,
        1,
    )
    assert seen.per_assignee == {None: 3, "els@libmutov.be": 1}
    assert {overdue, this_week, letter}  # distinct cases made above


def test_attachment_of_its_own_case_only(sessions):
    data = b"%PDF-1.4\n" + bytes(range(256))
    number = mail_case(sessions, 30, attachment=data)
    other = mail_case(sessions, 31)
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        attachment_id = case.attachments[0].id
        found = attachment_file(session, number, attachment_id)
    assert found.data == data and found.sha256 == hashlib.sha256(data).hexdigest()
    assert (found.filename, found.content_type, found.size) == (
        "formulier.pdf",
        "application/pdf",
        len(data),
    )
    with pytest.raises(NotFound), transaction(sessions) as session:
        attachment_file(session, other, attachment_id)
    with pytest.raises(NotFound), transaction(sessions) as session:
        attachment_file(session, number, attachment_id + 1000)


def test_search_is_answered_from_an_index(sessions):
    """SQLite reads the FTS5 trigram table, PostgreSQL has the trigram index."""
    from store.queries import filtered

    mail_case(sessions, 40, name="Indexed Person")
    with transaction(sessions) as session:
        engine = session.get_bind()
        statement = filtered(
            select(Case.id), CaseFilter(q="indexed person"), datetime.now(UTC)
        )
        if engine.dialect.name == "sqlite":
            sql = str(statement.compile(engine, compile_kwargs={"literal_binds": True}))
            plan = (
                session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
            )
            assert any("case_search_fts VIRTUAL TABLE" in row[-1] for row in plan), plan
        else:
            names = (
                session.connection()
                .exec_driver_sql(
                    "SELECT indexname FROM pg_indexes WHERE tablename = 'case_search'"
                )
                .scalars()
                .all()
            )
            assert "ix_case_search_text_trgm" in names
        assert len(session.execute(statement).all()) == 1


def test_words_most_cases_have_are_paged_in_order_with_a_capped_total(
    sessions, monkeypatch
):
    """Above MANY matches the page tests cases in order instead of listing
    every match from the index: same cases on the page, total "MANY+"."""
    import store.workspace as workspace

    numbers = [
        mail_case(sessions, 60 + i, body=f"Overal hetzelfde {i}") for i in range(6)
    ]
    mail_case(sessions, 70, body="Iets anders")
    with transaction(sessions) as session:
        exact = find_cases(session, CaseFilter(q="hetzelfde"), TZ, per_page=4)
        two = find_cases(session, CaseFilter(q="hetzelfde 5"), TZ)
    assert (exact.total, exact.more) == (6, False)
    monkeypatch.setattr(workspace, "MANY", 3)
    with transaction(sessions) as session:
        first = find_cases(session, CaseFilter(q="hetzelfde"), TZ, per_page=4)
        second = find_cases(
            session, CaseFilter(q="HETZELFDE"), TZ, page=2, per_page=4
        )
        both = find_cases(session, CaseFilter(q="hetzelfde 5"), TZ)
        rare = find_cases(session, CaseFilter(q="anders"), TZ)
        if session.get_bind().dialect.name == "postgresql":
            # The planner settings of the walk end with it.
            show = session.connection().exec_driver_sql("SHOW enable_sort")
            assert show.scalar() == "on"
    assert _numbers(first.items) == _numbers(exact.items) == numbers[:4]
    assert (first.total, first.more) == (4, True)
    assert _numbers(second.items) == numbers[4:]
    # Two words, few matches ("5" is also in the number KL-...-00005): the
    # index path, with an exact total, as before the cap.
    assert (_numbers(both.items), both.total, both.more) == (
        _numbers(two.items),
        two.total,
        False,
    )
    assert (rare.total, rare.more) == (1, False)


def test_rebuild_all_indexes_every_case_and_keeps_the_index_in_step(sessions):
    """The bulk rebuild sets the FTS5 triggers aside and puts them back: what
    was stored before is found, and so is a case registered after it."""
    before = mail_case(sessions, 80, name="Voor Herbouw")
    with transaction(sessions) as session:
        session.execute(search.SEARCH.delete())
        if session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql(
                "INSERT INTO case_search_fts(case_search_fts) VALUES ('delete-all')"
            )
    assert _search(sessions, "herbouw") == []
    with transaction(sessions) as session:
        search.rebuild_all(session)
    after = mail_case(sessions, 81, name="Na Herbouw")
    assert _search(sessions, "herbouw") == [before, after]
    with transaction(sessions) as session:
        search.rebuild_all(session)  # again, over rows that exist
    assert _search(sessions, "herbouw") == [before, after]
