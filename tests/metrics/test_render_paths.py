"""The short paths start-up takes write and keep exactly what the field-by-field paths do.

Values are written through pydantic_core's JSON where it equals Go's text, label sets that
extend a column's own are kept as text, and canonical inputs skip the validating code: each
is checked here against the plain path, and the exposition against an independent writer.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from driftmon.core import STATISTICS, NullLevel
from driftmon.metrics import (
    FAMILIES,
    STATISTIC_METRICS,
    AlertValue,
    ColumnSpec,
    ColumnValues,
    MetricsSnapshot,
    MonitorSpec,
    Thresholds,
)
from driftmon.metrics import text as text_module
from driftmon.metrics.specs import check_specs
from driftmon.metrics.text import ExtendedLabels, go_float, label_set, value_texts

from .helpers import HOUR, ODD_NAMES, T0, column_values, parse, run_values, value

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
# Magnitudes around the edges where JSON and repr() part ways: 1e-4, 1e6, 1e16.
EDGES = st.sampled_from([1e-4, 1e-5, 9.999999999999999e-05, 1e6, 999999.9999999999, 1e16, 1e15, 5e-324])
VALUES = st.one_of(
    FLOATS,
    EDGES,
    EDGES.map(lambda x: -x),
    st.floats(min_value=1e-4, max_value=1e6),
    st.integers(0, 10**7).map(float),
    st.sampled_from([0.0, -0.0, 1.0, 0.1, 2.5]),
)


def plain_texts(groups: list[list[float]]) -> list[list[str]]:
    return [[go_float(v) for v in values] for values in groups]


@given(st.lists(st.lists(VALUES, max_size=30), max_size=8))
def test_value_texts_are_go_floats(groups: list[list[float]]) -> None:
    assert [list(texts) for texts in value_texts(groups)] == plain_texts(groups)


def test_value_texts_over_many_magnitudes() -> None:
    rng = random.Random(20260101)
    groups = [
        [rng.random() * 10.0 ** rng.randint(-12, 18) * rng.choice((1, -1)) for _ in range(rng.randint(0, 40))]
        for _ in range(3000)
    ]
    groups += [[round(rng.random() * 10.0 ** rng.randint(-5, 7), rng.randint(0, 17)) for _ in range(40)]]
    groups += [[rng.randint(1, 2**40) / 2 ** rng.randint(0, 40) for _ in range(40)] for _ in range(200)]
    groups += [[0.5, math.nan, 2e6], [math.nan, 2e6, 0.5], [math.inf, 1.0], [1.0, -math.inf], [1e-7, 0.0]]
    groups += [[3_000_000, 3e6], [3e6, 3_000_000]]  # equal, but an int is not written as a float
    assert [list(texts) for texts in value_texts(groups)] == plain_texts(groups)


def test_value_texts_without_the_json_writer(monkeypatch: pytest.MonkeyPatch) -> None:
    groups = [[0.1, 1e-5, 2e9, math.nan, -0.0], [], [3.0]]
    monkeypatch.setattr(text_module, "_JSON_IS_REPR", False)
    assert [list(texts) for texts in value_texts(groups)] == plain_texts(groups)


def test_extended_labels_are_the_extended_sets() -> None:
    bases = [label_set(("column", "monitor"), (name, 'm"1')) for name in ODD_NAMES]
    values = [(str(i), "psi") for i in range(len(bases))]
    heads = [f"{b.extend(('severity', 'statistic'), v).text} " for b, v in zip(bases, values, strict=True)]
    labels = ExtendedLabels(bases, ("severity", "statistic"), values, heads)
    expected = [b.extend(("severity", "statistic"), v) for b, v in zip(bases, values, strict=True)]
    assert len(labels) == len(expected)
    assert list(labels) == expected
    assert labels[-1] == expected[-1]
    assert labels[1:3] == expected[1:3]
    assert labels[0].as_dict() == {
        "column": ODD_NAMES[0],
        "monitor": 'm"1',
        "severity": "0",
        "statistic": "psi",
    }


SCORES = st.one_of(st.none(), FLOATS, st.integers(-5, 5))
LEVELS = st.one_of(st.none(), st.builds(NullLevel, SCORES, SCORES, SCORES))


@given(
    st.dictionaries(st.sampled_from(STATISTICS), SCORES),
    st.dictionaries(st.sampled_from(STATISTICS), LEVELS),
    st.sampled_from(["ok", "insufficient_data", "failed"]),
    st.one_of(st.none(), st.integers(0, 10**12)),
)
def test_checked_takes_either_path_to_the_same_result(
    stats: dict[str, float | None], nulls: dict[str, NullLevel | None], status: str, count: int | None
) -> None:
    end = T0 + HOUR
    given_values = ColumnValues("m", "x", status, end, count, count, count, stats, nulls)
    # Mappings that are not dicts always take the field-by-field path.
    slow = ColumnValues(
        "m", "x", status, end, count, count, count, MappingProxyType(stats), MappingProxyType(nulls)
    )
    checked = given_values.checked()
    assert checked == slow.checked()
    plain = [v for v in stats.values() if v is not None]
    plain += [p for level in nulls.values() if level for p in (level.expected, level.quantile, level.p_value)]
    if all(p is None or (type(p) is float and abs(p) < 1e300) for p in plain):
        # The short path is the one taken (unless the scores add up past the largest float).
        assert given_values._canonical() == checked
    finite = {s: float(v) for s, v in stats.items() if v is not None and math.isfinite(v)}
    assert checked.statistics == finite
    for stat in STATISTICS:
        level = nulls.get(stat)
        parts = (None, None, None) if level is None else (level.expected, level.quantile, level.p_value)
        kept = tuple(None if p is None or not math.isfinite(p) else float(p) for p in parts)
        assert checked.null.get(stat, (None, None, None)) == kept
    assert checked.window_end == end.timestamp()


def test_checked_refuses_what_the_short_path_does_not_know() -> None:
    end = T0 + HOUR
    level = NullLevel(0.1, 0.2, 0.3)
    for stats, nulls in (
        ({"psi": True}, {}),
        ({}, {"psi": 0}),
        ({}, {"psi": (0.1, 0.2, 0.3)}),
        ({"kl": 0.1}, {}),
    ):
        with pytest.raises(ValueError, match="monitor 'm' column 'x'"):
            ColumnValues("m", "x", "ok", end, statistics=stats, null=nulls).checked()  # type: ignore[arg-type]
    assert ColumnValues(
        "m", "x", "ok", end, statistics={"psi": 1}, null={"psi": level}
    ).checked().statistics == {"psi": 1.0}


def test_canonical_specs_check_as_the_full_path() -> None:
    rules = {"psi": Thresholds(0.1, 0.25), "js_divergence": Thresholds(None, 0.2)}
    specs = [
        MonitorSpec(
            "m", [ColumnSpec("a", "label", rules), ColumnSpec("b", thresholds=MappingProxyType(rules))]
        )
    ]
    (checked,) = check_specs(specs)
    a, b = checked.columns
    # Both come out in statistic order, as a copy the caller's mapping does not reach.
    assert (
        list(a.thresholds.items())
        == list(b.thresholds.items())
        == [
            ("js_divergence", Thresholds(None, 0.2)),
            ("psi", Thresholds(0.1, 0.25)),
        ]
    )
    ordered = {"js_divergence": Thresholds(0.05, 0.15), "psi": Thresholds(0.1, 0.25)}
    snapshot = MetricsSnapshot([MonitorSpec("m", [ColumnSpec("x", "feature", ordered)])])
    ordered["psi"] = Thresholds(0.5, 0.9)
    snapshot.set_windows_behind("m", 0)  # renders the monitor again
    col = {"column": "x", "monitor": "m", "role": "feature"}
    parsed = parse(snapshot.exposition())
    assert (
        value(parsed, "driftmon_column_alert_threshold", **col, severity="critical", statistic="psi") == 0.25
    )
    names = [f"m{i}" for i in range(2000)] + ["m7", "m3"]
    with pytest.raises(ValueError, match="monitor 'm3' is listed twice"):
        check_specs([MonitorSpec(n, []) for n in names])


class Independent(Collector):
    """The column samples of a snapshot, written from its inputs without driftmon's sample code."""

    def __init__(
        self, specs: list[MonitorSpec], results: list[ColumnValues], alerts: list[AlertValue]
    ) -> None:
        self.specs, self.results, self.alerts = specs, results, alerts

    def collect(self) -> Iterator[Metric]:
        families = {f.name: Metric(f.base_name, f.help, f.kind, f.unit) for f in FAMILIES}
        latest = {(r.monitor, r.column): r for r in self.results}
        severities = {(a.monitor, a.column, a.statistic): a.severity for a in self.alerts}

        def add(name: str, labels: dict[str, str], number: float | None) -> None:
            if number is not None and math.isfinite(number):
                families[name].add_sample(name, labels, float(number))

        for spec in self.specs:
            for column in spec.columns:
                own = {"column": column.name, "monitor": spec.name, "role": column.role}
                result = latest.get((spec.name, column.name))
                for stat in [s for s in STATISTICS if s in column.thresholds]:
                    add(
                        "driftmon_column_alert_state",
                        {**own, "statistic": stat},
                        severities.get((spec.name, column.name, stat), 0),
                    )
                    for severity, level in zip(("warning", "critical"), column.thresholds[stat], strict=True):
                        add(
                            "driftmon_column_alert_threshold",
                            {**own, "severity": severity, "statistic": stat},
                            level,
                        )
                if result is None:
                    continue
                add("driftmon_column_status_info", {**own, "status": result.status}, 1)
                if result.baseline_version is not None:
                    add("driftmon_column_baseline_info", {**own, "version": str(result.baseline_version)}, 1)
                add("driftmon_column_window_end_timestamp_seconds", own, result.window_end.timestamp())
                add("driftmon_column_live_values", own, result.n_live)
                add("driftmon_column_reference_values", own, result.n_reference)
                for stat in STATISTICS:
                    names = STATISTIC_METRICS[stat]
                    add(names.value, own, result.statistics.get(stat))
                    level = result.null.get(stat)
                    if level is not None:
                        add(names.null_expected, own, level.expected)
                        add(names.null_quantile, own, level.quantile)
                        add(names.p_value, own, level.p_value)
        yield from families.values()


