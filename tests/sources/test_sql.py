"""The SQL source on SQLite and PostgreSQL: pushed-down counts equal the core's over the same rows."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from driftmon.config import ColumnSettings, SqlSourceConfig
from driftmon.core import BinSpec, CategoricalBins, NumericBins, count_values
from driftmon.errors import (
    ColumnReadError,
    ColumnTypeError,
    MissingColumnError,
    NonNumericColumnError,
    SourceQueryError,
    SourceSchemaError,
    SourceTimeoutError,
    SourceUnreachableError,
)
from driftmon.sources import Sampling, SqlSource, fit_reference
from driftmon.windows import TimeRange, Window

START = datetime(2024, 1, 1, tzinfo=UTC)
ODD = 'x"; DROP TABLE t; --'


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def is_pg(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def create(url: str, name: str, columns: list[sa.Column[Any]], rows: list[dict[str, Any]]) -> None:
    engine = sa.create_engine(url)
    table = sa.Table(name, sa.MetaData(), *columns)
    with engine.begin() as conn:
        table.create(conn)
        if rows:
            conn.execute(table.insert(), rows)
    engine.dispose()


def standard_rows(n: int, seed: int, pg: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    special = [0.0, 1.0, -1.0, 2.5, None] + ([math.inf, -math.inf, math.nan] if pg else [])
    rows = []
    for _ in range(n):
        x: float | None = float(rng.normal()) if rng.random() < 0.6 else special[rng.integers(len(special))]
        if x is not None and math.isfinite(x) and rng.random() < 0.3:
            x = float(round(x))  # many values exactly on integer edges
        rows.append(
            {
                "ts": START + timedelta(minutes=int(rng.integers(0, 48 * 60))),
                "x": x,
                "i": None if rng.random() < 0.1 else int(rng.integers(-3, 4)),
                "c": None if rng.random() < 0.1 else str(rng.choice(["a", "b", "c", "d", "é", "a'b"])),
                "f": None if rng.random() < 0.1 else float(rng.choice([0.5, 1.5, 2.5])),
                "flag": None if rng.random() < 0.2 else bool(rng.random() < 0.3),
                ODD: float(rng.integers(0, 5)),
            }
        )
    return rows


STANDARD_COLUMNS = [
    ("ts", sa.DateTime(timezone=True)),
    ("x", sa.Float()),
    ("i", sa.Integer()),
    ("c", sa.Text()),
    ("f", sa.Float()),
    ("flag", sa.Boolean()),
    (ODD, sa.Float()),
]


@pytest.fixture
def standard(database_url: str) -> tuple[str, list[dict[str, Any]]]:
    rows = standard_rows(3000, 7, is_pg(database_url))
    create(database_url, "t", [sa.Column(n, t) for n, t in STANDARD_COLUMNS], rows)
    return database_url, rows


def source(url: str, table: str = "t", **kwargs: Any) -> SqlSource:
    return SqlSource(SqlSourceConfig(url=url, table=table), "ts", **kwargs)


def in_window(rows: list[dict[str, Any]], window: Window | None) -> list[dict[str, Any]]:
    if window is None:
        return rows
    return [r for r in rows if window.start <= r["ts"] < window.end]


def random_specs(rng: np.random.Generator) -> dict[str, BinSpec]:
    def edges(pool: list[float]) -> NumericBins:
        k = int(rng.integers(0, 6))
        return NumericBins(tuple(sorted({float(e) for e in rng.choice(pool, size=k)})))

    return {
        "x": edges([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5, 3.0]),
        "i": CategoricalBins(tuple(int(v) for v in rng.choice(range(-5, 6), size=3, replace=False))),
        "c": CategoricalBins(
            tuple(str(v) for v in rng.choice(["a", "b", "a'b", "é", "zz"], size=2, replace=False))
        ),
        "f": CategoricalBins((0.5, 9.5)),
        "flag": CategoricalBins((True,)) if rng.random() < 0.5 else CategoricalBins((False, True)),
        ODD: edges([0.0, 1.0, 2.0, 3.0, 4.0]),
        "i_as_number": edges([-2.0, 0.0, 1.0]),
    }


def test_pushed_down_counts_equal_core_counts_over_the_same_rows(
    standard: tuple[str, list[dict[str, Any]]],
) -> None:
    url, rows = standard
    rng = np.random.default_rng(11)
    src = source(url)
    try:
        for _ in range(25):
            start = START + timedelta(minutes=int(rng.integers(-60, 47 * 60)))
            window = Window(start, start + timedelta(minutes=int(rng.integers(1, 12 * 60))))
            specs = random_specs(rng)
            numeric_i = specs.pop("i_as_number")
            counted = src.count(specs, window)
            assert counted.errors == {}
            expected_rows = in_window(rows, window)
            assert counted.rows == len(expected_rows)
            for name, spec in specs.items():
                expected = count_values(spec, [r[name] for r in expected_rows], name)
                assert np.array_equal(counted.histograms[name].counts, expected.counts), (name, spec, window)
            as_number = src.count({"i": numeric_i}, window).histograms["i"]
            expected = count_values(numeric_i, [r["i"] for r in expected_rows])
            assert np.array_equal(as_number.counts, expected.counts)
    finally:
        src.close()


def test_unsafe_names_are_quoted_harmlessly(database_url: str) -> None:
    table = 'events"; DROP TABLE t; --'
    create(database_url, "t", [sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("a", sa.Float())], [])
    rows = [{"ts": START + timedelta(minutes=k), ODD: float(k % 3)} for k in range(30)]
    create(
        database_url, table, [sa.Column("ts", sa.DateTime(timezone=True)), sa.Column(ODD, sa.Float())], rows
    )
    src = source(database_url, table)
    counted = src.count({ODD: NumericBins((1.0, 2.0))}, None)
    assert counted.histograms[ODD].counts.tolist() == [10, 10, 10, 0]
    src.close()
    engine = sa.create_engine(database_url)
    assert set(sa.inspect(engine).get_table_names()) == {"t", table}
    engine.dispose()


def test_query_source_is_wrapped_as_a_subquery(database_url: str) -> None:
    rows = [{"ts": START + timedelta(minutes=k), "note": ["a:b", "50%", "c"][k % 3]} for k in range(30)]
    create(
        database_url,
        "notes",
        [sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("note", sa.Text())],
        rows,
    )
    query = "SELECT ts, note, note || ':x' AS tagged FROM notes WHERE note LIKE '5%' OR note = 'a:b'"
    src = SqlSource(SqlSourceConfig(url=database_url, query=query), "ts")
    counted = src.count({"tagged": CategoricalBins(("a:b:x",)), "note": CategoricalBins(("50%",))}, None)
    assert counted.rows == 20
    assert counted.histograms["tagged"].counts.tolist() == [10, 10, 0]
    assert counted.histograms["note"].counts.tolist() == [10, 10, 0]
    src.close()


def test_bad_columns_fail_alone(standard: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = standard
    create(
        url,
        "texts",
        [
            sa.Column("ts", sa.DateTime(timezone=True)),
            sa.Column("s", sa.Text()),
            sa.Column("y", sa.Float()),
            sa.Column("empty", sa.Float()),
        ],
        [
            {"ts": START, "s": "1.5", "y": 1.0, "empty": None},
            {"ts": START + timedelta(minutes=1), "s": "abc", "y": 2.0, "empty": None},
        ],
    )
    src = source(url, "texts")
    specs: dict[str, BinSpec] = {
        "s": NumericBins((1.0,)),
        "y": NumericBins((1.5,)),
        "nope": NumericBins((0.0,)),
        "empty": NumericBins((0.0,)),
    }
    counted = src.count(specs, None)
    assert set(counted.histograms) == {"y", "empty"}
    assert counted.histograms["y"].counts.tolist() == [1, 1, 0]
    assert counted.histograms["empty"].counts.tolist() == [0, 0, 2]  # all null: the missing bin, no crash
    assert isinstance(counted.errors["nope"], MissingColumnError)
    assert "column 'nope': not found in" in str(counted.errors["nope"])
    if is_pg(url):
        assert isinstance(counted.errors["s"], ColumnTypeError)
        assert "declared numeric but its type in the source is text" in str(counted.errors["s"])
    else:
        assert isinstance(counted.errors["s"], NonNumericColumnError)
        assert "2 values in the window are not numbers" in str(counted.errors["s"])
    assert counted.rows == 2
    src.close()


@pytest.mark.postgres
def test_a_column_the_database_rejects_is_isolated(postgres_url: str) -> None:
    rows = [{"ts": START, "doc": {"k": 1}, "y": 1.0}, {"ts": START, "doc": {"k": 2}, "y": 3.0}]
    create(
        postgres_url,
        "docs",
        [
            sa.Column("ts", sa.DateTime(timezone=True)),
            sa.Column("doc", sa.JSON()),
            sa.Column("y", sa.Float()),
        ],
        rows,
    )
    src = source(postgres_url, "docs")
    counted = src.count(
        {"doc": CategoricalBins(("a",)), "y": NumericBins((2.0,))}, None
    )  # json has no equality
    assert counted.histograms["y"].counts.tolist() == [1, 1, 0]
    assert isinstance(counted.errors["doc"], ColumnReadError)
    assert "could not identify an equality operator for type json" in str(counted.errors["doc"])
    assert counted.rows == 2
    src.close()


def test_empty_window_counts_nothing(standard: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = standard
    src = source(url)
    counted = src.count(
        {"x": NumericBins((0.0,)), "c": CategoricalBins(("a",))}, Window(utc(2030, 1, 1), utc(2030, 1, 2))
    )
    assert counted.rows == 0
    assert all(h.n == 0 for h in counted.histograms.values())
    src.close()


def test_missing_table_and_timestamp_column(standard: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = standard
    with source(url, "nope") as src, pytest.raises(SourceSchemaError, match="table 'nope' does not exist"):
        src.count({"x": NumericBins(())}, None)
    no_ts = SqlSource(SqlSourceConfig(url=url, table="t"), "event_time")
    message = "timestamp column 'event_time' not found; it has ts, x, i"
    with no_ts, pytest.raises(SourceSchemaError, match=message):
        no_ts.count({"x": NumericBins(())}, None)
    bad_sql = SqlSource(SqlSourceConfig(url=url, query="SELEC ts FROM t"), "ts")
    with bad_sql, pytest.raises(SourceQueryError, match="the database rejected the query"):
        bad_sql.count({}, None)


@pytest.mark.postgres
def test_unreachable_postgres_names_the_source_without_its_password(postgres_server_url: str) -> None:
    url = (
        make_url(postgres_server_url)
        .set(port=1, password="top-secret-pw")
        .render_as_string(hide_password=False)
    )
    with source(url) as src:
        with pytest.raises(SourceUnreachableError) as exc:
            src.ping()
        with pytest.raises(SourceUnreachableError):
            src.count({"x": NumericBins(())}, None)
    text = str(exc.value)
    assert "top-secret-pw" not in text
    assert text.startswith("source postgresql+psycopg://postgres:***@127.0.0.1:1/")
    assert "database unreachable" in text
    assert isinstance(exc.value, ConnectionError)


def test_missing_sqlite_file_is_unreachable_not_created(tmp_path: Any) -> None:
    path = tmp_path / "absent.sqlite"
    with pytest.raises(SourceUnreachableError, match=r"SQLite file .*absent.sqlite does not exist"):
        source(f"sqlite:///{path}").ping()
    assert not path.exists()


@pytest.mark.postgres
def test_statement_timeout(postgres_url: str) -> None:
    create(
        postgres_url,
        "t",
        [sa.Column("ts", sa.DateTime(timezone=True)), sa.Column("x", sa.Float())],
        [{"ts": START, "x": 1.0}],
    )
    slow = SqlSource(
        SqlSourceConfig(url=postgres_url, query="SELECT t.ts, t.x FROM t, pg_sleep(5) AS s"),
        "ts",
        timeout=0.2,
    )
    with slow, pytest.raises(SourceTimeoutError, match=r"cancelled after the monitor's timeout of 0\.2s"):
        slow.count({"x": NumericBins((0.0,))}, None)


def test_naive_and_aware_timestamps_mean_utc(database_url: str) -> None:
    rows = [
        {"naive": datetime(2024, 1, 1, 10, 0), "aware": utc(2024, 1, 1, 10, 0), "x": 1.0},
        {"naive": datetime(2024, 1, 1, 10, 59, 59), "aware": utc(2024, 1, 1, 10, 59, 59), "x": 2.0},
        {"naive": datetime(2024, 1, 1, 11, 0), "aware": utc(2024, 1, 1, 11, 0), "x": 3.0},
    ]
    create(
        database_url,
        "times",
        [
            sa.Column("naive", sa.DateTime()),
            sa.Column("aware", sa.DateTime(timezone=True)),
            sa.Column("x", sa.Float()),
        ],
        rows,
    )
    window = Window(utc(2024, 1, 1, 10), utc(2024, 1, 1, 11))
    for ts in ("naive", "aware"):
        src = SqlSource(SqlSourceConfig(url=database_url, table="times"), ts)
        counted = src.count({"x": NumericBins((1.5,))}, window)
        assert counted.rows == 2, ts  # start included, end excluded
        assert counted.histograms["x"].counts.tolist() == [1, 1, 0]
        src.close()


def test_sqlite_timestamps_as_iso_text_with_offsets_or_unix_seconds(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE raw (ts, x REAL)")
        conn.exec_driver_sql(
            "INSERT INTO raw VALUES ('2024-01-01T10:00:00Z', 1), ('2024-01-01 12:30:00+02:00', 2), "
            f"({int(utc(2024, 1, 1, 10, 45).timestamp())}, 3), ('2024-01-01T11:00:00.000+00:00', 4), "
            "('2024-01-01T09:59:59.999', 5)"
        )
    engine.dispose()
    src = SqlSource(SqlSourceConfig(url=sqlite_url, table="raw"), "ts")
    counted = src.count({"x": NumericBins((1.5, 2.5))}, Window(utc(2024, 1, 1, 10), utc(2024, 1, 1, 11)))
    assert counted.rows == 3
    assert counted.histograms["x"].counts.tolist() == [1, 1, 1, 0]
    src.close()


def test_read_reference_samples_and_infers_kinds(standard: tuple[str, list[dict[str, Any]]]) -> None:
    url, rows = standard
    src = source(url)
    window = TimeRange(None, START + timedelta(hours=24))
    expected = in_window(rows, Window(START - timedelta(days=1), START + timedelta(hours=24)))
    full = src.read_reference({"x": None, "c": None, "i": "categorical", "missing": None}, window, Sampling())
    assert not full.sampled
    assert full.rows == len(expected)
    assert full.columns["x"].kind == "numeric"
    assert full.columns["c"].kind == "categorical"
    assert sorted(map(str, full.columns["c"].values)) == sorted(map(str, (r["c"] for r in expected)))
    assert isinstance(full.errors["missing"], MissingColumnError)
    small = src.read_reference({"x": "numeric"}, window, Sampling(100, seed=3))
    assert small.sampled
    assert small.rows == len(expected)
    assert small.columns["x"].values.shape == (100,)
    src.close()


@pytest.mark.postgres
def test_postgres_numeric_type_becomes_float(postgres_url: str) -> None:
    rows = [
        {"ts": START, "amount": Decimal("1.25"), "code": Decimal("3")},
        {"ts": START, "amount": None, "code": Decimal("3")},
    ]
    create(
        postgres_url,
        "money",
        [
            sa.Column("ts", sa.DateTime(timezone=True)),
            sa.Column("amount", sa.Numeric(10, 2)),
            sa.Column("code", sa.Numeric(3, 0)),
        ],
        rows,
    )
    src = source(postgres_url, "money")
    sample = src.read_reference({"amount": None, "code": "categorical"}, None, Sampling())
    assert sample.columns["amount"].kind == "numeric"
    assert sample.columns["amount"].values.tolist()[0] == 1.25
    assert sample.columns["code"].values.tolist() == [3.0, 3.0]
    counted = src.count({"code": CategoricalBins((3.0,)), "amount": NumericBins((1.0,))}, None)
    assert counted.histograms["code"].counts.tolist() == [2, 0, 0]
    assert counted.histograms["amount"].counts.tolist() == [0, 1, 1]
    src.close()


def test_fit_reference_gives_exact_counts_whether_or_not_it_samples(
    standard: tuple[str, list[dict[str, Any]]],
) -> None:
    url, rows = standard
    src = source(url)
    settings = [
        ColumnSettings("x", None, "feature", "quantile", 4, None, 20, 0.5, 100, ("psi",), {}),
        ColumnSettings("c", "categorical", "feature", "quantile", 10, None, 3, 0.5, 100, ("psi",), {}),
    ]
    exact = fit_reference(src, settings, None)
    sampled = fit_reference(src, settings, None, sample_size=500)
    assert (exact.sampled, sampled.sampled) == (False, True)
    assert exact.errors == sampled.errors == {}
    for fit in (exact, sampled):
        for name, histogram in fit.histograms.items():
            expected = count_values(histogram.spec, [r[name] for r in rows], name)
            assert np.array_equal(histogram.counts, expected.counts)
    assert exact.histograms["c"].spec == sampled.histograms["c"].spec or len(rows) > 500
    empty = fit_reference(src, settings, Window(utc(2030, 1, 1), utc(2030, 1, 2)))
    assert set(empty.errors) == {"x", "c"}
    assert "the reference (" in str(empty.errors["x"])
    assert "has no rows" in str(empty.errors["x"])
    src.close()
