"""driftmon.jobs: the work of one monitor, combining its sources, the store and the alert rules.

- `run_window(monitor, window, sessions=...)` scores one window and stores it in one transaction;
- `backfill(monitor, start, end, sessions=...)` runs every window of a range not yet stored;
- `fit_baselines(monitor, sessions=..., now=...)` stores new baseline versions from the reference;
- `check_monitor_sources(monitor)` looks for what a run would refuse in its sources;
- `find_first_row` and `catch_up_windows` decide where a catch-up starts (the source's first row).

They return plain records (RunOutcome, BackfillOutcome, BaselineFitOutcome) carrying what the
service needs for metrics, logs and notifications, and never raise for data problems.
"""

from __future__ import annotations

from driftmon.jobs.backfill import Progress, backfill, backfill_windows
from driftmon.jobs.baselines import BaselineSet, active_baselines, fit_baselines
from driftmon.jobs.catchup import FirstRow, catch_up_windows, find_first_row
from driftmon.jobs.connect import SourceProblem, check_monitor_sources
from driftmon.jobs.outcome import (
    AlertChange,
    BackfillOutcome,
    BaselineFitOutcome,
    FittedBaseline,
    RunOutcome,
    Skip,
)
from driftmon.jobs.run import run_window
from driftmon.jobs.scoring import column_result, failed_column_result

__all__ = [
    "AlertChange",
    "BackfillOutcome",
    "BaselineFitOutcome",
    "BaselineSet",
    "FirstRow",
    "FittedBaseline",
    "Progress",
    "RunOutcome",
    "Skip",
    "SourceProblem",
    "active_baselines",
    "backfill",
    "backfill_windows",
    "catch_up_windows",
    "check_monitor_sources",
    "column_result",
    "failed_column_result",
    "find_first_row",
    "fit_baselines",
    "run_window",
]
