"""Service: the composition root of `driftmon serve`.

Start-up, in order: configuration -> logging -> store (reachable, schema at head) -> the
store's change markers read, then the metrics snapshot rebuilt from the store -> notifiers ->
HTTP server (so /metrics answers during the catch-up) -> the outbox's delivery -> scheduler,
whose first tick per monitor backfills the windows missed meanwhile.
Stop, in order: the scheduler takes no new runs and lets those in flight finish within the
grace period (HTTP still serves, /readyz says not ready), queued notifications get what is left
of it (the rest stays in the store's outbox), then the HTTP server and the store close. A
reload (SIGHUP) re-reads the config files and applies them without losing the snapshot's
values or the runs in flight.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from driftmon.config import Config, load_config
from driftmon.errors import ConfigError, WindowError
from driftmon.http import ApiContext, HttpServer, Readiness, TriggerRejectedError, create_app
from driftmon.jobs import RunOutcome
from driftmon.metrics import MetricsSnapshot, monitor_specs
from driftmon.pages import add_pages
from driftmon.scheduler import (
    Clock,
    MonitorBusyError,
    MonitorScheduler,
    MonitorWorker,
    SchedulerStoppedError,
    WindowNotReadyError,
    utc_now,
)
from driftmon.service.delivery import OutboxDelivery
from driftmon.service.logs import config_secrets, configure_logging
from driftmon.service.notifications import Notifications, build_notifier
from driftmon.service.rebuild import StoreFollower, rebuild_snapshot
from driftmon.service.report import Reporter
from driftmon.service.store import StoreHandle, open_store
from driftmon.store import DATABASE_URL_ENV

log = logging.getLogger(__name__)

DATABASE_CHECK_EVERY = timedelta(seconds=15)
_RETENTION_EVERY = timedelta(hours=6)


class SchedulerTrigger:
    """The HTTP API's run trigger: the worker's run_now, its refusals as HTTP statuses."""

    def __init__(self, worker: MonitorWorker) -> None:
        self.worker = worker

    def __call__(self, monitor: str, window_end: datetime | None) -> RunOutcome:
        """Run the window now; UnknownMonitorError propagates (404), other refusals become 409/422/503."""
        try:
            return self.worker.run_now(monitor, window_end)
        except MonitorBusyError as exc:
            raise TriggerRejectedError(409, str(exc)) from None
        except (WindowNotReadyError, WindowError) as exc:
            raise TriggerRejectedError(422, str(exc)) from None
        except SchedulerStoppedError as exc:
            raise TriggerRejectedError(503, str(exc)) from None


class Service:
    """driftmon serve: scheduler, metrics, notifiers and HTTP over one store."""

    def __init__(
        self,
        config_files: Sequence[str],
        *,
        database_url: str | None = None,
        clock: Clock = utc_now,
        host: str | None = None,
        port: int | None = None,
        catch_up: bool = True,
    ) -> None:
        self.config_files = tuple(config_files)
        self.database_url = database_url
        # Command-line overrides of server.host and server.port, kept across reloads.
        self.listen = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
        self.clock = clock
        # False: no start-up catch-up; each monitor's first scheduled tick runs what it missed.
        self.catch_up = catch_up
        self.config: Config | None = None
        self.snapshot = MetricsSnapshot()
        self.store: StoreHandle | None = None
        self.scheduler: MonitorScheduler | None = None
        self.http: HttpServer | None = None
        self.notifications: Notifications | None = None
        self.delivery: OutboxDelivery | None = None

    @property
    def url(self) -> str | None:
        """The HTTP server's base URL once started."""
        return self.http.url if self.http is not None else None

    def start(self) -> None:
        """Bring the service up, or raise ConfigError, StoreError, ConnectionError or ListenError."""
        config = self.config = self._load()
        configure_logging(config.logging, secrets=self._secrets(config))
        enabled = [m for m in config.monitors if m.enabled]
        log.info("driftmon starting: %d monitors enabled (%d configured)", len(enabled), len(config.monitors))
        store = self.store = open_store(config, self.database_url)
        log.info("store %s at schema %s", store.url, store.head)
        follower = StoreFollower(self.snapshot, store.sessions, self._exported)
        follower.prime()
        seconds = rebuild_snapshot(self.snapshot, config, store.sessions, now=self.clock())
        log.info("metrics snapshot loaded from the store in %.3fs", seconds)
        self.snapshot.set_database_up(True)
        self.notifications = Notifications([build_notifier(n, config.server) for n in config.notifiers])
        delivery = self.delivery = OutboxDelivery(
            store.engine,
            store.sessions,
            self.notifications,
            every=config.scheduler.notify_every.total_seconds(),
        )
        scheduler = self.scheduler = MonitorScheduler(
            config.monitors,
            sessions=store.sessions,
            settings=config.scheduler,
            listener=Reporter(self.snapshot, delivery.wake, follower),
            clock=self.clock,
            notify=lambda: self.notifications is not None and self.notifications.configured,
        )
        scheduler.add_periodic("database-check", lambda: store.refresh(self.snapshot), DATABASE_CHECK_EVERY)
        scheduler.add_periodic("follow-store", follower.follow, config.scheduler.follow_every)
        days = config.database.retention_days
        if days is not None:
            scheduler.add_periodic("retention", lambda: store.prune(days, self.clock), _RETENTION_EVERY)
        app = create_app(
            ApiContext(
                config=self._current_config,
                sessions=store.sessions,
                snapshot=self.snapshot,
                readiness=self.readiness,
                trigger=SchedulerTrigger(scheduler.worker),
                next_ticks=scheduler.next_ticks,
            )
        )
        add_pages(app, self.clock)
        server = config.server
        self.http = HttpServer(app, server.host, server.port, access_log=config.logging.level == "DEBUG")
        self.http.start()
        delivery.start()
        scheduler.start(catch_up=self.catch_up)

    def _secrets(self, config: Config) -> list[str]:
        """The secrets no log line may show: the config's and the store URL's (flag or environment)."""
        return config_secrets(config, self.database_url or os.environ.get(DATABASE_URL_ENV))

    def readiness(self) -> Readiness:
        """Check the database (reachable, schema at head) and the scheduler."""
        store, scheduler = self.store, self.scheduler
        checks = {
            "database": store.refresh(self.snapshot) if store is not None else "not open",
            "scheduler": "ok"
            if scheduler is not None and scheduler.running
            else ("stopping" if scheduler is not None and scheduler.worker.stopping else "not running"),
        }
        return Readiness(checks)

    def reload(self) -> bool:
        """Re-read the config files and apply them; if unreadable or invalid, keep running as before."""
        old = self._current_config()
        try:
            new = self._load()
        except ConfigError as exc:
            log.error("reload refused, the running configuration stays in force: %s", exc)
            return False
        except Exception:  # a config driftmon fails to read must not end the service either
            log.exception(
                "reload refused, the running configuration stays in force: reading the config failed"
            )
            return False
        if new.database.description != old.database.description:
            log.error("reload refused: the database changed to %s; restart", new.database.description)
            return False
        if (new.server.host, new.server.port) != (old.server.host, old.server.port):
            log.warning("reload: the server keeps listening on %s until a restart", self.url)
        if new.scheduler != old.scheduler:
            log.warning("reload: scheduler settings change at the next restart")
        # The old secrets stay hidden too: notifications queued before the reload still use them.
        configure_logging(new.logging, secrets=[*self._secrets(old), *self._secrets(new)])
        self.snapshot.configure(monitor_specs(new, now=self.clock()))
        if self.notifications is not None and (new.notifiers != old.notifiers or new.server != old.server):
            self.notifications.replace([build_notifier(n, new.server) for n in new.notifiers])
        self.config = new.model_copy(update={"scheduler": old.scheduler})
        assert self.scheduler is not None
        added, changed, removed = self.scheduler.configure(new.monitors)
        log.info(
            "configuration reloaded: monitors added %s, changed %s, removed %s",
            added or "none",
            changed or "none",
            removed or "none",
        )
        return True

    def stop(self, grace: float | None = None) -> list[str]:
        """Stop as described above; return the runs cut off by the grace period (normally none)."""
        if grace is not None:
            seconds = grace
        else:
            seconds = self.config.scheduler.shutdown_grace.total_seconds() if self.config is not None else 0.0
        deadline = time.monotonic() + seconds
        cut: list[str] = []
        if self.scheduler is not None:
            cut = self.scheduler.stop(seconds)
        if self.delivery is not None:
            self.delivery.stop(max(0.0, deadline - time.monotonic()))
        elif self.notifications is not None:
            self.notifications.close(max(0.0, deadline - time.monotonic()))
        if self.http is not None:
            self.http.stop()
        if self.store is not None:
            self.store.dispose()
        log.info("driftmon stopped%s", f"; cut off: {', '.join(cut)}" if cut else "")
        return cut

    def _load(self) -> Config:
        config = load_config(self.config_files)
        if not self.listen:
            return config
        return config.model_copy(update={"server": config.server.model_copy(update=self.listen)})

    def _exported(self) -> list[str]:
        """The monitors /metrics exports now: the enabled ones of the running config."""
        return [m.name for m in self._current_config().monitors if m.enabled]

    def _current_config(self) -> Config:
        if self.config is None:
            raise RuntimeError("the service is not started")
        return self.config
