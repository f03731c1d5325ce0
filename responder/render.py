"""Render mails from Jinja2 templates named by audience, kind and language.

One environment is built at wiring time (``build_environment``) and handed to
whoever sends mail. Templates live in ``responder/templates`` as
``<audience>/<kind>.<language>.<part>.j2`` with the parts ``subject``, ``txt`` and
(optionally) ``html``; an override directory, searched first, lets the fund
replace any single template without touching the package.

Safety choices:

- ``StrictUndefined``: a missing key is an error, never an empty string in a
  letter to a member.
- Autoescape only for ``.html.j2``: the text and subject parts are not HTML, and
  escaping there would show "&amp;" to members.
- Values are never evaluated as templates, so a member named ``{{ 7*7 }}`` stays
  literally that.
- The subject is folded to one line, so a member-supplied value can never add a
  mail header.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import jinja2
from markupsafe import Markup, escape

from config.schema import CasesSettings
from responder import dates
from responder.report import labels as report_labels

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
FALLBACK_LANGUAGE = "nl"

# Names we put into template paths; anything else is a programming error (or an
# attempt to read another file), not a template to look for.
_NAME = re.compile(r"[a-z][a-z_]*\Z")
_LANGUAGE = re.compile(r"[a-z]{2,3}\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


_CASES = CasesSettings()
DEFAULT_PROCEDURE = {
    "ack_days": _CASES.ack_days,
    "answer_days": _CASES.answer_days,
    "day_kind": _CASES.day_kind,
}


@dataclass(frozen=True)
class RenderedMail:
    """A rendered mail: a one-line subject, the text part, and the HTML part if
    the kind has one."""

    subject: str
    text: str
    html: str | None
    # The language the templates were written in (after any fallback to
    # Dutch): the mail's Content-Language, which mail clients use to pick a
    # spelling checker and to offer a translation.
    language: str = ""


def build_environment(
    override_dir: Path | None = None, *, timezone: str = dates.DEFAULT_TIMEZONE
) -> jinja2.Environment:
    """The one Jinja2 environment of the responder.

    ``override_dir`` (if given) is searched before the packaged templates.
    ``timezone`` becomes ``env.globals["timezone"]``, read by the date filters
    at render time, so the caller may still change it afterwards.
    """
    loaders: list[jinja2.BaseLoader] = []
    if override_dir is not None:
        loaders.append(jinja2.FileSystemLoader(str(override_dir)))
    loaders.append(jinja2.FileSystemLoader(str(TEMPLATES_DIR)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html.j2",), default_for_string=False, default=False
        ),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["timezone"] = timezone
    env.filters["date_long"] = _zoned(dates.date_long)
    env.filters["datetime_local"] = _zoned(dates.datetime_local)
    env.filters["date_short"] = jinja2.pass_environment(
        lambda env, value: dates.date_short(_defined(value), tz=env.globals["timezone"])
    )
    env.filters["paragraphs"] = paragraphs
    env.filters["period"] = dates.period
    # A stored code (status, channel, outcome) in words: "in behandeling".
    env.filters["words"] = lambda code, lang="nl": report_labels.name(lang, code)
    # The procedure's terms as the fund publishes them; a mail's context gives
    # the configured ones (responder.context.mail_context), which win.
    env.globals["procedure"] = DEFAULT_PROCEDURE
    env.globals["fail"] = _fail
    return env


@dataclass(frozen=True)
class MailTemplates:
    """The templates of one audience/kind in the language actually used."""

    lang: str
    subject: jinja2.Template
    text: jinja2.Template
    html: jinja2.Template | None


# What a caller that renders many mails keeps between them: the lookups by
# (audience, kind, language). A delivery batch keeps one, so an edited
# override template counts from the next batch on.
TemplateCache = dict[tuple[str, str, str], MailTemplates]


def render_mail(
    env: jinja2.Environment,
    audience: str,
    kind: str,
    language: str,
    context: Mapping[str, Any],
    cache: TemplateCache | None = None,
) -> RenderedMail:
    """Render the subject, text and HTML part of ``audience/kind`` in ``language``.

    Falls back to Dutch when the language has no subject and text template for
    this kind. The template context gets ``lang``: the language actually used.
    Raises ``jinja2.TemplateNotFound`` when even Dutch is missing and
    ``jinja2.UndefinedError`` when the context lacks a key a template uses.
    With ``cache``, the templates are looked up once per key (each lookup
    checks the files' modification times: nine stat calls a mail).
    """
    key = (audience, kind, language)
    templates = cache.get(key) if cache is not None else None
    if templates is None:
        templates = find_templates(env, audience, kind, language)
        if cache is not None:
            cache[key] = templates
    values = {**context, "lang": templates.lang}
    subject = templates.subject.render(values)
    text = templates.text.render(values)
    html = templates.html.render(values) if templates.html is not None else None
    return RenderedMail(
        subject=one_line(subject), text=_tidy(text), html=html, language=templates.lang
    )


def find_templates(
    env: jinja2.Environment, audience: str, kind: str, language: str
) -> MailTemplates:
    """The templates `render_mail` uses (TemplateNotFound when there are none)."""
    lang = _choose_language(env, audience, kind, language)
    prefix = f"{audience}/{kind}.{lang}"
    try:
        html: jinja2.Template | None = env.get_template(f"{prefix}.html.j2")
    except jinja2.TemplateNotFound:
        html = None
    return MailTemplates(
        lang=lang,
        subject=env.get_template(f"{prefix}.subject.j2"),
        text=env.get_template(f"{prefix}.txt.j2"),
        html=html,
    )


def one_line(value: str) -> str:
    """Fold ``value`` to a single line: no CR/LF or other control characters,
    runs of white space collapsed, ends stripped (guards against header
    injection through member-supplied values)."""
    return " ".join(_CONTROL.sub(" ", value).split())


def paragraphs(value: str) -> Markup:
    """Plain text as HTML paragraphs: blank lines separate paragraphs, single
    newlines become ``<br>``. Everything in ``value`` is escaped."""
    blocks = re.split(r"\n\s*\n", value.replace("\r\n", "\n").strip())
    html = [
        Markup("<p>{}</p>").format(Markup("<br>\n").join(map(escape, b.split("\n"))))
        for b in blocks
        if b.strip()
    ]
    return Markup("\n").join(html)


def _fail(message: str) -> NoReturn:
    """Let a template refuse a context it cannot render (an unknown kind)."""
    raise jinja2.TemplateRuntimeError(message)


def _zoned(func: Callable[..., str]) -> Callable[..., str]:
    """A date filter that takes the time zone from ``env.globals["timezone"]``."""

    @jinja2.pass_environment
    def apply(env: jinja2.Environment, value: Any, lang: str = "nl") -> str:
        return func(_defined(value), lang, tz=env.globals["timezone"])

    return apply


def _defined(value: Any) -> Any:
    """``value``, or the UndefinedError it stands for: a missing date must say
    which key is missing, not that it is not a date."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the key.
    return value


def _choose_language(
    env: jinja2.Environment, audience: str, kind: str, language: str
) -> str:
    _check_names(audience, kind)
    # "fr-BE" and "FR" mean French; anything else odd means "we don't have it".
    lang = re.split(r"[-_]", (language or "").strip().lower(), maxsplit=1)[0]
    if _LANGUAGE.match(lang) and all(
        _exists(env, f"{audience}/{kind}.{lang}.{part}.j2")
        for part in ("subject", "txt")
    ):
        return lang
    return FALLBACK_LANGUAGE


def _check_names(audience: str, kind: str) -> None:
    for value in (audience, kind):
        if not _NAME.match(value):
            raise ValueError(f"not a template audience or kind: {value!r}")


def _exists(env: jinja2.Environment, name: str) -> bool:
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    return True


def _tidy(text: str) -> str:
    """Trim blank lines at both ends and trailing spaces on every line."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return "\n".join(lines).strip("\n") + "\n"
