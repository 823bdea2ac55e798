"""Server-rendered SVG charts: sparklines of an adapter's latency and errors, and the
appointments-per-month bar chart. No script draws them (the CSP allows none inline), the page
weighs a few hundred bytes per chart, and each has a text alternative beside it (`role="img"`
and `aria-label`), so no figure is given by the drawing alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup


def sparkline(values: Sequence[float], label: str, width: int = 120, height: int = 24) -> Markup:
    """A polyline of `values` (oldest first) scaled to the box; empty values draw a flat line."""
    if not values:
        values = [0.0]
    top = max(values) or 1.0
    step = width / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (v / top) * (height - 4):.1f}" for i, v in enumerate(values)
    )
    return Markup(
        f'<svg class="sas-spark" role="img" aria-label="{escape(label)}" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">'
        f'<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="{points}"/></svg>'
    )


def bar_chart(
    bars: Sequence[tuple[str, int]], label: str, width: int = 640, height: int = 200
) -> Markup:
    """Vertical bars with their value above and their name below (month, vendor...)."""
    if not bars:
        return Markup("")
    top = max(v for _, v in bars) or 1
    slot = width / len(bars)
    bar_width = max(slot * 0.6, 2)
    plot = height - 40
    parts = [
        f'<svg class="sas-chart" role="img" aria-label="{escape(label)}" width="100%" '
        f'viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet">'
    ]
    for i, (name, value) in enumerate(bars):
        h = plot * value / top
        x = i * slot + (slot - bar_width) / 2
        y = 20 + plot - h
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_width:.1f}" height="{h:.1f}" '
            f'fill="currentColor"/>'
            f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
            f'font-size="11">{value}</text>'
            f'<text x="{x + bar_width / 2:.1f}" y="{height - 6}" text-anchor="middle" '
            f'font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
