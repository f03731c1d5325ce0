"""The rendered text of the responder's mails: what members and coordinators read."""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import jinja2
import pytest

from responder import dates
from responder.reminder_groups import sections, summary
from responder.render import (
    build_environment,
    one_line,
    paragraphs,
    render_mail,
)

NUMBER = "KL-2026-00042"
# 23:30 UTC on the 27th is already the 28th in Brussels: the dates must follow.
RECEIVED = datetime(2026, 11, 27, 23, 30, tzinfo=UTC)
ANSWER_DUE = datetime(2027, 1, 12, 22, 59, 59, tzinfo=UTC)

# language: (subject, received date, answer due date, ombudsdienst street)
ACK_EXPECTED = {
    "nl": (
        f"Ontvangstmelding van uw klacht [{NUMBER}]",
        "28 november 2026",
        "12 januari 2027",
        "Livornostraat 25",
    ),
    "fr": (
        f"Accusé de réception de votre plainte [{NUMBER}]",
        "28 novembre 2026",
        "12 janvier 2027",
        "rue de Livourne 25",
    ),
    "de": (
        f"Eingangsbestätigung Ihrer Beschwerde [{NUMBER}]",
        "28. November 2026",
        "12. Januar 2027",
        "Livornostraat 25",
    ),
    "en": (
        f"Acknowledgement of your complaint [{NUMBER}]",
        "28 November 2026",
        "12 January 2027",
        "Livornostraat 25",
    ),
}


@pytest.fixture(scope="module")
def env() -> jinja2.Environment:
    return build_environment()


def member_context(name: str | None = "Anna Peeters", **case: Any) -> dict[str, Any]:
    """A context as the responder builds it for a member mail."""
    member = {
        "name": name,
        "email": "anna@example.be",
        "street": "Kerkstraat 1",
        "postcode": "9000",
        "city": "Gent",
    }
    values = {
        "number": NUMBER,
        "received_at": RECEIVED,
        "ack_due": RECEIVED + timedelta(days=10),
        "answer_due": ANSWER_DUE,
        "subject": "Terugbetaling kinesitherapie",
        "channel": "email",
        "language": "nl",
        "member": member,
    }
    values.update(case)
    org = {
        "name": "LM",
        "from_name": "LM Klachtendienst",
        "from_address": "klachten@libmutov.be",
        "phone": None,
    }
    return {"case": values, "org": org}


def reminder_case(i: int, days_left: int, **extra: Any) -> dict[str, Any]:
    number = f"KL-2026-{i:05d}"
    values = {
        "number": number,
        "member_name": f"Lid {i}",
        "subject": f"Onderwerp {i}",
        "deadline": datetime(2026, 12, 10, 22, 59, 59, tzinfo=UTC),
        "days_left": days_left,
        "assignee": None,
        "status": "open",
        "command": f"klachten case show {number}",
        "link": f"klachten case show {number}",
        "kind": "answer_due",
    }
    values.update(extra)
    return values


@pytest.mark.parametrize("lang", sorted(ACK_EXPECTED))
def test_acknowledgement_in_each_language(env, lang):
    subject, received, due, street = ACK_EXPECTED[lang]
    mail = render_mail(env, "member", "acknowledgement", lang, member_context())
    assert mail.subject == subject
    assert mail.html is not None
    for part in (mail.text, mail.html):
        assert NUMBER in part
        assert received in part
        assert due in part
        assert street in part
        assert "1050" in part
        assert "Anna Peeters" in part
        assert "LM Klachtendienst" in part


def test_acknowledgement_nl_says_what_the_procedure_promises(env):
    text = render_mail(env, "member", "acknowledgement", "nl", member_context()).text
    assert text.startswith("Beste Anna Peeters,\n\n")
    assert "klachtencoördinator" in text
    assert "binnen 45 dagen" in text
    assert f"[{NUMBER}] in het onderwerp" in text
    assert "Ombudsdienst van de Landsbond van Liberale Mutualiteiten" in text
    assert "Onderwerp van uw klacht: Terugbetaling kinesitherapie" in text
    assert text.endswith("klachten@libmutov.be\n")


