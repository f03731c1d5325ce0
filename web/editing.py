"""Correcting a case's details: the checks intake uses, then one store call.

Field messages come back per field (nothing saved when one is wrong): an
e-mail that is not one, a national register number whose check digits fail,
a postcode that is not four digits, a category not in the configured list.
"""

from __future__ import annotations

from typing import Any

from web.workspace import Workspace

CASE_FIELDS = ("category", "language", "regional_office", "subject")
MEMBER_FIELDS = (
    "name",
    "email",
    "phone",
    "street",
    "postcode",
    "city",
    "member_number",
    "insz",
)
LANGUAGES = ("nl", "fr", "de", "en")


def check(
    ws: Workspace, fields: dict[str, Any], member: dict[str, Any]
) -> dict[str, str]:
    """A message per bad value, keyed "category" or "member.email"."""
    from store.member_checks import check_insz, valid_email, valid_postcode

    errors: dict[str, str] = {}
    named = [*fields.items(), *(("member." + k, v) for k, v in member.items())]
    for key, value in named:
        if value is not None and not isinstance(value, str):
            errors[key] = f"{key} must be text"
    if errors:
        return errors
    category = fields.get("category")
    categories = ws.settings.cases.categories
    if category and category not in categories:
        errors["category"] = "unknown category: one of " + ", ".join(categories)
    if fields.get("language") and fields["language"] not in LANGUAGES:
        errors["language"] = "language must be one of " + ", ".join(LANGUAGES)
    if member.get("email") and not valid_email(member["email"]):
        errors["member.email"] = f"invalid e-mail address {member['email']!r}"
    if member.get("postcode") and not valid_postcode(member["postcode"]):
        errors["member.postcode"] = "a Belgian postcode has 4 digits"
    if member.get("insz") and not check_insz(member["insz"]).valid:
        reason = check_insz(member["insz"]).reason
        errors["member.insz"] = f"invalid national register number: {reason}"
    unknown = set(member) - set(MEMBER_FIELDS)
    if unknown:
        errors["member"] = "unknown member fields: " + ", ".join(sorted(unknown))
    return errors


def apply_changes(
    ws: Workspace,
    number: str,
    fields: dict[str, Any],
    member: dict[str, Any],
    actor: str,
) -> dict[str, str]:
    """Check, then change the case in one transaction; the messages if refused."""
    from store import lifecycle

    errors = check(ws, fields, member)
    if errors:
        return errors
    assignee = fields.get("assigned_to")
    changes = {k: v for k, v in fields.items() if k in CASE_FIELDS}
    with ws.transaction() as db:
        if changes or member:
            _edit(db, number, changes, member, actor)
        if assignee:
            lifecycle.assign(db, number, assignee.strip().lower(), actor)
    return {}


def _edit(
    db: Any, number: str, changes: dict[str, Any], member: dict[str, Any], actor: str
) -> None:
    from store import case_edit  # h15-accounts: `case edit` (one write path)

    case_edit.edit(db, number, changes=changes, member=member, actor=actor)
