"""A reminder morning against the SMTP test server, on SQLite and PostgreSQL:
one mail per recipient with the real days left, each in its own language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from responder.reminder_job import run_digest, run_due
from store.member import Member
from store.models import Account, OutboxMail
from store.registration import register_case
from store.registration_input import NewCase
from tests.test_reminders import at

TODAY = date(2026, 6, 1)  # a Monday
ELS = "els.claes@libmutov.be"
CLAIRE = "claire@libmutov.be"
MARC = "marc@libmutov.be"  # coordinator of the Brussels office
COORDINATOR = "klachtencoordinator@libmutov.be"
BRUSSEL = {
    "name": "LM Brussel",
    "postcodes": ["1000-1299"],
    "address": ["LM Brussel", "Zuidlaan 1", "1000 Brussel"],
    "coordinators": [MARC],
}


def register(app: Any, n: int, days_left: int, **fields: Any) -> str:
    """An acknowledged postal case whose answer is due in `days_left` days."""
    received = TODAY + timedelta(days=days_left - 45)
    assignee = fields.pop("assigned_to", None)
    new = NewCase(
        channel="post",
        received_at=at(received, 12),
        language="nl",
        member=Member(name=f"Lid {n}", postcode=fields.pop("postcode", None)),
        subject=f"Klacht {n}",
        **fields,
    )
    with app.transaction() as session:
        case = register_case(session, app.rules, new, actor="test")
        case.acknowledged_at = at(received, 13)
        if assignee:
            case.assigned_to = assignee
            case.status = "in_progress"
        return case.number


def test_a_morning_one_mail_per_recipient_in_their_language(
    db_url: str,
    make_config: Callable[..., Path],
    app_for: Callable[[Path], Any],
    smtp_server: Any,
) -> None:
    config = make_config(
        db_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        cases={"timezone": "Europe/Brussels", "regional_offices": [BRUSSEL]},
        reminders={"coordinators": [COORDINATOR]},
        staff={"languages": {CLAIRE: "fr"}},
        web={"base_url": "https://klachten.libmutov.be"},
    )
    app = app_for(config)
    with app.transaction() as session:
        session.add(Account(email=CLAIRE, name="Claire Dupont", role="coordinator"))
    els_14 = register(app, 1, 14, assigned_to=ELS)
    els_2 = register(app, 2, 2, assigned_to=ELS)
    claire_7 = register(app, 3, 7, assigned_to=CLAIRE)
    claire_late = register(app, 4, -3, assigned_to=CLAIRE)
    brussels = register(app, 5, 7, postcode="1050")  # unassigned, office by postcode
    other = register(app, 6, 0)  # unassigned, no office

    report = run_due(app, at(TODAY))
    assert [m.recipient for m in report.mails] == [CLAIRE, ELS, COORDINATOR, MARC]
    app.delivery.deliver_pending()
    received = smtp_server.wait_for(4)
    by_recipient = {mail.rcpt_tos: mail.message for mail in received}
    assert set(by_recipient) == {(ELS,), (CLAIRE,), (MARC,), (COORDINATOR,)}

    els = by_recipient[(ELS,)]
    assert els["Subject"] == "[Klachten] 2 klachten: 1 deze week, 1 binnen 14 dagen"
    text = els.get_body(("plain",)).get_content()
    assert text.startswith("Beste Els Claes,")
    assert text.index(els_2) < text.index(els_14)
    assert "(nog 2 dagen)" in text and "(nog 14 dagen)" in text
    assert f"https://klachten.libmutov.be/cases/{els_2}" in text
    assert "Status:       in behandeling" in text

    claire = by_recipient[(CLAIRE,)]
    assert claire["Subject"] == "[Plaintes] 2 plaintes : 1 en retard, 1 cette semaine"
    text = claire.get_body(("plain",)).get_content()
    assert text.startswith("Bonjour Claire Dupont,")
    assert "(3 jours de retard)" in text and "(encore 7 jours)" in text
    assert text.index(claire_late) < text.index(claire_7)
    assert "en traitement" in text and "Délai de réponse dépassé" in text

    marc = by_recipient[(MARC,)].get_body(("plain",)).get_content()
    assert brussels in marc and other not in marc
    coordinator = by_recipient[(COORDINATOR,)]
    assert coordinator["Subject"] == "[Klachten] 1 klacht: 1 vandaag"
    assert other in coordinator.get_body(("plain",)).get_content()

    # Run again the same morning, and later that day: nothing new goes out.
    assert run_due(app, at(TODAY, 9)).mails == ()
    assert run_due(app, at(TODAY, 16)).mails == ()
    with app.transaction() as session:
        queued = session.scalar(
            select(func.count())
            .select_from(OutboxMail)
            .where(OutboxMail.kind == "reminder")
        )
    assert queued == 4
    # The next morning only the overdue cases come back (daily).
    again = run_due(app, at(TODAY + timedelta(days=1)))
    assert [
        (m.recipient, [(c["number"], c["days_left"]) for c in m.cases])
        for m in again.mails
    ] == [(CLAIRE, [(claire_late, -4)]), (COORDINATOR, [(other, -1)])]


def test_the_weekly_digest_in_each_coordinators_language(
    db_url: str,
    make_config: Callable[..., Path],
    app_for: Callable[[Path], Any],
    smtp_server: Any,
) -> None:
    greta = "greta@libmutov.be"
    config = make_config(
        db_url,
        smtp={"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        cases={"timezone": "Europe/Brussels"},
        reminders={"coordinators": [COORDINATOR, CLAIRE, greta]},
        staff={"languages": {CLAIRE: "fr", greta: "de"}},
    )
    app = app_for(config)
    with app.transaction() as session:
        session.add(Account(email=CLAIRE, name="Claire Dupont", role="coordinator"))
    late = register(app, 1, -3, assigned_to=ELS)
    register(app, 2, 20)

    assert run_digest(app, at(TODAY), force=True) == 3
    app.delivery.deliver_pending()
    by_recipient = {m.rcpt_tos: m.message for m in smtp_server.wait_for(3)}

    dutch = by_recipient[(COORDINATOR,)]
    assert dutch["Subject"] == "[Klachten] Weekoverzicht 1 juni 2026: 2 open, 1 te laat"
    claire = by_recipient[(CLAIRE,)]
    assert claire["Subject"] == (
        "[Plaintes] Aperçu hebdomadaire du 1er juin 2026 : 2 ouvertes, 1 en retard"
    )
    text = claire.get_body(("plain",)).get_content()
    assert text.startswith("Bonjour Claire Dupont,")
    assert "(3 jours de retard)" in text and "en traitement" in text
    assert late in text and "klacht" not in text.replace("klachten case", "")
    german = by_recipient[(greta,)]
    assert german["Subject"] == (
        "[Beschwerden] Wochenübersicht 1. Juni 2026: 2 offen, 1 überfällig"
    )
    text = german.get_body(("plain",)).get_content()
    assert text.startswith("Guten Tag Greta,")
    assert "(3 Tage überfällig)" in text and "in Bearbeitung" in text