@pytest.mark.parametrize(
    ("lang", "greeting"),
    [
        ("nl", "Beste,"),
        ("fr", "Madame, Monsieur,"),
        ("de", "Sehr geehrte Damen und Herren,"),
        ("en", "Dear Sir or Madam,"),
    ],
)
@pytest.mark.parametrize("name", [None, ""])
def test_greeting_without_a_name(env, lang, greeting, name):
    mail = render_mail(env, "member", "acknowledgement", lang, member_context(name))
    assert mail.text.startswith(greeting + "\n")
    assert f"<p>{greeting}</p>" in mail.html


def test_no_subject_line_when_the_complaint_has_none(env):
    text = render_mail(env, "member", "acknowledgement", "nl", member_context()).text
    context = member_context(subject=None)
    bare = render_mail(env, "member", "acknowledgement", "nl", context).text
    assert "Onderwerp van uw klacht" in text
    assert "Onderwerp van uw klacht" not in bare


def test_phone_is_shown_only_when_known(env):
    context = member_context()
    context["org"]["phone"] = "02 542 86 00"
    mail = render_mail(env, "member", "acknowledgement", "nl", context)
    assert "Tel. 02 542 86 00" in mail.text
    assert "Tel. 02 542 86 00" in mail.html
    plain = render_mail(env, "member", "acknowledgement", "nl", member_context())
    assert "Tel." not in plain.text


@pytest.mark.parametrize("lang", sorted(ACK_EXPECTED))
def test_member_values_are_shown_literally_never_run(env, lang):
    name = "<script>alert(1)</script> {{ 7*7 }}"
    context = member_context(name, subject="{% if true %}x{% endif %} & <b>")
    mail = render_mail(env, "member", "acknowledgement", lang, context)
    assert name in mail.text
    assert "{% if true %}x{% endif %} & <b>" in mail.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7*7 }}" in mail.html
    assert "<script>" not in mail.html
    assert "&amp; &lt;b&gt;" in mail.html
    assert "49" not in mail.text + mail.html


def test_subject_is_one_line_even_from_member_input(tmp_path):
    override = tmp_path / "member"
    override.mkdir()
    (override / "acknowledgement.nl.subject.j2").write_text(
        "Uw klacht: {{ case.subject }} [{{ case.number }}]\n", encoding="utf-8"
    )
    env = build_environment(tmp_path)
    evil = "Hallo\r\nBcc: evil@example.com\n\n{{ 7*7 }}\x00"
    mail = render_mail(
        env, "member", "acknowledgement", "nl", member_context(subject=evil)
    )
    assert (
        mail.subject
        == f"Uw klacht: Hallo Bcc: evil@example.com {{{{ 7*7 }}}} [{NUMBER}]"
    )
    assert "\n" not in mail.subject and "\r" not in mail.subject


def test_override_directory_replaces_one_template(tmp_path):
    (tmp_path / "member").mkdir()
    (tmp_path / "member" / "acknowledgement.nl.txt.j2").write_text(
        "Eigen tekst voor {{ case.number }}.\n", encoding="utf-8"
    )
    env = build_environment(tmp_path)
    mail = render_mail(env, "member", "acknowledgement", "nl", member_context())
    assert mail.text == f"Eigen tekst voor {NUMBER}.\n"
    # The other parts still come from the package.
    assert mail.subject == ACK_EXPECTED["nl"][0]
    assert "Livornostraat 25" in mail.html


def test_override_directory_can_add_a_language(tmp_path):
    (tmp_path / "member").mkdir()
    for part, body in (("subject", "Şikayetiniz [{{ case.number }}]"), ("txt", "x")):
        path = tmp_path / "member" / f"acknowledgement.tr.{part}.j2"
        path.write_text(body, encoding="utf-8")
    env = build_environment(tmp_path)
    mail = render_mail(env, "member", "acknowledgement", "tr", member_context())
    assert mail.subject == f"Şikayetiniz [{NUMBER}]"
    assert mail.html is None


@pytest.mark.parametrize("language", ["tr", "", "NL", "../../etc/passwd", "x" * 40])
def test_missing_language_falls_back_to_dutch(env, language):
    mail = render_mail(env, "member", "acknowledgement", language, member_context())
    assert mail.subject == ACK_EXPECTED["nl"][0]
    assert "28 november 2026" in mail.text


