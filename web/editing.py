"""Correcting a case's details: store.case_edit.edit_case, the one write path.

Every value is checked there with the checks intake uses; a bad one refuses
the whole edit with a message per field (the form shows them beside the
fields, the API returns them), and nothing is saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from store.case_edit import CASE_FIELDS, MEMBER_FIELDS, InvalidFields
from web.workspace import Workspace

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["CASE_FIELDS", "MEMBER_FIELDS", "InvalidFields", "change_case"]


def change_case(
    db: Session,
    ws: Workspace,
    number: str,
    fields: dict[str, Any],
    member: dict[str, Any],
    actor: str,
) -> None:
    """Change the case in the caller's transaction; InvalidFields (a message
    per field) or WrongState (a closed case) when refused.

    `assigned_to` (the API's PATCH) goes through the lifecycle's assign, as
    `case assign` does; the other fields through `edit_case`.
    """
    from store import lifecycle
    from store.case_edit import EditRules, edit_case
    from store.member_checks import valid_email

    changes = {k: v for k, v in fields.items() if k != "assigned_to"}
    changes.update({f"member.{k}": v for k, v in member.items()})
    wrong = {
        key: f"{key} must be text or null"
        for key, value in changes.items()
        if value is not None and not isinstance(value, str)
    }
    assignee = fields.get("assigned_to")
    if assignee is not None and (
        not isinstance(assignee, str) or not valid_email(assignee.strip())
    ):
        wrong["assigned_to"] = f"invalid e-mail address {assignee!r}"
    if wrong:
        raise InvalidFields(wrong)
    if changes:
        edit_case(
            db, EditRules.from_settings(ws.settings.cases), number, changes, actor
        )
    if assignee:
        lifecycle.assign(db, number, assignee.strip().lower(), actor)
