"""serve(): run the service until SIGTERM or SIGINT; SIGHUP reloads the configuration.

The first SIGTERM/SIGINT stops cleanly: no new runs, runs in flight finish within
scheduler.shutdown_grace, exit status 0. A second one exits at once with status 1; a run cut
off either way is not half-written (its claim stays `running`, without results, and is taken
over once stale).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from driftmon.errors import ConfigError
from driftmon.http import ListenError
from driftmon.service.service import Service
from driftmon.store import StoreError

log = logging.getLogger(__name__)

_WAKE_EVERY = 0.25  # seconds between checks for signals


def serve(
    config_files: Sequence[str],
    *,
    database_url: str | None = None,
    host: str | None = None,
    port: int | None = None,
    catch_up: bool = True,
) -> int:
    """Run `driftmon serve` in this (main) thread; return the exit status."""
    service = Service(config_files, database_url=database_url, host=host, port=port, catch_up=catch_up)
    wake = threading.Event()
    requested: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if signum != signal.SIGHUP and any(s != signal.SIGHUP for s in requested):
            log.warning("second %s: exiting now", signal.Signals(signum).name)
            logging.shutdown()
            os._exit(1)
        requested.append(signum)
        wake.set()

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, on_signal)
    # What the imports created (modules, classes, functions) lives as long as the process: left
    # out of the garbage collector's full collections, which reading a large config and
    # rebuilding the snapshot trigger several times, those take a third of the time.
    gc.freeze()
    try:
        service.start()
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except (StoreError, ConnectionError, ListenError) as exc:
        from driftmon.demo import explained

        log.error("cannot start: %s", explained(exc))
        service.stop(0)
        return 1
    while True:
        # Signals may land on any thread; the handlers run in this one when it next wakes up, and a
        # wait without a timeout would not wake for a signal delivered elsewhere.
        if not wake.wait(_WAKE_EVERY):
            continue
        wake.clear()
        stops = [s for s in requested if s != signal.SIGHUP]
        if len(stops) < len(requested):
            requested[:] = stops
            log.info("SIGHUP: reloading the configuration")
            service.reload()
        if stops:
            log.info("%s: stopping", signal.Signals(stops[0]).name)
            break
    stopped: list[list[str]] = []

    def stop() -> None:
        try:
            stopped.append(service.stop())
        except Exception:
            log.exception("stopping failed")

    stopper = threading.Thread(target=stop, name="driftmon-stop")
    stopper.start()
    while stopper.is_alive():
        stopper.join(_WAKE_EVERY)  # stay responsive: a second signal exits at once
    if not stopped:
        return 1
    cut = stopped[0]
    if cut:
        # Daemon threads are still inside those runs: leave without waiting for them.
        logging.shutdown()
        os._exit(0)
    return 0
