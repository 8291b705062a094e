"""The pages' shared frame: one HTML document with its styles inline, no script, no external file."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape

from driftmon import __version__

_STYLE = """
:root { color-scheme: light; --ink: #111; --muted: #555; --line: #ccc; --focus: #0072b2; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
       margin: 0; background: #fafafa; }
header { background: #1f2933; color: #fff; padding: .6rem 1.2rem; display: flex; gap: 1.2rem;
         align-items: baseline; flex-wrap: wrap; }
header a { color: #fff; }
header .brand { font-weight: 700; text-decoration: none; }
nav.crumbs { font-size: .9rem; }
main { padding: 1rem 1.2rem 3rem; max-width: 1500px; }
h1 { font-size: 1.4rem; margin: .2rem 0 .6rem; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; }
a { color: #0b5394; }
a:focus-visible, button:focus-visible, select:focus-visible, input:focus-visible,
svg a:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
svg a:focus rect, svg a:hover rect { fill: rgba(0, 114, 178, .08); }
table { border-collapse: collapse; background: #fff; margin: .3rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: .3rem .55rem; text-align: left; vertical-align: top; }
th { background: #eef0f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 .45rem; border-radius: .25rem; border: 1px solid #000;
         font-size: .85rem; font-weight: 600; white-space: nowrap; }
.badge.critical { background: #d55e00; color: #000; }
.badge.warning { background: #e69f00; color: #000; }
.badge.ok { background: #fff; }
.badge.stale, .badge.failed, .badge.partial { background: #000; color: #fff; }
.badge.insufficient_data, .badge.running, .badge.none { background: #eee; border-style: dashed; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .3rem 0 1rem; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; }
.error { background: #fff3f0; border: 1px solid #d55e00; padding: .5rem .8rem; white-space: pre-wrap; }
form.inline { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .3rem 0 1rem; }
svg text { font: 12px system-ui, sans-serif; fill: #222; }
svg text.legend, svg text.level-name { font-weight: 600; }
svg .bin-label { font-family: ui-monospace, monospace; }
.chart { overflow-x: auto; background: #fff; border: 1px solid var(--line); padding: .4rem;
         display: inline-block; max-width: 100%; }
.pager { display: flex; gap: 1rem; margin: .4rem 0; }
"""


def attr(value: object) -> str:
    """Return `value` escaped for an attribute or text."""
    return escape(str(value), quote=True)


def number(value: float | None, digits: int = 4) -> str:
    """Return a number for a table cell (an em dash when unknown)."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}g}"


def pvalue(value: float | None) -> str:
    """Return a p-value, small ones in scientific notation."""
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.2g}" if value < 0.001 else f"{value:.3f}"


def when(moment: datetime | None) -> str:
    """Return a UTC time as the pages show it, inside a machine-readable <time>."""
    if moment is None:
        return "—"
    return f'<time datetime="{moment.isoformat()}">{moment:%Y-%m-%d %H:%M:%S} UTC</time>'


def state_badge(state: str | None) -> str:
    """Return a severity or status as a labelled badge (its text says it, colour only repeats it)."""
    label = state or "none"
    return f'<span class="badge {attr(label)}">{attr(label.replace("_", " "))}</span>'


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, numeric: Sequence[int] = ()) -> str:
    """Return a table; headers are escaped, cells are HTML already."""
    head = "".join(
        f'<th scope="col"{" class=num" if i in numeric else ""}>{h}</th>' for i, h in enumerate(headers)
    )
    body = "".join(
        "<tr>"
        + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def document(title: str, body: str, crumbs: Sequence[tuple[str, str | None]] = ()) -> str:
    """Return a whole page: header with breadcrumbs, then `body` (HTML)."""
    trail = " / ".join(f'<a href="{attr(h)}">{attr(t)}</a>' if h else attr(t) for t, h in crumbs)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        # An empty icon, so the browser asks the server for no /favicon.ico.
        '<link rel="icon" href="data:,">'
        f"<title>{attr(title)} · driftmon</title><style>{_STYLE}</style></head><body>"
        '<header><a class="brand" href="/">driftmon</a>'
        f'<nav class="crumbs" aria-label="breadcrumbs">{trail}</nav>'
        f'<span class="muted" style="margin-left:auto;color:#cbd2d9">v{attr(__version__)}</span></header>'
        f"<main>{body}</main></body></html>"
    )
