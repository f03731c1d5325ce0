"""Inline SVG charts for the HTML report: plain string building, no scripts.

Every label that comes from data (a category is free text) is escaped here,
so the returned SVG can be placed into the page as it is. Sizes are in SVG
user units; the page scales the chart to the column width.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import escape

BAR = "#2f5d8a"
PREVIOUS = "#c0504d"
AXIS = "#555555"
FONT = "font-family:Helvetica,Arial,sans-serif;font-size:11px"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" style="{FONT}">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _scale(values: Sequence[int]) -> int:
    return max([1, *values])


def vertical_bars(
    labels: Sequence[str],
    values: Sequence[int],
    title: str,
    previous: Sequence[int] | None = None,
) -> str:
    """Bars per label, with an optional line for the year before."""
    width, height, left, bottom, top = 640, 240, 40, 30, 16
    plot_h = height - bottom - top
    step = (width - left - 10) / max(1, len(values))
    top_value = _scale([*values, *(previous or [])])
    body = [
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" '
        f'y2="{height - bottom}" stroke="{AXIS}"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{top_value}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * value / top_value
        x = left + index * step + step * 0.15
        y = height - bottom - bar_h
        body.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{BAR}"/>'
        )
        centre = x + step * 0.35
        body.append(
            f'<text x="{centre:.1f}" y="{y - 3:.1f}" text-anchor="middle">'
            f"{value}</text>"
        )
        body.append(
            f'<text x="{centre:.1f}" y="{height - bottom + 14}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    if previous:
        points = " ".join(
            f"{left + i * step + step / 2:.1f},"
            f"{height - bottom - plot_h * v / top_value:.1f}"
            for i, v in enumerate(previous)
        )
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{PREVIOUS}" '
            'stroke-width="2" stroke-dasharray="4 3"/>'
        )
    return _svg(width, height, title, body)


def horizontal_bars(items: Sequence[tuple[str, int]], title: str) -> str:
    """One bar per (label, value), for long labels such as categories."""
    row, label_w, width = 22, 220, 640
    height = max(1, len(items)) * row + 10
    top_value = _scale([v for _, v in items])
    plot_w = width - label_w - 50
    body = []
    for index, (label, value) in enumerate(items):
        y = 5 + index * row
        bar_w = plot_w * value / top_value
        short = label if len(label) <= 34 else label[:33] + "…"
        body.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">'
            f"{escape(short)}</text>"
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w:.1f}" height="{row - 6}" '
            f'fill="{BAR}"/>'
        )
        body.append(f'<text x="{label_w + bar_w + 4:.1f}" y="{y + 14}">{value}</text>')
    return _svg(width, height, title, body)