@pytest.mark.parametrize(("language", "prefix"), [("fr-BE", "Accusé"), ("DE", "Eing")])
def test_language_tags_are_understood(env, language, prefix):
    mail = render_mail(env, "member", "acknowledgement", language, member_context())
    assert mail.subject.startswith(prefix)


def test_language_without_this_kind_falls_back_to_dutch(env):
    context = {"failures": [], "count": 1}
    mail = render_mail(env, "coordinator", "delivery_failed", "de", context)
    assert mail.subject == "[Klachten] 1 e-mail aan leden niet afgeleverd"


@pytest.mark.parametrize("audience", ["../member", "Member", "member/x"])
def test_audience_and_kind_are_names_not_paths(env, audience):
    with pytest.raises(ValueError, match="audience or kind"):
        render_mail(env, audience, "acknowledgement", "nl", member_context())


def test_unknown_kind_is_an_error_not_an_empty_mail(env):
    with pytest.raises(jinja2.TemplateNotFound):
        render_mail(env, "member", "nothing", "nl", member_context())


def test_strict_undefined_raises_on_a_missing_key(env):
    context = member_context()
    del context["org"]
    with pytest.raises(jinja2.UndefinedError):
        render_mail(env, "member", "acknowledgement", "nl", context)
    context = member_context()
    del context["case"]["answer_due"]
    with pytest.raises(jinja2.UndefinedError):
        render_mail(env, "member", "acknowledgement", "fr", context)


def test_answer_renders_the_coordinators_text_literally(env):
    answer = (
        "Wij hebben uw dossier nagekeken.\n\nU krijgt <b>125 &euro;</b> terug.\nGroet"
    )
    context = {**member_context(), "answer_text": answer}
    mail = render_mail(env, "member", "answer", "nl", context)
    assert mail.subject == f"Antwoord op uw klacht [{NUMBER}]"
    assert answer in mail.text
    assert f"Dossiernummer: {NUMBER}" in mail.text
    assert "Livornostraat 25" in mail.text
    assert "<p>Wij hebben uw dossier nagekeken.</p>" in mail.html
    assert (
        "<p>U krijgt &lt;b&gt;125 &amp;euro;&lt;/b&gt; terug.<br>\nGroet</p>"
        in mail.html
    )


@pytest.mark.parametrize(
    ("lang", "subject", "street"),
    [
        ("fr", "Réponse à votre plainte", "rue de Livourne 25"),
        ("de", "Antwort auf Ihre Beschwerde", "Livornostraat 25"),
        ("en", "Response to your complaint", "Livornostraat 25"),
    ],
)
def test_answer_in_other_languages(env, lang, subject, street):
    context = {**member_context(), "answer_text": "Tekst {{ 7*7 }}"}
    mail = render_mail(env, "member", "answer", lang, context)
    assert mail.subject == f"{subject} [{NUMBER}]"
    for part in (mail.text, mail.html):
        assert "Tekst {{ 7*7 }}" in part
        assert NUMBER in part
        assert street in part


@pytest.mark.parametrize(
    ("lang", "instead"),
    [
        ("nl", "in uw briefwisseling"),
        ("fr", "dans votre correspondance"),
        ("de", "in Ihrem Schreiben"),
        ("en", "in all correspondence"),
    ],
)
def test_letter_text_asks_for_the_number_not_for_a_reply(env, lang, instead):
    mail = render_mail(env, "member", "letter", lang, member_context())
    _, received, due, street = ACK_EXPECTED[lang]
    assert NUMBER in mail.subject
    assert mail.html is None
    for expected in (NUMBER, received, due, street, "1050", instead):
        assert expected in mail.text
    for reply in ("e-mail", "E-Mail"):
        assert reply not in mail.text.replace("klachten@libmutov.be", "")


def test_dst_end_of_day_stays_on_its_date(env):
    # 23:59:59 summer time on the day the clocks went forward.
    due = datetime.fromisoformat("2026-03-29T23:59:59+02:00")
    for value in (due, due.astimezone(UTC)):
        context = member_context(answer_due=value)
        text = render_mail(env, "member", "acknowledgement", "nl", context).text
        assert "uiterlijk op 29 maart 2026" in text


