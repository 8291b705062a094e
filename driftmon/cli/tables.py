"""Plain-text tables for the terminal: a run's columns, and stored baselines."""

from __future__ import annotations

import math
from collections.abc import Sequence

from driftmon.alerts import Severity
from driftmon.jobs import RunOutcome
from driftmon.results import ResultRecord
from driftmon.store import BaselineRecord

_SKIPS = {
    "already_done": "already done, stored result",
    "in_progress": "in progress elsewhere, not computed",
    "failed_not_retried": "failed before, not retried",
}


def format_number(value: float | None, *, p_value: bool = False) -> str:
    """Format a statistic (4 decimals) or a p-value (2 significant digits); '-' when missing."""
    if value is None or math.isnan(value):
        return "-"
    if p_value or (value != 0 and not 1e-4 <= abs(value) < 1e5):
        return f"{value:.2g}"
    return f"{value:.4f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Return aligned lines: the header, a rule, then the rows (text left, numbers right)."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    numeric = [bool(rows) and all(_is_number(r[i]) for r in rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def _is_number(text: str) -> bool:
    if text == "-":
        return True
    try:
        float(text.lstrip("v"))
    except ValueError:
        return False
    return True


def _alert(column: ResultRecord) -> str:
    severities = {s: Severity.parse(label) for s, label in column.alert_states.items()}
    worst = max(severities.values(), default=None)
    if worst is None:
        return "-"
    if worst == Severity.OK:
        return "ok"
    stats = sorted(s for s, v in severities.items() if v == worst)
    return f"{worst.label} ({', '.join(stats)})"


def _top_bin(column: ResultRecord) -> str:
    # A bin empty on both sides still "contributes" through smoothing; it explains nothing.
    b = next((b for b in column.top_bins if b.reference_share or b.live_share), None)
    if b is None:
        return "-"
    return f"{b.label}: {b.reference_share:.1%} -> {b.live_share:.1%}"


def _column_row(c: ResultRecord) -> list[str]:
    stats = c.statistics()
    return [
        c.column,
        c.kind or "-",
        c.role,
        f"v{c.baseline_version}" if c.baseline_version is not None else "-",
        str(c.n_live) if c.n_live is not None else "-",
        format_number(stats["js_divergence"]),
        format_number(c.p_value, p_value=True),
        format_number(stats["kl_live_ref"]),
        format_number(stats["psi"]),
        c.status,
        _alert(c),
        _top_bin(c),
    ]


def run_report(outcome: RunOutcome) -> list[str]:
    """Return the lines `driftmon run` prints: a heading, the column table, failed columns, alerts."""
    w = outcome.window
    note = f" ({_SKIPS[outcome.skipped]})" if outcome.skipped else ""
    rows = f", {outcome.rows_read} rows" if outcome.rows_read is not None else ""
    heading = f"{outcome.monitor}  window {w.start.isoformat()} .. {w.end.isoformat()}"
    lines = [f"{heading}: {outcome.status}{note}{rows}"]
    if outcome.columns:
        header = ["column", "kind", "role", "base", "n_live", "js_div", "p_value", "kl_live_ref", "psi"]
        header += ["status", "alert", "top bin: reference -> live"]
        lines += table(header, [_column_row(c) for c in outcome.columns])
        lines.append("js_div and kl_live_ref in bits, psi in nats; p_value: no-drift p-value of js_div")
    for baseline in outcome.baselines:
        lines.append(
            f"fitted baseline v{baseline.version} for {baseline.column!r}: {baseline.kind}, "
            f"{baseline.n_bins} bins, {baseline.n} reference rows"
        )
    for column in outcome.failed_columns:
        lines.append(f"column {column.column!r} failed: {column.error}")
    for column in outcome.columns:
        if column.status == "type_changed" and column.n_live is not None:
            lines.append(column.error or f"column {column.column!r}: type changed")
    for change in outcome.transitions:
        lines.append(f"alert: {change.notification().summary()}")
    return lines


def baseline_table(baselines: Sequence[BaselineRecord]) -> list[str]:
    """Return a table of stored baseline versions (* marks the active one)."""
    rows = []
    for b in baselines:
        ref = b.reference
        span = (
            "all rows"
            if ref.get("all_rows")
            else f"{ref.get('start') or '-inf'} .. {ref.get('end') or '+inf'}"
        )
        rows.append(
            [
                b.monitor,
                b.column,
                f"v{b.version}",
                "*" if b.active else "",
                b.kind,
                b.role,
                str(b.n),
                str(b.spec.n_bins),
                b.fitted_at.isoformat(timespec="seconds"),
                f"{ref.get('mode', '-')}: {ref.get('source', '-')} {span}",
            ]
        )
    header = ["monitor", "column", "version", "active", "kind", "role", "n", "bins", "fitted_at", "reference"]
    return table(header, rows)
