"""Inline SVG charts: the distribution overlay, the history of a statistic, a sparkline.

Readable without colour: the reference is a solid grey bar, live a hatched, outlined blue bar;
warning, critical and resolve lines differ in dash pattern and carry their names; point shapes
encode the alert state (circle ok, triangle warning, square critical). Colours are from the
Okabe-Ito palette, safe for the common colour-vision deficiencies.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from html import escape

from driftmon.pages.bins import BinRow
from driftmon.pages.history import HistoryPoint

REFERENCE_FILL = "#8c8c8c"
LIVE_COLOUR = "#0072b2"
WARNING_COLOUR = "#e69f00"
CRITICAL_COLOUR = "#d55e00"
RESOLVE_COLOUR = "#009e73"

_DEFS = (
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
    f'<line x1="0" y1="0" x2="0" y2="6" stroke="{LIVE_COLOUR}" stroke-width="3"/></pattern></defs>'
)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _pct(share: float) -> str:
    return f"{100 * share:.1f}%"


def overlay_chart(bins: Sequence[BinRow], title: str) -> str:
    """Return the reference and live shares of every bin as horizontal bar pairs, one row per bin."""
    row, label_w, bar_w, right = 34, 150, 440, 64
    top = 30
    width = label_w + bar_w + right
    height = top + row * len(bins) + 10
    peak = max([b.reference_share for b in bins] + [b.live_share for b in bins] + [1e-12])
    scale = bar_w / peak
    out = [
        f'<svg class="overlay" role="img" aria-labelledby="overlay-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="overlay-title">{escape(title)}</title>',
        _DEFS,
        f'<rect x="{label_w}" y="6" width="14" height="10" fill="{REFERENCE_FILL}"/>'
        f'<text x="{label_w + 18}" y="15" class="legend">reference (solid)</text>'
        f'<rect x="{label_w + 150}" y="6" width="14" height="10" fill="url(#hatch)" '
        f'stroke="{LIVE_COLOUR}" stroke-width="1.5"/>'
        f'<text x="{label_w + 168}" y="15" class="legend">live (hatched)</text>',
    ]
    for i, b in enumerate(bins):
        y = top + i * row
        ref_w, live_w = b.reference_share * scale, b.live_share * scale
        tip = (
            f"{b.label}: reference {_pct(b.reference_share)} ({b.reference_count}), "
            f"live {_pct(b.live_share)} ({b.live_count})"
        )
        out.append(
            f'<g class="bin bin-{b.kind}" data-label="{escape(b.label)}" data-index="{b.index}" '
            f'data-reference-share="{b.reference_share!r}" data-live-share="{b.live_share!r}">'
            f"<title>{escape(tip)}</title>"
            f'<text x="{label_w - 6}" y="{y + 20}" text-anchor="end" class="bin-label">'
            f"{escape(_clip(b.label, 22))}</text>"
            f'<rect class="ref" x="{label_w}" y="{y + 3}" width="{_n(ref_w)}" height="13" '
            f'fill="{REFERENCE_FILL}"/>'
            f'<rect class="live" x="{label_w}" y="{y + 17}" width="{_n(live_w)}" height="13" '
            f'fill="url(#hatch)" stroke="{LIVE_COLOUR}" stroke-width="1.5"/>'
            f'<text x="{label_w + ref_w + 4:.1f}" y="{y + 14}" class="share">{_pct(b.reference_share)}</text>'
            f'<text x="{label_w + live_w + 4:.1f}" y="{y + 28}" class="share">{_pct(b.live_share)}</text>'
            "</g>"
        )
    out.append("</svg>")
    return "".join(out)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _marker(point: HistoryPoint, x: float, y: float, size: float) -> str:
    state = point.alert_state or "ok"
    if state == "critical":
        return (
            f'<rect class="marker" x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" '
            f'height="{2 * size:.1f}" fill="{CRITICAL_COLOUR}" stroke="#000"/>'
        )
    if state == "warning":
        s = size * 1.25
        return (
            f'<polygon class="marker" points="{x:.1f},{y - s:.1f} {x - s:.1f},{y + s * 0.8:.1f} '
            f'{x + s:.1f},{y + s * 0.8:.1f}" fill="{WARNING_COLOUR}" stroke="#000"/>'
        )
    return f'<circle class="marker" cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" fill="#fff" stroke="#000"/>'


def _steps(xs: Sequence[float], ys: Sequence[float | None], half: float) -> str:
    """Return a path of horizontal steps, one per window, broken where the level is unknown."""
    parts, pen = [], False
    for x, y in zip(xs, ys, strict=True):
        if y is None:
            pen = False
            continue
        parts.append(f"{'L' if pen else 'M'}{x - half:.1f},{y:.1f}L{x + half:.1f},{y:.1f}")
        pen = True
    return "".join(parts)


def _tick_label(moment: datetime) -> str:
    return moment.strftime("%m-%d %H:%M")


def history_chart(
    points: Sequence[HistoryPoint],
    *,
    statistic: str,
    chosen_end: datetime | None,
    link: Callable[[HistoryPoint], str],
    transitions: Sequence[tuple[datetime, str]] = (),
) -> str:
    """Return the statistic per window with its noise band and levels; each point links to its window."""
    left, right, top, bottom = 64, 96, 30, 46
    plot_w = max(560, min(1400, 9 * len(points)))
    plot_h = 240
    width, height = left + plot_w + right, top + plot_h + bottom
    n = max(len(points), 1)
    step = plot_w / n
    xs = [left + step * (i + 0.5) for i in range(len(points))]
    highest = [p.value for p in points if p.value is not None]
    highest += [v for p in points for v in (p.noise, p.warning, p.critical) if v is not None]
    peak = max([*highest, 1e-12]) * 1.08

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * min(value, peak) / peak

    out = [
        f'<svg class="history" role="img" aria-labelledby="history-title" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="history-title">{escape(statistic)} per window, oldest left</title>',
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#999"/>',
    ]
    for k in range(5):
        value = peak * k / 4
        y = y_of(value)
        out.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value:.3g}</text>'
        )
    # The no-drift noise band: values below a window's 99% null quantile are what chance gives.
    band = [(x, p.noise) for x, p in zip(xs, points, strict=True) if p.noise is not None]
    if band:
        half = step / 2
        upper = " ".join(f"{x - half:.1f},{y_of(v):.1f} {x + half:.1f},{y_of(v):.1f}" for x, v in band)
        base = f"{band[-1][0] + half:.1f},{top + plot_h} {band[0][0] - half:.1f},{top + plot_h}"
        out.append(f'<polygon class="noise-band" points="{upper} {base}" fill="#d9d9d9" fill-opacity="0.7"/>')
    lines = (
        ("resolve", RESOLVE_COLOUR, "2 3", 1.5, [p.resolve for p in points]),
        ("warning", WARNING_COLOUR, "7 4", 2.0, [p.warning for p in points]),
        ("critical", CRITICAL_COLOUR, "", 2.5, [p.critical for p in points]),
    )
    placed: list[float] = []
    for name, colour, dash, stroke, values in lines:
        ys = [y_of(v) if v is not None else None for v in values]
        path = _steps(xs, ys, step / 2)
        if not path:
            continue
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path class="level level-{name}" d="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="{stroke}"{dashes}/>'
        )
        last = next(y for y in reversed(ys) if y is not None) + 4
        for taken in placed:  # keep the names of nearby lines apart
            if abs(last - taken) < 13:
                last = taken - 13
        placed.append(last)
        out.append(f'<text x="{left + plot_w + 6}" y="{last:.1f}" class="level-name">{name}</text>')
    index = {p.window_end: i for i, p in enumerate(points)}
    for when, text in transitions:
        i = index.get(when)
        if i is None:
            continue
        out.append(
            f'<g class="transition"><line x1="{xs[i]:.1f}" x2="{xs[i]:.1f}" y1="{top}" y2="{top + plot_h}" '
            f'stroke="#333" stroke-dasharray="1 3"/>'
            f'<text x="{xs[i]:.1f}" y="{top - 6}" text-anchor="middle" class="transition-label">'
            f"{escape(text)}</text></g>"
        )
    scored = [(x, p.value) for x, p in zip(xs, points, strict=True) if p.value is not None]
    if len(scored) > 1:
        path = "".join(f"{'L' if i else 'M'}{x:.1f},{y_of(v):.1f}" for i, (x, v) in enumerate(scored))
        out.append(f'<path class="value-line" d="{path}" fill="none" stroke="#000" stroke-width="1.2"/>')
    size = max(2.5, min(5.0, step / 3))
    for x, p in zip(xs, points, strict=True):
        chosen = p.window_end == chosen_end
        shown = "no result" if p.value is None else f"{p.value:.4g}"
        tip = f"{p.window_start:%Y-%m-%d %H:%M} to {p.window_end:%H:%M} UTC: {statistic} {shown}"
        if p.noise is not None:
            tip += f", noise {p.noise:.3g}"
        if p.alert_state:
            tip += f", alert {p.alert_state}"
        attrs = (
            f'class="point{" chosen" if chosen else ""}" href="{escape(link(p))}" '
            f'data-window-start="{p.window_start.isoformat()}" data-window-end="{p.window_end.isoformat()}" '
            f'data-value="{"" if p.value is None else repr(p.value)}" '
            f'data-warning="{"" if p.warning is None else repr(p.warning)}" '
            f'data-state="{p.alert_state or ""}"'
        )
        if p.value is None:
            y = top + plot_h - 8
            mark = (
                f'<path class="marker" d="M{x - 4:.1f},{y - 4:.1f}L{x + 4:.1f},{y + 4:.1f}'
                f'M{x - 4:.1f},{y + 4:.1f}L{x + 4:.1f},{y - 4:.1f}" '
                f'stroke="{CRITICAL_COLOUR}" stroke-width="2"/>'
            )
        else:
            y = y_of(p.value)
            mark = _marker(p, x, y, size)
        ring = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size + 5:.1f}" fill="none" '
            'stroke="#000" stroke-width="2"/>'
            if chosen
            else ""
        )
        # A transparent hit area wider than the marker, so each window is easy to click.
        hit = f'<rect x="{x - step / 2:.1f}" y="{top}" width="{step:.1f}" height="{plot_h}" fill="#fff0"/>'
        label = escape(tip)
        out.append(f'<a {attrs} aria-label="{label}"><title>{label}</title>{hit}{ring}{mark}</a>')
    ticks = min(len(points), 6)
    for k in range(ticks):
        i = round(k * (len(points) - 1) / max(ticks - 1, 1))
        out.append(
            f'<text x="{xs[i]:.1f}" y="{top + plot_h + 18}" text-anchor="middle" class="axis">'
            f"{_tick_label(points[i].window_end)}</text>"
        )
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" class="axis">'
        "window end (UTC); grey band: no-drift noise level (99%)</text></svg>"
    )
    return "".join(out)


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 24) -> str:
    """Return a small line of the values (gaps where None), scaled to its own maximum."""
    known = [v for v in values if v is not None and math.isfinite(v)]
    if len(values) < 2 or not known:
        return ""
    peak = max(max(known), 1e-12)
    step = (width - 4) / (len(values) - 1)
    parts, pen = [], False
    for i, v in enumerate(values):
        if v is None or not math.isfinite(v):
            pen = False
            continue
        x, y = 2 + i * step, height - 2 - (height - 4) * v / peak
        parts.append(f"{'L' if pen else 'M'}{x:.1f},{y:.1f}")
        pen = True
    return (
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><path d="{"".join(parts)}" fill="none" '
        'stroke="#000" stroke-width="1.2"/></svg>'
    )