def column_lines(body: bytes) -> list[bytes]:
    return [line for line in body.split(b"\n") if line.startswith(b"driftmon_column_")]


def test_partial_results_write_the_lines_an_independent_writer_does() -> None:
    rng = random.Random(7)
    rules = {
        "js_divergence": Thresholds(0.05, 0.15),
        "psi": Thresholds(None, 0.25),
        "hellinger": Thresholds(0.1),
    }
    specs = [
        MonitorSpec(
            name, [ColumnSpec(c, role, rules if i % 2 else {}) for i, c in enumerate(ODD_NAMES)], 60.0
        )
        for name, role in (
            ("m", "feature"),
            ('odd "monitor"', "prediction"),
            ("idle", "label"),
            ("full", "feature"),
        )
    ]
    end = T0 + HOUR

    def score() -> float:
        return rng.choice([rng.random(), rng.random() * 1e-6, rng.random() * 1e7, 0.0, math.nan, math.inf])

    results = []
    for spec in specs[:2]:
        for i, column in enumerate(spec.columns[:-1]):
            kind = i % 4
            stats: dict[str, float | None] = {s: score() for s in STATISTICS if rng.random() < 0.7}
            nulls: dict[str, NullLevel | None] = {
                s: NullLevel(score(), score(), score()) if rng.random() < 0.8 else None
                for s in STATISTICS[i % 3 :]
            }
            if kind == 1:
                stats, nulls = dict.fromkeys(STATISTICS), {}
            status = ("ok", "insufficient_data", "failed", "ok")[kind]
            version = None if kind == 2 else i
            live = None if kind == 2 else rng.randrange(10**8)
            results.append(
                ColumnValues(
                    spec.name, column.name, status, end + i * HOUR, version, live, 5000, stats, nulls
                )
            )
    # Every score of every column known: the monitor's batches skip the None checks.
    results += [column_values("full", c.name, end, seed=i / 7) for i, c in enumerate(specs[3].columns)]
    alerts = [AlertValue(s.name, c.name, "psi", 2) for s in specs for c in s.columns[1::4]]
    snapshot = MetricsSnapshot()
    snapshot.rebuild(specs, results=results, runs=[run_values("m", T0)], alerts=alerts)
    registry = CollectorRegistry()
    registry.register(Independent(specs, results, alerts))
    expected = column_lines(generate_latest(registry))
    assert len(expected) > 200
    assert column_lines(snapshot.exposition()) == expected
    # Live updates render a monitor's lines the same way.
    live = MetricsSnapshot(specs)
    for spec in specs:
        mine = [r for r in results if r.monitor == spec.name]
        live.apply_run(
            run_values(spec.name, T0),
            duration_seconds=1.0,
            columns=mine,
            alerts=[a for a in alerts if a.monitor == spec.name],
        )
    assert column_lines(live.exposition()) == expected
