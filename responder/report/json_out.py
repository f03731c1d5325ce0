"""The report as JSON, for other tools (keys: see `figures`)."""

from __future__ import annotations

import json

from responder.report.figures import Figures


def render_json(figures: Figures) -> str:
    """All figures as an indented JSON document, ending in a newline."""
    return json.dumps(figures.to_dict(), ensure_ascii=False, indent=2) + "\n"
