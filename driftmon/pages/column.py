"""The column page: one window's reference and live distributions, what moved, and the history."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from driftmon.pages.bins import CONTRIBUTION_UNITS
from driftmon.pages.history import HistoryPoint
from driftmon.pages.layout import attr, document, number, pvalue, state_badge, table, when
from driftmon.pages.load import MAX_HISTORY, ColumnPage
from driftmon.pages.svg import history_chart, overlay_chart
from driftmon.pages.urls import column_path, format_instant, monitor_path, run_path

_OPTIONS = 200
_TRANSITION_TEXT = {"firing": "fired", "resolved": "resolved"}


def _link(page: ColumnPage, history: int) -> Callable[[HistoryPoint], str]:
    # Built once: quoting the names again for each of thousands of points would cost more than the chart.
    base = column_path(page.monitor.name, page.settings.name)
    tail = "&" + urlencode({"statistic": page.statistic, "n": history})

    def link(point: HistoryPoint) -> str:
        return f"{base}?window={format_instant(point.window_end)}{tail}"

    return link


def _controls(page: ColumnPage, history: int) -> str:
    options = []
    # The nearest windows only: a list of 2,000 options is no use to read, and the chart links them all.
    at = next((i for i, p in enumerate(page.history) if p.window_end == page.run.window_end), 0)
    near = page.history[max(0, at - _OPTIONS // 2) : at + _OPTIONS // 2 + 1]
    for p in reversed(near):
        selected = " selected" if p.window_end == page.run.window_end else ""
        state = f" — {p.alert_state}" if p.alert_state and p.alert_state != "ok" else ""
        options.append(
            f'<option value="{format_instant(p.window_end)}"{selected}>'
            f"{p.window_start:%Y-%m-%d %H:%M} → {p.window_end:%H:%M}{attr(state)}</option>"
        )
    stats = "".join(
        f'<option value="{attr(s)}"{" selected" if s == page.statistic else ""}>{attr(s)}</option>'
        for s in page.settings.statistics
    )
    return (
        '<form class="inline" method="get" aria-label="choose a window">'
        f'<label for="window">Window</label><select id="window" name="window">{"".join(options)}</select>'
        f'<label for="statistic">Statistic</label><select id="statistic" name="statistic">{stats}</select>'
        f'<label for="n">History</label><input id="n" name="n" type="number" min="2" max="{MAX_HISTORY}" '
        f'value="{history}" size="5"> windows <button type="submit">Show</button></form>'
    )


def _pager(page: ColumnPage, history: int) -> str:
    name, column, stat = page.monitor.name, page.settings.name, page.statistic
    parts = []
    if page.older is not None:
        href = column_path(name, column, window_end=page.older, statistic=stat, history=history)
        parts.append(f'<a href="{attr(href)}" rel="prev">← older window</a>')
    if page.newer is not None:
        href = column_path(name, column, window_end=page.newer, statistic=stat, history=history)
        parts.append(f'<a href="{attr(href)}" rel="next">newer window →</a>')
    latest = column_path(name, column, statistic=stat, history=history)
    parts.append(f'<a href="{attr(latest)}">latest</a>')
    return f'<nav class="pager" aria-label="windows">{"".join(parts)}</nav>'


def _facts(page: ColumnPage) -> str:
    r, run, stat = page.result, page.run, page.statistic
    point = next((p for p in page.history if p.window_end == run.window_end), None)
    facts = [
        ("Window", f"{when(run.window_start)} → {when(run.window_end)}"),
        ("Run", f'<a href="{run_path(run.id)}">#{run.id}</a> {state_badge(run.status)}'),
    ]
    if r is not None:
        facts += [
            ("Result", state_badge(r.status)),
            ("Kind, role", f"{attr(r.kind or '—')}, {attr(r.role)}"),
            ("Baseline", f"v{r.baseline_version}" if r.baseline_version is not None else "—"),
            ("Values", f"reference {r.n_reference or 0:,}, live {r.n_live or 0:,}"),
            ("Smoothing", f"alpha = {number(r.alpha)} ({attr(r.calibration_method or '—')} calibration)"),
        ]
    if point is not None:
        facts += [
            (attr(stat), f"<strong>{number(point.value)}</strong> (p = {pvalue(point.p_value)})"),
            ("No-drift noise", f"99% level {number(point.noise)}, mean {number(point.expected)}"),
            (
                "Levels",
                f"warning {number(point.warning)}, critical {number(point.critical)}, "
                f"resolve {number(point.resolve)}"
                if page.rule is not None
                else f"no alert rule on {attr(stat)}",
            ),
            ("Alert state", state_badge(point.alert_state) if point.alert_state else "not evaluated"),
        ]
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    error = r.error if r is not None and r.error else run.error
    return f'<dl class="facts">{items}</dl>' + (f'<p class="error">{attr(error)}</p>' if error else "")


def _bins_table(page: ColumnPage) -> str:
    rows = [
        (
            f"<code>{attr(b.label)}</code>"
            + (f' <span class="muted">({b.kind})</span>' if b.kind in ("other", "missing") else ""),
            f"{b.reference_count:,}",
            f"{100 * b.reference_share:.2f}%",
            f"{b.live_count:,}",
            f"{100 * b.live_share:.2f}%",
            f"{100 * (b.live_share - b.reference_share):+.2f} pp",
            number(b.contribution),
        )
        for b in page.bins
    ]
    headers = [
        "Bin",
        "Reference",
        "Share",
        "Live",
        "Share",
        "Change",
        f"Contribution to {attr(page.statistic)}",
    ]
    units = attr(CONTRIBUTION_UNITS.get(page.statistic, ""))
    note = f'<p class="muted">Contributions: {units}, after smoothing.</p>'
    return table(headers, rows, numeric=(1, 2, 3, 4, 5, 6)) + note


def _transitions(page: ColumnPage, history: int) -> str:
    if not page.transitions:
        return '<p class="muted">No alert transitions in these windows.</p>'
    rows = []
    for e in page.transitions:
        window = "—"
        if e.window_end is not None:
            href = column_path(
                page.monitor.name, e.column, window_end=e.window_end, statistic=e.statistic, history=history
            )
            window = f'<a href="{attr(href)}">{e.window_end:%Y-%m-%d %H:%M}</a>'
        rows.append(
            (
                when(e.at),
                attr(e.statistic),
                f"{_TRANSITION_TEXT.get(e.state, e.state)} {state_badge(e.severity)}",
                window,
                number(e.value),
                number(e.threshold),
                pvalue(e.p_value),
            )
        )
    return table(
        ["At", "Statistic", "Transition", "Window end", "Value", "Threshold", "p-value"],
        rows,
        numeric=(4, 5, 6),
    )


def render_column(page: ColumnPage, history: int) -> str:
    """Return the column page's HTML."""
    name, column, stat = page.monitor.name, page.settings.name, page.statistic
    title = f"{name} / {column}"
    body = [
        f"<h1>{attr(column)} <span class=muted>in {attr(name)}</span></h1>",
        _controls(page, history),
        _pager(page, history),
    ]
    body.append(_facts(page))
    body.append("<h2 id=overlay>Reference and live distributions</h2>")
    if page.bins:
        caption = (
            f"reference and live shares of {column}, window ending {page.run.window_end:%Y-%m-%d %H:%M} UTC"
        )
        body.append(f'<div class="chart">{overlay_chart(page.bins, caption)}</div>')
        body.append("<h2 id=contributions>Bins and their contributions</h2>")
        body.append(_bins_table(page))
    else:
        body.append(
            '<p class="muted">This window stored no counts for this column (see the error above).</p>'
        )
    body.append(f"<h2 id=history>History of {attr(stat)}: last {len(page.history)} windows</h2>")
    marks = [
        (e.window_end, f"{_TRANSITION_TEXT.get(e.state, e.state)} {e.severity}")
        for e in reversed(page.transitions)
        if e.statistic == stat and e.window_end is not None
    ]
    chart = history_chart(
        page.history,
        statistic=stat,
        chosen_end=page.run.window_end,
        link=_link(page, history),
        transitions=marks,
    )
    body.append(f'<div class="chart">{chart}</div>')
    body.append(
        '<p class="muted">Each point is a window: click or press Enter on it to open that window. '
        "Shapes: ○ ok, △ warning, □ critical, ✕ no result.</p>"
    )
    body.append("<h2 id=alerts>Alert transitions</h2>")
    body.append(_transitions(page, history))
    crumbs = [("Overview", "/"), (name, monitor_path(name)), (column, None)]
    return document(title, "".join(body), crumbs)
