"""Store functions that correct a case: edit, reclassify, merge, write.

Every one runs on SQLite and PostgreSQL (db_url), writes one audit event per
change with the actor, and refuses bad input without writing anything.
"""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from store.case_edit import EditRules, InvalidFields, edit_case, flatten
from store.db import transaction
from store.errors import NotFound, UserError, WrongState
from store.lifecycle import close
from store.member_mail import write_to_member
from store.models import Attachment, Case, Event, FormFieldValue, Message, OutboxMail
from store.queries import CaseFilter, list_cases, show_case
from store.reclassify import merge, reclassify
from store.report_data import count_cases, year_counts, year_window
from tests.casefactory import RULES, mail_case, post_case

TZ = "Europe/Brussels"
EDIT = EditRules(
    categories=("terugbetaling", "andere"),
    causes=("communicatie", "regelgeving"),
    services=("uitkeringen", "onthaal"),
    regional_offices=("LM Oost-Vlaanderen",),
)


def _show(sessions, number):
    with transaction(sessions) as session:
        return show_case(session, number, TZ)


def _events(sessions, number, kind=None):
    case = _show(sessions, number)
    return [e for e in case["events"] if kind is None or e["kind"] == kind]


def _edit(sessions, number, changes, actor="els@libmutov.be"):
    with transaction(sessions) as session:
        return edit_case(session, EDIT, number, changes, actor).changed


def _count(sessions, model):
    with transaction(sessions) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_edit_sets_the_analysis_fields_one_event_each(sessions):
    number = mail_case(sessions, 1)
    before = _show(sessions, number)
    assert (before["cause"], before["service"], before["measure"]) == (None,) * 3
    changed = _edit(
        sessions,
        number,
        {
            "cause": "Communicatie",
            "service": "onthaal",
            "measure": " Brief herschreven ",
        },
    )
    assert changed == ["cause", "service", "measure"]
    case = _show(sessions, number)
    assert case["cause"] == "communicatie"  # the configured spelling
    assert (case["service"], case["measure"]) == ("onthaal", "Brief herschreven")
    edited = _events(sessions, number, "edited")
    assert [(e["details"]["field"], e["actor"]) for e in edited] == [
        ("cause", "els@libmutov.be"),
        ("service", "els@libmutov.be"),
        ("measure", "els@libmutov.be"),
    ]
    assert edited[0]["details"] == {
        "field": "cause",
        "old": None,
        "new": "communicatie",
    }


def test_edit_member_details_with_intakes_checks(sessions):
    number = mail_case(sessions, 2)
    _edit(
        sessions,
        number,
        flatten(
            {
                "member": {
                    "email": "Nieuw@Example.BE",
                    "phone": "0470 12 34 56",
                    "insz": "85073003328",
                    "postcode": "9000",
                    "city": "Gent",
                    "street": "Brabantdam 109",
                }
            }
        ),
    )
    member = _show(sessions, number)["member"]
    assert member["email"] == "nieuw@example.be"
    assert member["phone"] == "+32470123456"
    assert (member["insz"], member["insz_valid"]) == ("85.07.30-033.28", True)
    assert (member["postcode"], member["city"]) == ("9000", "Gent")


def test_edit_same_value_writes_no_event_and_clearing_is_a_change(sessions):
    number = mail_case(sessions, 3, subject="Kine")
    assert _edit(sessions, number, {"subject": "Kine"}) == []
    assert _edit(sessions, number, {"subject": ""}) == ["subject"]
    assert _show(sessions, number)["subject"] is None


def test_giving_the_suggested_category_confirms_it(sessions):
    """Issue 17.13: `category_suggested` stays until a person confirms or
    changes the category; confirming is giving the same one."""
    number = mail_case(sessions, 3, subject="Kine")
    with transaction(sessions) as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        case.category = "terugbetaling"
        case.flags = ["category_suggested", "category_unknown", "needs_review"]
    assert _edit(sessions, number, {"category": "terugbetaling"}) == ["category"]
    shown = _show(sessions, number)
    assert shown["category"] == "terugbetaling"
    assert shown["flags"] == ["needs_review"]
    (event,) = _events(sessions, number, "edited")
    assert event["details"]["confirmed"] == ["category_suggested", "category_unknown"]
    assert _edit(sessions, number, {"category": "terugbetaling"}) == []


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"category": "planeet"}, ["category"]),
        ({"regional_office": "Planeet Mars"}, ["regional_office"]),
        ({"language": "xx"}, ["language"]),
        ({"language": ""}, ["language"]),
        ({"member.email": "geen-adres", "member.postcode": "12"}, None),
        ({"member.insz": "85073003361"}, ["member.insz"]),
        ({"member.phone": "12 34"}, ["member.phone"]),
        ({"status": "closed"}, ["status"]),
    ],
)
def test_bad_values_change_nothing(sessions, changes, fields):
    number = mail_case(sessions, 4)
    before = _show(sessions, number)
    with pytest.raises(InvalidFields) as caught:
        _edit(sessions, number, {"cause": "communicatie", **changes})
    assert sorted(caught.value.errors) == sorted(fields or changes)
    assert "\n" not in str(caught.value)
    assert _show(sessions, number) == before


