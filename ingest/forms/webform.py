"""Notification mails of the website's contact form and of the e-Loket."""

from __future__ import annotations

from ingest.forms.labels import parse_labelled
from ingest.forms.result import FormResult, make_result

# Fewer recognised labels than this and the mail is ordinary prose.
MIN_WEBFORM_LABELS = 3


def read_webform(text: str) -> FormResult | None:
    """Read "Label: value" lines of a web-form notification (plain text).

    The caller converts HTML to text first. A description runs over several
    lines until the next label. None when fewer than three labels are found.
    """
    parsed = parse_labelled(text, strict=True)
    if len(parsed.labels_seen) < MIN_WEBFORM_LABELS:
        return None
    return make_result(
        "webform", parsed.language, parsed.values, source="webform", origin="body"
    )