def test_timezone_global_moves_the_date():
    env = build_environment(timezone="America/New_York")
    text = render_mail(env, "member", "acknowledgement", "nl", member_context()).text
    assert "op 27 november 2026 goed ontvangen" in text
    env.globals["timezone"] = "Europe/Brussels"
    text = render_mail(env, "member", "acknowledgement", "nl", member_context()).text
    assert "op 28 november 2026 goed ontvangen" in text


def reminder_context(cases: list[dict[str, Any]], name: str = "Els Claes"):
    """The context the reminder job stores, for these case lines."""
    return {
        "recipient": "els@libmutov.be",
        "recipient_name": name,
        "sections": sections(cases),
        "summary": summary(cases),
        "cases": cases,
    }


@pytest.mark.parametrize(
    ("days", "subject"),
    [
        ([-3, 5, 2], "[Klachten] 3 klachten: 1 te laat, 2 deze week"),
        ([1], "[Klachten] 1 klacht: 1 deze week"),
        (
            [0, 0, 12, 30],
            "[Klachten] 4 klachten: 2 vandaag, 1 binnen 14 dagen, 1 later",
        ),
    ],
)
def test_reminder_subject_states_the_truth(env, days, subject):
    cases = [reminder_case(i, d) for i, d in enumerate(days, start=1)]
    mail = render_mail(env, "coordinator", "reminder", "nl", reminder_context(cases))
    assert mail.subject == subject
    for case in cases:
        for part in (mail.text, mail.html):
            assert case["number"] in part
            assert case["command"] in part
    assert mail.text.count("Bekijken:") == len(days)


def test_reminder_lines_read_right(env):
    cases = [
        reminder_case(1, -3, assignee="els"),
        reminder_case(2, -1, member_name=None, subject=None),
        reminder_case(3, 2),
        reminder_case(4, 4, kind="ack_due"),
    ]
    mail = render_mail(env, "coordinator", "reminder", "nl", reminder_context(cases))
    assert mail.text.startswith("Beste Els Claes,\n")
    text = mail.text
    assert (
        text.index("== Over de antwoordtermijn (2) ==")
        < text.index("== Antwoordtermijn binnen 2 dagen (1) ==")
        < text.index("== Nog geen ontvangstmelding (termijn 10 dagen) (1) ==")
    )
    assert "Termijn:      10 december 2026 (3 dagen te laat)" in text
    assert "(1 dag te laat)" in text
    assert "(nog 2 dagen)" in text
    assert "Behandelaar:  els" in text
    assert "Behandelaar:  niet toegewezen" in text
    assert "KL-2026-00002 - (naam onbekend)" in text
    assert "(geen onderwerp)" in text
    assert "10/12/2026" in mail.html
    assert mail.subject == (
        "[Klachten] 4 klachten: 2 te laat, 1 deze week, 1 zonder ontvangstmelding"
    )


def test_reminder_days_are_business_days_when_deadlines_are(env):
    cases = [reminder_case(1, 3), reminder_case(2, -1)]
    context = {
        **reminder_context(cases),
        "procedure": {"ack_days": 10, "answer_days": 45, "day_kind": "business"},
    }
    text = render_mail(env, "coordinator", "reminder", "nl", context).text
    assert "(nog 3 werkdagen)" in text and "(1 werkdag te laat)" in text
    text = render_mail(env, "coordinator", "reminder", "de", context).text
    assert "(noch 3 Werktage)" in text and "(1 Werktag überfällig)" in text


