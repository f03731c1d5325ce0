"""Rendering many mails with one template cache gives what rendering each
alone gives, and looks the templates up once per audience, kind and language."""

from __future__ import annotations

import jinja2
import pytest

from responder import render
from responder.render import (
    MailTemplates,
    TemplateCache,
    build_environment,
    find_templates,
    render_mail,
)
from tests.test_templates import member_context


@pytest.mark.parametrize(
    ("audience", "kind", "language", "context"),
    [
        ("member", "acknowledgement", "nl", member_context()),
        ("member", "acknowledgement", "fr-BE", member_context("Zoë Ünal")),
        ("member", "acknowledgement", "tr", member_context()),  # falls back
        ("member", "letter", "fr", member_context()),  # no HTML part
    ],
)
def test_cached_rendering_is_the_same(audience, kind, language, context) -> None:
    env = build_environment()
    cache: TemplateCache = {}
    alone = render_mail(env, audience, kind, language, context)
    assert render_mail(env, audience, kind, language, context, cache) == alone
    assert render_mail(env, audience, kind, language, context, cache) == alone
    assert list(cache) == [(audience, kind, language)]
    assert (cache[audience, kind, language].html is None) == (alone.html is None)


def test_templates_are_looked_up_once_per_key(monkeypatch) -> None:
    env = build_environment()
    looked_up: list[tuple[str, ...]] = []

    def counting(env: jinja2.Environment, *key: str) -> MailTemplates:
        looked_up.append(key)
        return find_templates(env, *key)

    monkeypatch.setattr(render, "find_templates", counting)
    cache: TemplateCache = {}
    for name in ("Anna", "Zoë", "Jan"):
        render_mail(env, "member", "acknowledgement", "nl", member_context(name), cache)
    render_mail(env, "member", "acknowledgement", "fr", member_context(), cache)
    assert looked_up == [
        ("member", "acknowledgement", "nl"),
        ("member", "acknowledgement", "fr"),
    ]
    render_mail(env, "member", "acknowledgement", "nl", member_context())
    assert len(looked_up) == 3  # no cache: every call looks up
