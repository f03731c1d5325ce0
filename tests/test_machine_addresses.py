"""One list of machine addresses: the classifier, the form merge and the
responder's default suppression all read config/machine_addresses.py."""

from __future__ import annotations

import pytest

from config.machine_addresses import DAEMONS, NO_REPLY, NOTIFIERS
from config.schema import ResponderSettings
from ingest.forms.merge import is_no_reply
from ingest.rules import _DAEMONS, _NOREPLY
from responder.policy import matching_pattern


@pytest.mark.parametrize("local", [*NO_REPLY, *DAEMONS])
def test_every_listed_address_is_suppressed_by_default(local: str) -> None:
    patterns = tuple(ResponderSettings().suppression)
    assert matching_pattern(f"{local.upper()}@example.be", patterns) == f"{local}@*"


@pytest.mark.parametrize("local", [*NO_REPLY, *DAEMONS, *NOTIFIERS])
def test_every_listed_address_is_no_contact_address(local: str) -> None:
    assert is_no_reply(f"{local}@example.be")
    assert is_no_reply(f"{local}+tag@example.be")
    assert not is_no_reply(f"jan.{local}@example.be")


def test_the_classifier_reads_the_same_lists() -> None:
    assert frozenset(DAEMONS) == _DAEMONS
    assert all(_NOREPLY.match(f"{local}@example.be") for local in NO_REPLY)
    assert not _NOREPLY.match("noreplyfan@example.be")