@pytest.mark.parametrize(
    ("lang", "heading", "part"),
    [
        ("nl", "Antwoordtermijn binnen 7 werkdagen", "1 binnen 14 werkdagen"),
        (
            "fr",
            "Délai de réponse dans les 7 jours ouvrables",
            "dans les 14 jours ouvrables",
        ),
        ("de", "Antwortfrist innerhalb von 7 Werktagen", "innerhalb von 14 Werktagen"),
    ],
)
def test_reminder_and_digest_headings_count_the_procedures_days(
    env, lang: str, heading: str, part: str
):
    """Seven business days are not seven days: the headings say which."""
    business = {"ack_days": 10, "answer_days": 45, "day_kind": "business"}
    cases = [reminder_case(1, 5), reminder_case(2, 12)]
    context = {**reminder_context(cases), "procedure": business}
    mail = render_mail(env, "coordinator", "reminder", lang, context)
    assert heading in mail.text and heading in mail.html
    assert part in mail.subject
    digest = {"cases": cases, "counts": DIGEST_COUNTS, "as_of": date(2026, 11, 30)}
    mail = render_mail(
        env, "coordinator", "digest", lang, {**digest, "procedure": business}
    )
    assert heading in mail.text and heading in mail.html
    calendar = render_mail(env, "coordinator", "digest", lang, digest).text
    assert heading not in calendar


def test_reminder_links_into_the_workspace(env):
    link = "https://klachten.lm.be/cases/KL-2026-00001"
    cases = [reminder_case(1, 2, link=link)]
    mail = render_mail(env, "coordinator", "reminder", "nl", reminder_context(cases))
    assert f"Bekijken:     {link}" in mail.text
    assert f'<a href="{link}">KL-2026-00001</a>' in mail.html
    assert "klachten case show" not in mail.text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("nl", "Status:       in behandeling"),
        ("fr", "en traitement"),
        ("de", "in Bearbeitung"),
    ],
)
def test_reminder_shows_statuses_in_words(env, lang, words):
    case = {**reminder_case(1, 2), "status": "in_progress"}
    mail = render_mail(env, "coordinator", "reminder", lang, reminder_context([case]))
    assert words in mail.text
    assert "in_progress" not in mail.text + mail.html


def test_reminder_escapes_names_in_html(env):
    cases = [reminder_case(1, 2, member_name="<img src=x onerror=alert(1)>")]
    mail = render_mail(env, "coordinator", "reminder", "nl", reminder_context(cases))
    assert "&lt;img src=x onerror=alert(1)&gt;" in mail.html
    assert "<img" not in mail.html
    assert "<img src=x onerror=alert(1)>" in mail.text


@pytest.mark.parametrize(
    ("lang", "heading"),
    [
        ("nl", "Het lid schreef opnieuw na het antwoord"),
        ("fr", "Le membre a réécrit après la réponse"),
        ("de", "Das Mitglied hat nach der Antwort erneut geschrieben"),
    ],
)
def test_reminder_lists_members_who_wrote_again(env, lang, heading):
    cases = [reminder_case(1, -2), reminder_case(2, 9, kind="replied")]
    mail = render_mail(env, "coordinator", "reminder", lang, reminder_context(cases))
    assert heading in mail.text and heading in mail.html
    assert mail.text.index(heading) < mail.text.index(cases[1]["number"])


def test_reminder_refuses_an_unknown_section(env):
    context = reminder_context([reminder_case(1, 1)])
    context["sections"] = [{"key": "someday", "cases": context["cases"]}]
    with pytest.raises(jinja2.TemplateRuntimeError, match="unknown reminder section"):
        render_mail(env, "coordinator", "reminder", "nl", context)


@pytest.mark.parametrize(
    ("lang", "days", "subject", "greeting", "word"),
    [
        ("fr", [7, 6, -1], "[Plaintes] 3 plaintes : 1 en retard, 2 cette semaine",
         "Bonjour Claire Dupont,", "Consulter :"),
        ("de", [0], "[Beschwerden] 1 Beschwerde: 1 heute",
         "Guten Tag Claire Dupont,", "Ansehen:"),
    ],
)  # fmt: skip
def test_reminder_in_french_and_german(env, lang, days, subject, greeting, word):
    cases = [reminder_case(i, d) for i, d in enumerate(days, start=1)]
    context = reminder_context(cases, name="Claire Dupont")
    mail = render_mail(env, "coordinator", "reminder", lang, context)
    assert mail.subject == subject
    assert mail.text.startswith(greeting)
    assert {"fr": "10 décembre 2026", "de": "10. Dezember 2026"}[lang] in mail.text
    assert mail.text.count(word) == len(days)
    assert "klacht" not in mail.text.replace("klachten case show", "").lower()


DIGEST_COUNTS = {
    "open": 12,
    "overdue": 2,
    "due_within_7": 3,
    "awaiting_confirmation": 1,
    "awaiting_letter": 4,
}


