"""The notifier lease on PostgreSQL: a holder that vanishes without closing its connection."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from driftmon.store import Lease, make_engine, upgrade


@pytest.mark.postgres
def test_the_server_probes_the_holders_connection_within_seconds(postgres_url: str) -> None:
    # A holder whose node is lost (power, network) sends no FIN: the server keeps its session,
    # and the lock, until TCP keepalive gives up on it, two hours and more with the defaults.
    engine = make_engine(postgres_url)
    upgrade(engine)
    try:
        lease = Lease(engine, "notifier")
        assert lease.hold()
        conn = lease._conn
        assert conn is not None

        def setting(name: str) -> int:
            return int(conn.execute(sa.text(f"SHOW {name}")).scalar_one().rstrip("ms"))

        idle, interval, count = (setting(f"tcp_keepalives_{n}") for n in ("idle", "interval", "count"))
        assert idle + interval * count <= 60
        assert 0 < setting("tcp_user_timeout") <= 60_000
        lease.release()
        # The connection went back to the pool: it no longer holds the lock.
        with engine.connect() as other:
            held = other.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
            assert held.scalar_one() == 0
    finally:
        engine.dispose()
