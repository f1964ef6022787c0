"""Small server-side SVG charts (no script): a rate line, horizontal bars, paired bars. Accessible: each has a
title and a description, and the numbers are also printed on the chart."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

INK, MUTED, BAR, BAR2, GRID = "#1a1a1a", "#4a4a4a", "#0b5394", "#a4000f", "#d0d0d0"
FONT = 'font-family="system-ui, sans-serif" font-size="14"'


def _svg(width: int, height: int, title: str, desc: str, body: list[str], ident: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-labelledby="{ident}-t {ident}-d" {FONT}>'
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _text(x: float, y: float, value: str, anchor: str = "start", fill: str = INK) -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{fill}">{escape(value)}</text>'


def rate_line(points: Sequence[tuple[str, float, int]], title: str, ident: str) -> Markup:
    """(period, rate 0..1, claims) per period, oldest first."""
    width, height, left, top, bottom = 640, 252, 48, 28, 40
    plot_w, plot_h = width - left - 16, height - top - bottom
    body = []
    for tick in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h * (1 - tick)
        body.append(f'<line x1="{left}" x2="{width - 16}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(_text(left - 6, y + 4, f"{tick:.0%}", "end", MUTED))
    start = left + (plot_w / 2 if len(points) == 1 else 12)
    step = (plot_w - 24) / max(len(points) - 1, 1)
    coords = [(start + i * step, top + plot_h * (1 - rate)) for i, (_, rate, _) in enumerate(points)]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        body.append(f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>')
    for (x, y), (label, rate, n) in zip(coords, points, strict=True):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>')
        body.append(_text(x, y - 8, f"{rate:.0%}", "middle"))
        body.append(_text(x, height - bottom + 16, label, "middle", MUTED))
        body.append(_text(x, height - bottom + 30, f"n={n}", "middle", MUTED))
    desc = "; ".join(f"{label}: {rate:.0%} of {n} claims denied" for label, rate, n in points) or "no data"
    return _svg(width, height, title, desc, body, ident)


def bars(items: Sequence[tuple[str, float, str]], title: str, ident: str, scale: float | None = None) -> Markup:
    """(label, value, printed value) as horizontal bars, largest first as given."""
    row, left, width = 28, 190, 640
    height = max(row * len(items), row) + 8
    top = max((v for _, v, _ in items), default=0) if scale is None else scale
    body = []
    for i, (label, value, shown) in enumerate(items):
        y = 4 + i * row
        w = 0 if not top else (width - left - 110) * value / top
        short = label if len(label) <= 20 else label[:19] + "…"
        body.append(_text(left - 8, y + 17, short, "end"))
        body.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{BAR}"/>')
        body.append(_text(left + w + 6, y + 17, shown))
    desc = "; ".join(f"{label}: {shown}" for label, _, shown in items) or "no data"
    return _svg(width, height, title, desc, body, ident)


def paired(items: Sequence[tuple[str, int, int]], title: str, ident: str, names: tuple[str, str]) -> Markup:
    """(label, first, second) as two bars per label: e.g. predicted vs actual denials per CARC."""
    row, left, width = 40, 110, 640
    height = max(row * len(items), row) + 30
    top = max((max(a, b) for _, a, b in items), default=0) or 1
    body = [
        f'<rect x="{left}" y="4" width="12" height="12" fill="{BAR}"/>',
        _text(left + 18, 15, names[0]),
        f'<rect x="{left + 120}" y="4" width="12" height="12" fill="{BAR2}"/>',
        _text(left + 138, 15, names[1]),
    ]
    for i, (label, first, second) in enumerate(items):
        y = 26 + i * row
        body.append(_text(left - 8, y + 20, label, "end"))
        for j, (value, color) in enumerate(((first, BAR), (second, BAR2))):
            w = (width - left - 50) * value / top
            body.append(f'<rect x="{left}" y="{y + 2 + j * 16}" width="{w:.1f}" height="14" fill="{color}"/>')
            body.append(_text(left + w + 6, y + 13 + j * 16, str(value)))
    desc = "; ".join(f"{label}: {names[0]} {a}, {names[1]} {b}" for label, a, b in items) or "no data"
    return _svg(width, height, title, desc, body, ident)
