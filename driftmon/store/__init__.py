"""driftmon.store: baselines, runs, column results and alert events in SQL (SQLite or PostgreSQL).

Repository functions take a Session and flush but never commit: the caller owns the
transaction (`with sessions() as s, s.begin(): ...`), so one run is written all at once or
not at all. Timestamps are timezone-aware UTC on every backend; naive ones are refused.
Records returned are frozen dataclasses or named tuples, never live ORM objects.
"""

from __future__ import annotations

from driftmon.store.alert_events import alert_history, current_alert_states, record_alert_event
from driftmon.store.alert_states import (
    AlertStateRecord,
    load_alert_states,
    record_window_alert_states,
    save_alert_states,
)
from driftmon.store.baselines import (
    activate_baseline,
    active_baseline,
    add_baseline,
    get_baseline,
    list_baselines,
)
from driftmon.store.errors import (
    BaselineMismatchError,
    DatabaseNotAtHeadError,
    InvalidCountsError,
    MigrationsNotFoundError,
    MissingDirectoryError,
    NaiveDatetimeError,
    NameTooLongError,
    NoStoredCountsError,
    RunNotClaimedError,
    StoreError,
    StoreInputError,
    UnknownBaselineError,
    UnknownResultError,
    UnknownRunError,
    UnsupportedDatabaseError,
)
from driftmon.store.lease import Lease
from driftmon.store.migrate import current_revision, ensure_at_head, head_revision, upgrade
from driftmon.store.monitors import lock_monitor, monitor_changes, upsert_monitor
from driftmon.store.outbox import delete_outbox_entries, outbox_entries, queue_notification
from driftmon.store.queries import (
    column_history,
    get_result,
    get_run,
    latest_results,
    latest_runs,
    run_history,
    stored_windows,
    window_results,
)
from driftmon.store.records import (
    DONE_STATUSES,
    AlertEventRecord,
    BaselineRecord,
    Claim,
    RunDetail,
    RunRecord,
)
from driftmon.store.retention import RetentionReport, delete_results_older_than
from driftmon.store.rollup import ResultKey, Rollup, rescore, rollup
from driftmon.store.runs import claim_run, finish_run
from driftmon.store.session import (
    DATABASE_URL_ENV,
    display_url,
    make_engine,
    resolve_database_url,
    session_factory,
)
from driftmon.store.types import MAX_NAME_LENGTH

__all__ = [
    "DATABASE_URL_ENV",
    "DONE_STATUSES",
    "MAX_NAME_LENGTH",
    "AlertEventRecord",
    "AlertStateRecord",
    "BaselineMismatchError",
    "BaselineRecord",
    "Claim",
    "DatabaseNotAtHeadError",
    "InvalidCountsError",
    "Lease",
    "MigrationsNotFoundError",
    "MissingDirectoryError",
    "NaiveDatetimeError",
    "NameTooLongError",
    "NoStoredCountsError",
    "ResultKey",
    "RetentionReport",
    "Rollup",
    "RunDetail",
    "RunNotClaimedError",
    "RunRecord",
    "StoreError",
    "StoreInputError",
    "UnknownBaselineError",
    "UnknownResultError",
    "UnknownRunError",
    "UnsupportedDatabaseError",
    "activate_baseline",
    "active_baseline",
    "add_baseline",
    "alert_history",
    "claim_run",
    "column_history",
    "current_alert_states",
    "current_revision",
    "delete_outbox_entries",
    "delete_results_older_than",
    "display_url",
    "ensure_at_head",
    "finish_run",
    "get_baseline",
    "get_result",
    "get_run",
    "head_revision",
    "latest_results",
    "latest_runs",
    "list_baselines",
    "load_alert_states",
    "lock_monitor",
    "make_engine",
    "monitor_changes",
    "outbox_entries",
    "queue_notification",
    "record_alert_event",
    "record_window_alert_states",
    "rescore",
    "resolve_database_url",
    "rollup",
    "run_history",
    "save_alert_states",
    "session_factory",
    "stored_windows",
    "upgrade",
    "upsert_monitor",
    "window_results",
]
