"""Open a monitor's live source and reference and check, cheaply, what a run would refuse.

What `driftmon check-config --connect` reports: a source that cannot be reached or opened (a
database down, a file or table that does not exist), a timestamp column missing where one is
needed, a configured column missing, and a column declared numeric whose type or first rows
are not numbers. Only schemas and a few rows are read (see Source.check_columns).
"""

from __future__ import annotations

from dataclasses import dataclass

from driftmon.config import ColumnKind, MonitorConfig
from driftmon.errors import SourceError
from driftmon.jobs.errors import first_line
from driftmon.sources import Source, monitor_source


@dataclass(frozen=True)
class SourceProblem:
    """One thing a run of `monitor` would refuse: in which source, for which column (None: all)."""

    monitor: str
    role: str  # "live source", "reference", or "live source and reference"
    source: str  # the source's description, password hidden
    column: str | None
    reason: str

    def __str__(self) -> str:
        column = f": column {self.column!r}" if self.column is not None else ""
        return f"monitor {self.monitor!r}: {self.role} {self.source}{column}: {self.reason}"


def _check(
    monitor: MonitorConfig, role: str, source: Source, kinds: dict[str, ColumnKind | None]
) -> list[SourceProblem]:
    def problem(column: str | None, reason: str) -> SourceProblem:
        return SourceProblem(monitor.name, role, source.description, column, reason)

    try:
        errors = source.check_columns(kinds)
    except SourceError as exc:
        return [problem(None, exc.reason)]
    except (ValueError, OSError) as exc:
        return [problem(None, first_line(exc))]
    finally:
        source.close()
    return [problem(name, errors[name].reason) for name in kinds if name in errors]


def check_monitor_sources(monitor: MonitorConfig) -> list[SourceProblem]:
    """Return every problem found in the monitor's live source and its reference (empty: none)."""
    kinds = {c.name: c.resolved_kind for c in monitor.all_column_settings()}
    live = monitor_source(monitor)
    if monitor.reference_source() == monitor.source and not monitor.reference.whole_source:
        return _check(monitor, "live source and reference", live, kinds)
    problems = _check(monitor, "live source", live, kinds)
    return problems + _check(monitor, "reference", monitor_source(monitor, reference=True), kinds)
