"""The latest result per (monitor, column), packed one row per monitor for a fast bulk read.

latest_results holds one readable row per series (what SQL and Grafana read). Reading 50,000
of those into Python costs far more than the database's answer: two million values, each
decoded into an object. `repack` keeps, next to them, one latest_packs row per monitor with
the same values as JSON text and two little-endian number blocks; `read_latest` decodes those
with numpy into a columnar LatestResults, which builds a ResultSummary only for the rows a
caller looks at. Every writer of latest_results calls `repack` in its own transaction, after
taking the monitor's row lock, so a pack never misses a concurrent writer's rows.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, overload

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.orm import Session

from driftmon.core import STATISTICS
from driftmon.store.errors import StoreError
from driftmon.store.models import LatestPack, LatestResult, Monitor
from driftmon.store.records import ResultSummary

__all__ = ["FORMAT", "SCORE_FIELDS", "LatestResults", "read_latest", "repack"]

FORMAT = 1
# ResultSummary's float fields, in order: the primary p-value, then every statistic column.
SCORE_FIELDS = ResultSummary._fields[12:37]
_NUMBER_FIELDS = (
    "result_id",
    "run_id",
    "window_start",
    "window_end",
    "baseline_version",
    "n_reference",
    "n_live",
)
_INTEGER_FIELDS = tuple(f for f in _NUMBER_FIELDS if not f.startswith("window_"))
_TEXT_FIELDS = ("column", "status", "kind", "role", "error")
_NULL_INT = np.iinfo(np.int64).min
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_SCORE_INDEX = {name: i for i, name in enumerate(SCORE_FIELDS)}

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _moment(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _lock_monitors(session: Session, monitor_ids: Sequence[int]) -> None:
    # Serialises the packing of one monitor (PostgreSQL row locks, in id order against
    # deadlocks; SQLite has one writer anyway). Under READ COMMITTED the read that follows the
    # lock sees every transaction that packed the monitor before.
    session.execute(
        sa.select(Monitor.id)
        .where(Monitor.id.in_(sorted(monitor_ids)))
        .order_by(Monitor.id)
        .with_for_update()
    )


def repack(session: Session, monitor_ids: Collection[int]) -> None:
    """Rewrite the packs of these monitors from their latest_results rows (no rows: no pack)."""
    ids = sorted(set(monitor_ids))
    if not ids:
        return
    _lock_monitors(session, ids)
    table = LatestResult.__table__
    rows = session.execute(
        sa.select(*(table.c[name] for name in _PACKED_COLUMNS))
        .where(table.c.monitor_id.in_(ids))
        .order_by(table.c.monitor_id, table.c.column_name)
    )
    by_monitor: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        by_monitor.setdefault(row[0], []).append(tuple(row))
    session.execute(sa.delete(LatestPack).where(LatestPack.monitor_id.in_(ids)))
    packs = [_pack(mid, latest) for mid, latest in by_monitor.items()]
    if packs:
        session.execute(sa.insert(LatestPack), packs)


# latest_results columns in the order _pack reads them: key, text, numbers, then scores.
_PACKED_COLUMNS = (
    "monitor_id",
    "column_name",
    "status",
    "kind",
    "role",
    "error",
    *_NUMBER_FIELDS,
    *SCORE_FIELDS,
)


def _pack(monitor_id: int, rows: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    text = {field: [r[i] for r in rows] for i, field in enumerate(_TEXT_FIELDS, start=1)}
    numbers = np.array(
        [
            [
                r[6],
                r[7],
                _micros(r[8]),
                _micros(r[9]),
                *(_NULL_INT if v is None else v for v in r[10:13]),
            ]
            for r in rows
        ],
        dtype="<i8",
    )
    scores = np.array([[np.nan if v is None else v for v in r[13:]] for r in rows], dtype="<f8")
    return {
        "monitor_id": monitor_id,
        "format": FORMAT,
        "text": json.dumps(text, separators=(",", ":")),
        "numbers": numbers.tobytes(),
        "scores": scores.tobytes(),
    }


class LatestResults(Sequence[ResultSummary]):
    """The latest result of many series, column by column; a sequence of ResultSummary.

    Rows are grouped by monitor (in the order monitors were first stored), columns by name
    within a monitor. Indexing or iterating builds ResultSummary records on demand; the
    column accessors (`numbers`, `scores`, `score`, ...) give whole columns at numpy speed.
    """

    __slots__ = ("_columns", "_errors", "_kinds", "_monitors", "_numbers", "_roles", "_scores", "_statuses")

    def __init__(
        self,
        monitors: Sequence[str],
        columns: Sequence[str],
        statuses: Sequence[str],
        kinds: Sequence[str | None],
        roles: Sequence[str],
        errors: Sequence[str | None],
        numbers: IntArray,
        scores: FloatArray,
    ) -> None:
        n = len(monitors)
        sizes = (numbers.size, scores.size)
        if not all(len(x) == n for x in (columns, statuses, kinds, roles, errors)) or sizes != (
            n * len(_NUMBER_FIELDS),
            n * len(SCORE_FIELDS),
        ):
            raise ValueError("every column of LatestResults must have one value per series")
        self._monitors, self._columns = tuple(monitors), tuple(columns)
        self._statuses, self._kinds, self._roles = tuple(statuses), tuple(kinds), tuple(roles)
        self._errors = tuple(errors)
        self._numbers = numbers.reshape(n, len(_NUMBER_FIELDS))
        self._scores = scores.reshape(n, len(SCORE_FIELDS))
        self._numbers.flags.writeable = False
        self._scores.flags.writeable = False

    # -- columns ---------------------------------------------------------------------------

    @property
    def monitors(self) -> tuple[str, ...]:
        return self._monitors

    @property
    def columns(self) -> tuple[str, ...]:
        return self._columns

    @property
    def statuses(self) -> tuple[str, ...]:
        return self._statuses

    @property
    def roles(self) -> tuple[str, ...]:
        return self._roles

    def integers(self, name: str) -> list[int | None]:
        """Return one integer column (result_id, run_id, baseline_version, n_reference, n_live)."""
        if name not in _INTEGER_FIELDS:
            raise KeyError(f"unknown integer column {name!r}; known: {', '.join(_INTEGER_FIELDS)}")
        values = self._numbers[:, _NUMBER_FIELDS.index(name)]
        return [None if v == _NULL_INT else v for v in values.tolist()]

    def window_ends(self) -> list[datetime]:
        """Return each series' window end (aware UTC; one object per distinct moment)."""
        moments: dict[int, datetime] = {}
        out = []
        for micros in self._numbers[:, 3].tolist():
            moment = moments.get(micros)
            if moment is None:
                moment = moments[micros] = _moment(micros)
            out.append(moment)
        return out

    def window_end_seconds(self) -> FloatArray:
        """Return each series' window end in Unix seconds."""
        return self._numbers[:, 3] / 1e6

    def score(self, name: str) -> FloatArray:
        """Return one score column (a SCORE_FIELDS name) with NaN where the value is NULL."""
        if name not in _SCORE_INDEX:
            raise KeyError(f"unknown score {name!r}; known: {', '.join(SCORE_FIELDS)}")
        return self._scores[:, _SCORE_INDEX[name]]

    def score_matrix(self, names: Sequence[str]) -> FloatArray:
        """Return (series, score) values of these SCORE_FIELDS names, NaN where NULL."""
        unknown = [name for name in names if name not in _SCORE_INDEX]
        if unknown:
            raise KeyError(f"unknown score {unknown[0]!r}; known: {', '.join(SCORE_FIELDS)}")
        return self._scores[:, [_SCORE_INDEX[name] for name in names]]

    def statistic_matrix(self) -> FloatArray:
        """Return (series, statistic) values in core.STATISTICS order, NaN where NULL."""
        return self.score_matrix(STATISTICS)

    # -- Sequence[ResultSummary] -----------------------------------------------------------

    def __len__(self) -> int:
        return len(self._monitors)

    @overload
    def __getitem__(self, index: int) -> ResultSummary: ...
    @overload
    def __getitem__(self, index: slice) -> list[ResultSummary]: ...
    def __getitem__(self, index: int | slice) -> ResultSummary | list[ResultSummary]:
        if isinstance(index, slice):
            return [
                self._row(i, self._numbers[i].tolist(), self._scores[i].tolist())
                for i in range(len(self))[index]
            ]
        i = range(len(self))[index]  # IndexError and negative indices as a list has them
        return self._row(i, self._numbers[i].tolist(), self._scores[i].tolist())

    def __iter__(self) -> Iterator[ResultSummary]:
        for i, (numbers, scores) in enumerate(
            zip(self._numbers.tolist(), self._scores.tolist(), strict=True)
        ):
            yield self._row(i, numbers, scores)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LatestResults | list | tuple):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LatestResults({len(self)} series of {len(set(self._monitors))} monitors)"

    def _row(self, i: int, numbers: list[int], scores: list[float]) -> ResultSummary:
        result_id, run_id, start, end, version, n_reference, n_live = numbers
        return ResultSummary._make(
            (
                result_id,
                run_id,
                self._monitors[i],
                self._columns[i],
                _moment(start),
                _moment(end),
                self._statuses[i],
                self._kinds[i],
                self._roles[i],
                None if version == _NULL_INT else version,
                None if n_reference == _NULL_INT else n_reference,
                None if n_live == _NULL_INT else n_live,
                *[None if v != v else v for v in scores],
                self._errors[i],
            )
        )


