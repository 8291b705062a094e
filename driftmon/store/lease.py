"""A lease that at most one process on the store holds: PostgreSQL's session advisory lock.

The holder keeps one connection open; the lock ends with that connection, so a process that
dies (even by `kill -9`: the kernel closes its socket) frees the lease at once and another
takes it at its next attempt. A holder that vanishes without closing it (its node lost, the
network cut) is noticed by the server's TCP keepalive probes, which the holder's connection
sets to about half a minute (the server's default waits two hours and more). SQLite has one
serving process per file (the serve lock), which always holds the lease.
"""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)


# The holder's session asks the server to probe its socket after 10 s idle, every 5 s, and to
# give up after 3 unanswered probes (or 30 s of unacknowledged data): the lock is free then.
_PROBES = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "tcp_user_timeout": "30000",
}


def _lock_key(name: str) -> int:
    """Return a stable signed 64-bit key for the lease's name (advisory locks are keyed by bigint)."""
    digest = hashlib.sha256(f"driftmon lease {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Lease:
    """Hold, check and release one named lease.

    One thread calls hold() and release(); others may read `held`, which is as of the last
    hold() (a connection the database dropped is noticed there).
    """

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self.key = _lock_key(name)
        self._shared = engine.dialect.name != "postgresql"  # SQLite: the one process holds it
        self._conn: Connection | None = None

    @property
    def held(self) -> bool:
        return self._shared or self._conn is not None

    def hold(self) -> bool:
        """Return whether this process holds the lease now, taking it when it is free.

        The held lease is checked on its connection first: a connection the database dropped
        means the lease is gone (another process may hold it already) and is tried again.
        """
        if self._shared:
            return True
        if self._conn is not None:
            try:
                self._conn.execute(sa.text("SELECT 1"))
                return True
            except sa.exc.DBAPIError:
                log.warning("lease %s: its connection was lost; the lease is released", self.name)
                self._drop()
        try:
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except sa.exc.DBAPIError:
            return False
        try:
            taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar()
            if taken:
                for setting, value in _PROBES.items():
                    conn.execute(
                        sa.text("SELECT set_config(:setting, :value, false)"),
                        {"setting": setting, "value": value},
                    )
        except sa.exc.DBAPIError:  # the connection is discarded, and a lock taken on it with it
            conn.invalidate()
            conn.close()
            return False
        if not taken:
            conn.close()
            return False
        self._conn = conn
        log.info("lease %s taken: this process delivers notifications", self.name)
        return True

    def release(self) -> None:
        """Give the lease up (at shutdown)."""
        if self._conn is None:
            return
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
            self._conn.close()
        except sa.exc.DBAPIError:
            self._drop()
        self._conn = None

    def _drop(self) -> None:
        # The connection must not go back to the pool still holding the lock: discard it.
        if self._conn is not None:
            self._conn.invalidate()
            self._conn.close()
            self._conn = None