def test_digest(env):
    counts = DIGEST_COUNTS
    cases = [reminder_case(1, -2), reminder_case(2, 5, member_name="<b>Jan</b>")]
    context = {"cases": cases, "counts": counts, "as_of": date(2026, 11, 30)}
    mail = render_mail(env, "coordinator", "digest", "nl", context)
    assert (
        mail.subject == "[Klachten] Weekoverzicht 30 november 2026: 12 open, 2 te laat"
    )
    assert "Open klachten:" in mail.text and " 12\n" in mail.text
    assert "Ontvangstmelding per brief nog te versturen:      4" in mail.text
    assert mail.text.index("KL-2026-00001") < mail.text.index("KL-2026-00002")
    assert "&lt;b&gt;Jan&lt;/b&gt;" in mail.html
    assert mail.text.startswith("Beste klachtencoördinator,\n")
    named = {**context, "recipient_name": "Els Claes"}
    greeted = render_mail(env, "coordinator", "digest", "nl", named)
    assert greeted.text.startswith("Beste Els Claes,\n")
    assert "<p>Beste Els Claes,</p>" in greeted.html
    empty = render_mail(env, "coordinator", "digest", "nl", {**context, "cases": []})
    assert "Er zijn geen open klachten." in empty.text


# Words of the Dutch digest that must not survive in another language's.
DUTCH_DIGEST_WORDS = ("klacht", "beste", "termijn", "bevestiging", "overzicht", "geen")


@pytest.mark.parametrize(
    ("lang", "subject", "greeting", "counted", "status", "empty"),
    [
        ("fr",
         "[Plaintes] Aperçu hebdomadaire du 30 novembre 2026 : "
         "12 ouvertes, 2 en retard",
         "Bonjour Claire Dupont,",
         "Accusé de réception par courrier encore à envoyer :",
         "Statut :       en traitement",
         "Il n'y a aucune plainte ouverte."),
        ("de",
         "[Beschwerden] Wochenübersicht 30. November 2026: 12 offen, 2 überfällig",
         "Guten Tag Claire Dupont,",
         "Eingangsbestätigung per Brief noch zu versenden:",
         "Status:        in Bearbeitung",
         "Es gibt keine offenen Beschwerden."),
    ],
)  # fmt: skip
def test_digest_in_french_and_german(
    env, lang, subject, greeting, counted, status, empty
):
    counts = DIGEST_COUNTS
    cases = [
        reminder_case(1, -2, member_name="Marc Lambert", subject="Remboursement"),
        reminder_case(
            2, 5, member_name="<b>Jan</b>", subject="Erstattung", status="in_progress"
        ),
    ]
    context = {
        "cases": cases,
        "counts": counts,
        "as_of": "2026-11-30",  # as weekly_digest stores it
        "recipient_name": "Claire Dupont",
    }
    mail = render_mail(env, "coordinator", "digest", lang, context)
    assert mail.subject == subject
    assert mail.text.startswith(greeting + "\n")
    assert f"<p>{greeting}</p>" in mail.html
    counts_lines = [
        line for line in mail.text.splitlines() if re.fullmatch(r".+:\s+\d+", line)
    ]
    assert len(counts_lines) == 6
    assert len({len(line) for line in counts_lines}) == 1  # the numbers align
    assert counts_lines[-2].startswith(counted) and counts_lines[-2].endswith(" 4")
    assert status in mail.text
    assert "in_progress" not in mail.text + mail.html
    assert mail.text.index("KL-2026-00001") < mail.text.index("KL-2026-00002")
    assert "&lt;b&gt;Jan&lt;/b&gt;" in mail.html and "<b>Jan" not in mail.html
    assert f'<html lang="{lang}">' in mail.html
    for part in (mail.subject, mail.text, mail.html):
        rest = part.replace("klachten case show", "").lower()
        assert not [w for w in DUTCH_DIGEST_WORDS if w in rest]
    empty_mail = render_mail(
        env, "coordinator", "digest", lang, {**context, "cases": []}
    )
    assert empty in empty_mail.text and empty in empty_mail.html
    assert "KL-2026" not in empty_mail.text


