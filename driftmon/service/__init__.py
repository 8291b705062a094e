"""driftmon.service: the composition root of `driftmon serve`.

`Service(config_files)` wires configuration, store, metrics snapshot, notifiers, HTTP server
and scheduler (`start`, `reload`, `stop`); `serve(config_files)` runs it until a signal.
"""

from __future__ import annotations

from driftmon.service.delivery import OutboxDelivery, notification_from_event, result_path
from driftmon.service.logs import config_secrets, configure_logging
from driftmon.service.notifications import Notifications
from driftmon.service.rebuild import StoreFollower, rebuild_snapshot
from driftmon.service.report import Reporter, outcome_values, source_reachable
from driftmon.service.service import SchedulerTrigger, Service
from driftmon.service.signals import serve
from driftmon.service.store import StoreHandle, open_store

__all__ = [
    "Notifications",
    "OutboxDelivery",
    "Reporter",
    "SchedulerTrigger",
    "Service",
    "StoreFollower",
    "StoreHandle",
    "config_secrets",
    "configure_logging",
    "notification_from_event",
    "open_store",
    "outcome_values",
    "rebuild_snapshot",
    "result_path",
    "serve",
    "source_reachable",
]
