"""The run page: one window's status, timing, rows read and each column's outcome or error."""

from __future__ import annotations

from driftmon.config import Config
from driftmon.pages.layout import attr, document, number, pvalue, state_badge, table, when
from driftmon.pages.urls import column_path, monitor_path
from driftmon.store import RunDetail


def render_run(detail: RunDetail, config: Config) -> str:
    """Return the run page's HTML."""
    run = detail.run
    api = f"/api/v1/runs/{run.id}"
    configured = {m.name: {c.name for c in m.columns} for m in config.monitors}.get(run.monitor, set())
    duration = (
        f"{(run.finished_at - run.started_at).total_seconds():.2f} s"
        if run.finished_at is not None
        else "running"
    )
    facts = [
        ("Monitor", f'<a href="{attr(monitor_path(run.monitor))}">{attr(run.monitor)}</a>'),
        ("Window", f"{when(run.window_start)} → {when(run.window_end)}"),
        ("Status", state_badge(run.status)),
        ("Started", when(run.started_at)),
        ("Finished", when(run.finished_at)),
        ("Duration", duration),
        ("Attempts", str(run.attempts)),
        ("Rows read", f"{run.rows_read:,}" if run.rows_read is not None else "—"),
    ]
    rows = []
    for r in detail.results:
        name = attr(r.column)
        if r.column in configured:
            href = column_path(run.monitor, r.column, window_end=run.window_end)
            name = f'<a href="{attr(href)}">{name}</a>'
        primary = r.primary_statistic or "js_divergence"
        rows.append(
            (
                name,
                state_badge(r.status),
                f"{r.n_live:,}" if r.n_live is not None else "—",
                f"<code>{attr(primary)}</code> {number(r.scores.get(primary))}",
                pvalue(r.p_value),
                f'<span class="error">{attr(r.error)}</span>' if r.error else "",
            )
        )
    body = (
        f"<h1>Run #{run.id} <span class=muted>of {attr(run.monitor)}</span></h1>"
        f'<dl class="facts">{"".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)}</dl>'
        + (f'<p class="error">{attr(run.error)}</p>' if run.error else "")
        + "<h2>Columns</h2>"
        + (
            table(["Column", "Status", "Live values", "Statistic", "p-value", "Error"], rows, numeric=(2, 4))
            if rows
            else '<p class="muted">This run stored no column results.</p>'
        )
        + f'<p class="muted">JSON with every bin\'s counts: <a href="{api}">{api}</a></p>'
    )
    crumbs = [("Overview", "/"), (run.monitor, monitor_path(run.monitor)), (f"run #{run.id}", None)]
    return document(f"Run #{run.id}", body, crumbs)