def replied_case(i: int, replied_at: str | None, **extra: Any) -> dict[str, Any]:
    """A digest line of a case whose member wrote again (weekly_digest)."""
    number = f"KL-2026-{i:05d}"
    values = {
        "number": number,
        "member_name": f"Lid {i}",
        "subject": f"Onderwerp {i}",
        "replied_at": replied_at,
        "assignee": None,
        "status": "answered",
        "link": f"klachten case show {number}",
    }
    values.update(extra)
    return values


@pytest.mark.parametrize(
    ("lang", "heading", "counted", "written", "unknown", "nobody"),
    [
        ("nl", "Het lid schreef opnieuw na het antwoord (2):",
         "Lid schreef opnieuw na het antwoord:", "Geschreven:   27 november 2026",
         "datum onbekend", "niet toegewezen"),
        ("fr", "Le membre a réécrit après la réponse (2) :",
         "Le membre a réécrit après la réponse :", "Réécrit le :   27 novembre 2026",
         "date inconnue", "aucun"),
        ("de", "Das Mitglied hat nach der Antwort erneut geschrieben (2):",
         "Mitglied schrieb nach der Antwort erneut:",
         "Geschrieben:   27. November 2026", "Datum unbekannt", "nicht zugewiesen"),
    ],
)  # fmt: skip
def test_digest_lists_the_cases_whose_member_wrote_again(
    env, lang, heading, counted, written, unknown, nobody
):
    """Issue 16: a member's reply after the answer shows in the digest."""
    replied = [
        replied_case(3, "2026-11-27T10:15:00+01:00", assignee="an@libmutov.be",
                     member_name="<b>Jan</b>"),
        replied_case(4, None, status="closed"),
    ]  # fmt: skip
    counts = {**DIGEST_COUNTS, "member_replied": 2}
    context = {"cases": [reminder_case(1, 5)], "replied": replied, "counts": counts,
               "as_of": "2026-11-30"}  # fmt: skip
    mail = render_mail(env, "coordinator", "digest", lang, context)
    text = mail.text
    assert heading in text
    (count_line,) = [line for line in text.splitlines() if line.startswith(counted)]
    assert count_line.endswith(" 2")
    assert (
        text.index("KL-2026-00001") < text.index(heading) < text.index("KL-2026-00003")
    )
    assert text.index("KL-2026-00003") < text.index("KL-2026-00004")
    assert written in text and unknown in text
    assert "an@libmutov.be" in text and nobody in text
    assert "27/11/2026" in mail.html and "an@libmutov.be" in mail.html
    assert "&lt;b&gt;Jan&lt;/b&gt;" in mail.html and "<b>Jan" not in mail.html
    assert "KL-2026-00004" in mail.html
    quiet = render_mail(env, "coordinator", "digest", lang, {**context, "replied": []})
    assert heading not in quiet.text and "KL-2026-00003" not in quiet.html


def test_digest_queued_before_the_replied_section_still_renders(env):
    """A digest queued by the previous version (no `replied`, no count) is
    rendered at delivery: it still goes out."""
    context = {"cases": [reminder_case(1, 5)], "counts": DIGEST_COUNTS,
               "as_of": "2026-11-30"}  # fmt: skip
    mail = render_mail(env, "coordinator", "digest", "nl", context)
    assert "Lid schreef opnieuw na het antwoord:" in mail.text
    assert "Het lid schreef opnieuw" not in mail.text


def test_delivery_failed(env):
    failures = [
        {"case_number": NUMBER, "kind": "acknowledgement", "code": "550 5.1.1"},
        {"case_number": "KL-2026-00043", "kind": "answer", "code": ""},
    ]
    context = {"failures": failures, "count": 2}
    mail = render_mail(env, "coordinator", "delivery_failed", "nl", context)
    assert mail.subject == "[Klachten] 2 e-mails aan leden niet afgeleverd"
    assert mail.html is None
    assert f"  {NUMBER}  ontvangstmelding  (550 5.1.1)\n" in mail.text
    assert "  KL-2026-00043  antwoord op de klacht\n" in mail.text
    assert mail.text.startswith("Beste collega's,\n")  # queued before names
    assert "klachtencoördinator" not in mail.text
    one = {"failures": failures[:1], "count": 1, "recipients": ["Els Claes"]}
    mail = render_mail(env, "coordinator", "delivery_failed", "nl", one)
    assert mail.subject == "[Klachten] 1 e-mail aan leden niet afgeleverd"
    assert "Deze e-mail aan leden kon niet" in mail.text
    assert mail.text.startswith("Beste Els Claes,\n")
    three = {**one, "recipients": ["Els Claes", "Jan Peeters", "An <b>"]}
    text = render_mail(env, "coordinator", "delivery_failed", "nl", three).text
    assert text.startswith("Beste Els Claes, Jan Peeters en An <b>,\n")