def test_edit_refuses_a_closed_case_and_an_unknown_one(sessions):
    number = mail_case(sessions, 5)
    with transaction(sessions) as session:
        close(session, number, "els")
    with pytest.raises(WrongState, match="closed"):
        _edit(sessions, number, {"cause": "communicatie", "subject": "Kine"})
    assert _show(sessions, number)["cause"] is None
    _edit(sessions, number, {"cause": "communicatie"})  # the analysis: allowed
    assert _show(sessions, number)["cause"] == "communicatie"
    with pytest.raises(NotFound):
        _edit(sessions, "KL-2026-99999", {"cause": "communicatie"})
    with pytest.raises(UserError, match="nothing to change"):
        _edit(sessions, number, {})


def test_edit_rules_from_settings_take_office_tables():
    cases = SimpleNamespace(
        categories=["a"],
        causes=["b"],
        services=["c"],
        regional_offices=[{"name": "LM Gent", "postcodes": [9000]}, "LM Aalst"],
    )
    rules = EditRules.from_settings(cases)
    assert rules.regional_offices == ("LM Gent", "LM Aalst")
    assert (rules.categories, rules.causes, rules.services) == (("a",), ("b",), ("c",))


def test_reclassify_takes_the_case_out_of_open_list_and_yearly_counts(sessions):
    received = datetime(2026, 3, 2, 10, tzinfo=UTC)
    spam = mail_case(sessions, 6, received=received)
    kept = mail_case(sessions, 7, received=received)
    window = year_window(2026, TZ)
    with transaction(sessions) as session:
        assert count_cases(session, window) == 2
        reclassify(session, spam, "spam", "els")
    with transaction(sessions) as session:
        open_numbers = [
            c["number"] for c in list_cases(session, CaseFilter(open=True), TZ)
        ]
        assert open_numbers == [kept]
        assert count_cases(session, window) == 1
        assert year_counts(session, window).by_status == {"registered": 1}
        pending = session.scalars(
            select(OutboxMail.status).join(Case).where(Case.number == spam)
        ).all()
    assert all(status == "skipped" for status in pending)
    case = _show(sessions, spam)
    assert (case["status"], case["reclassified_as"], case["duplicate_of"]) == (
        "reclassified",
        "spam",
        None,
    )
    (event,) = _events(sessions, spam, "reclassified")
    assert event["actor"] == "els"
    assert event["details"] == {"to": "spam", "of": None, "previous": "registered"}
    assert case["message_count"] == 1  # kept in the trail, nothing deleted


def test_reclassify_as_duplicate_names_the_original(sessions):
    original, copy = mail_case(sessions, 8), mail_case(sessions, 9)
    with transaction(sessions) as session:
        reclassify(session, copy, "duplicate", "els", of=original)
    assert _show(sessions, copy)["duplicate_of"] == original


@pytest.mark.parametrize(
    ("as_", "of", "message"),
    [
        ("duplicate", None, "needs --of"),
        ("spam", "ORIGINAL", "duplicate only"),
        ("complaint", None, "cannot reclassify"),
        ("duplicate", "SELF", "itself"),
        ("duplicate", "KL-2026-99999", "no case"),
    ],
)
def test_reclassify_refusals_change_nothing(sessions, as_, of, message):
    original, number = mail_case(sessions, 10), mail_case(sessions, 11)
    of = {"ORIGINAL": original, "SELF": number}.get(of, of)
    before = _show(sessions, number)
    with pytest.raises(UserError, match=message), transaction(sessions) as session:
        reclassify(session, number, as_, "els", of=of)
    assert _show(sessions, number) == before


def test_reclassify_twice_is_refused(sessions):
    number = mail_case(sessions, 12)
    with transaction(sessions) as session:
        reclassify(session, number, "question", "els")
    with pytest.raises(WrongState, match="already"), transaction(sessions) as session:
        reclassify(session, number, "staff", "els")