def _fetch(session: Session, query: sa.Select[*tuple[Any, ...]]) -> Sequence[Sequence[Any]]:
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return session.execute(query).all()
    # psycopg's binary protocol: bytea arrives as the bytes themselves, not as hex text to
    # decode (twice the size, and most of the read's time).
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    raw: Any = connection.connection.driver_connection
    with raw.cursor(binary=True) as cursor:
        cursor.execute(str(compiled), compiled.params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


def read_latest(session: Session, monitors: Collection[str] | None = None) -> LatestResults:
    """Return the latest result of every series, or of the named monitors' series."""
    query = sa.select(Monitor.name, LatestPack.format, LatestPack.text, LatestPack.numbers, LatestPack.scores)
    query = query.join(Monitor, Monitor.id == LatestPack.monitor_id)
    if monitors is not None:
        query = query.where(Monitor.name.in_(sorted(set(monitors))))
    rows = _fetch(session, query.order_by(LatestPack.monitor_id))
    names: list[str] = []
    text: dict[str, list[Any]] = {field: [] for field in _TEXT_FIELDS}
    for name, fmt, packed_text, _, _ in rows:
        if fmt != FORMAT:
            raise StoreError(
                f"monitor {name!r}: latest_packs holds format {fmt}, this driftmon reads format {FORMAT}"
            )
        decoded = json.loads(packed_text)
        for field in _TEXT_FIELDS:
            text[field].extend(decoded[field])
        names.extend([name] * len(decoded["column"]))
    numbers = np.frombuffer(b"".join(r[3] for r in rows), dtype="<i8").astype(np.int64, copy=False)
    scores = np.frombuffer(b"".join(r[4] for r in rows), dtype="<f8").astype(np.float64, copy=False)
    return LatestResults(
        names, text["column"], text["status"], text["kind"], text["role"], text["error"], numbers, scores
    )