def test_stall_alarm(env):
    context = {
        "host": "klachten1",
        "mailbox": "INBOX",
        "minutes": 45,
        "last_success": datetime(2026, 7, 1, 10, 5, tzinfo=UTC),
        "last_error": "IMAP4.abort: socket error",
    }
    mail = render_mail(env, "operator", "stall_alarm", "nl", context)
    assert mail.subject == (
        "[Klachten] ALARM: mailbox INBOX al 45 minuten niet gecontroleerd (klachten1)"
    )
    assert "Laatste geslaagde controle: 1 juli 2026 om 12:05" in mail.text
    assert "IMAP4.abort: socket error" in mail.text
    assert mail.text.startswith("Beste collega's,\n")
    named = {**context, "recipients": ["Ops Team", "Jan Peeters"]}
    text = render_mail(env, "operator", "stall_alarm", "nl", named).text
    assert text.startswith("Beste Ops Team en Jan Peeters,\n\nHet klachtensysteem")
    never = {**context, "last_success": None, "last_error": None}
    text = render_mail(env, "operator", "stall_alarm", "nl", never).text
    assert "geen sinds de start van de dienst" in text


def test_every_packaged_template_compiles(env):
    names = env.list_templates(extensions=["j2"])
    assert len(names) > 50
    for name in names:
        env.get_template(name)


def test_context_is_not_changed_by_rendering(env):
    context = member_context()
    before = copy.deepcopy(context)
    render_mail(env, "member", "acknowledgement", "nl", context)
    assert context == before


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\r\nb", "a b"),
        ("  Onderwerp\t\tmet  tabs ", "Onderwerp met tabs"),
        ("x\u2028y\x85z", "x y z"),
        ("nul\x00byte", "nul byte"),
    ],
)
def test_one_line(value, expected):
    assert one_line(value) == expected


def test_paragraphs_escapes_and_splits():
    assert str(paragraphs("a & b\r\n\r\n\r\n<c>\nd")) == (
        "<p>a &amp; b</p>\n<p>&lt;c&gt;<br>\nd</p>"
    )


@pytest.mark.parametrize(
    ("lang", "first", "other"),
    [
        ("nl", "1 maart 2026", "28 november 2026"),
        ("fr", "1er mars 2026", "28 novembre 2026"),
        ("de", "1. März 2026", "28. November 2026"),
        ("en", "1 March 2026", "28 November 2026"),
    ],
)
def test_date_long(lang, first, other):
    assert dates.date_long(date(2026, 3, 1), lang) == first
    assert dates.date_long(RECEIVED, lang) == other


def test_date_filters():
    assert dates.date_short(RECEIVED) == "28/11/2026"
    assert dates.date_short("2026-11-27T23:30:00+00:00") == "28/11/2026"
    assert dates.datetime_local(RECEIVED, "nl") == "28 november 2026 om 00:30"
    assert dates.datetime_local(RECEIVED, "fr") == "28 novembre 2026 à 00:30"
    assert dates.datetime_local(RECEIVED, "de") == "28. November 2026 um 00:30 Uhr"
    assert dates.datetime_local(RECEIVED, "en") == "28 November 2026 at 00:30"


def test_date_filters_refuse_what_they_cannot_place():
    with pytest.raises(ValueError, match="naive"):
        dates.date_long(datetime(2026, 11, 28, 12, 0))
    with pytest.raises(ValueError, match="language"):
        dates.date_long(RECEIVED, "tr")
    with pytest.raises(TypeError):
        dates.date_long(None)  # type: ignore[arg-type]