def test_merge_moves_messages_attachments_fields_and_events(sessions):
    target = mail_case(sessions, 13, email="anna@example.be", phone=None)
    source = mail_case(
        sessions,
        14,
        email="anna@example.be",
        phone="+32470123456",
        attachment=b"%PDF-1.4 form",
        fields=(("description", "Kine te laat"),),
    )
    source_events = len(_events(sessions, source))
    with transaction(sessions) as session:
        merge(session, source, target, "els")
    merged = _show(sessions, target)
    assert merged["message_count"] == 2 and merged["attachment_count"] == 1
    assert [f["value"] for f in merged["form_fields"]] == ["Kine te laat"]
    assert merged["member"]["phone"] == "+32470123456"  # completed from the source
    kinds = [e["kind"] for e in merged["events"]]
    assert kinds.count("registered") == 2 and kinds[-1] == "merged"
    details = merged["events"][-1]["details"]
    assert details["source"] == source and details["filled"] == ["phone"]
    assert details["events"] == source_events
    left = _show(sessions, source)
    assert (left["status"], left["reclassified_as"], left["duplicate_of"]) == (
        "reclassified",
        "duplicate",
        target,
    )
    assert "merged" in left["flags"]
    assert (left["message_count"], left["attachment_count"]) == (0, 0)
    assert [e["kind"] for e in left["events"]] == ["merged_into"]


def test_merge_refusals_change_nothing(sessions):
    a, b = mail_case(sessions, 15), mail_case(sessions, 16)
    with pytest.raises(UserError, match="itself"), transaction(sessions) as session:
        merge(session, a, a, "els")
    with pytest.raises(NotFound), transaction(sessions) as session:
        merge(session, a, "KL-2026-99999", "els")
    with transaction(sessions) as session:
        close(session, b, "els")
    counts = (_count(sessions, Message), _count(sessions, Event))
    with pytest.raises(WrongState, match="closed"), transaction(sessions) as session:
        merge(session, a, b, "els")
    assert (_count(sessions, Message), _count(sessions, Event)) == counts
    assert _show(sessions, a)["message_count"] == 1


def test_write_queues_a_member_mail_in_the_case_language(sessions):
    number = mail_case(sessions, 17, language="fr")
    with transaction(sessions) as session:
        mail = write_to_member(
            session, RULES, number, "request-info", "els", "Votre numéro de membre ?"
        )
        row = (mail.kind, mail.template, mail.language, mail.recipients, mail.context)
        assert mail.in_reply_to and mail.in_reply_to.startswith("<c17-")
    assert row == (
        "member_mail",
        "request_info",
        "fr",
        ["member17@example.be"],
        {"message_text": "Votre numéro de membre ?"},
    )
    (event,) = _events(sessions, number, "member_written")
    assert event["details"]["template"] == "request-info"


@pytest.mark.parametrize(
    ("template", "text", "message"),
    [
        ("request-info", None, "needs the text"),
        ("request-info", "   ", "needs the text"),
        ("thank-you", None, "unknown template"),
    ],
)
def test_write_refusals_queue_nothing(sessions, template, text, message):
    number = mail_case(sessions, 18)
    queued = _count(sessions, OutboxMail)
    with pytest.raises(UserError, match=message), transaction(sessions) as session:
        write_to_member(session, RULES, number, template, "els", text)
    assert _count(sessions, OutboxMail) == queued


def test_write_needs_an_address_and_an_open_case(sessions):
    postal = post_case(sessions)
    with pytest.raises(UserError, match="no e-mail"), transaction(sessions) as s:
        write_to_member(s, RULES, postal, "delay", "els")
    number = mail_case(sessions, 19)
    with transaction(sessions) as session:
        close(session, number, "els")
    with pytest.raises(WrongState), transaction(sessions) as session:
        write_to_member(session, RULES, number, "delay", "els")


def test_moved_rows_really_belong_to_the_target(sessions):
    target, source = mail_case(sessions, 20), mail_case(sessions, 21, attachment=b"x")
    with transaction(sessions) as session:
        merge(session, source, target, "els")
        target_id = session.scalar(select(Case.id).where(Case.number == target))
        for model in (Message, Attachment):
            ids = set(session.scalars(select(model.case_id)))
            assert ids == {target_id}
        assert session.scalar(select(func.count()).select_from(FormFieldValue)) == 0
