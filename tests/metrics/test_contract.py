"""The metrics contract: Prometheus naming rules, bounded labels, and the reference page in step."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from driftmon.core import STATISTICS
from driftmon.metrics import (
    COLUMN_FAMILIES,
    FAMILIES,
    MONITOR_FAMILIES,
    PROCESS_FAMILIES,
    STATISTIC_METRICS,
    STATISTIC_UNITS,
    family,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
# Every label driftmon may attach; none of them takes bin labels or data values.
BOUNDED_LABELS = {"monitor", "column", "role", "statistic", "severity", "status", "version"}
# Units promtool's linter would ask to replace with a base unit, and abbreviations it refuses.
NON_BASE_UNITS = {"bits", "minutes", "hours", "days", "milliseconds", "microseconds", "ms", "kb", "mb"}


def test_names_follow_prometheus_rules() -> None:
    for f in FAMILIES:
        assert re.fullmatch(r"driftmon_[a-z][a-z0-9_]*", f.name), f.name
        assert f.name.endswith("_total") == (f.kind == "counter"), f.name
        assert not f.name.endswith(("_count", "_sum", "_bucket")), f.name
        assert f.unit == "" or f.name.endswith(f"_{f.unit}") or f.name.endswith(f"_{f.unit}_total"), f.name
        assert not set(f.name.split("_")) & NON_BASE_UNITS, f.name
        assert f.help.strip(), f.name
        if "timestamp" in f.name:
            assert f.name.endswith("_timestamp_seconds"), f.name
        if f.name.endswith("_info"):
            assert f.kind == "gauge", f.name


def test_labels_are_bounded_and_sorted() -> None:
    for f in FAMILIES:
        assert set(f.labels) <= BOUNDED_LABELS, f.name
        assert list(f.labels) == sorted(f.labels)
    for f in MONITOR_FAMILIES:
        assert "monitor" in f.labels, f.name
        assert "column" not in f.labels, f.name
    for f in COLUMN_FAMILIES:
        assert {"monitor", "column", "role"} <= set(f.labels), f.name
    assert all("monitor" not in f.labels for f in PROCESS_FAMILIES)


def test_one_family_per_statistic_never_a_statistic_label_on_values() -> None:
    assert tuple(STATISTIC_METRICS) == STATISTICS
    names = {f.name for f in FAMILIES}
    for stat, metrics in STATISTIC_METRICS.items():
        for name in (metrics.value, metrics.p_value, metrics.null_expected, metrics.null_quantile):
            assert name in names
            assert "statistic" not in family(name).labels
        unit = STATISTIC_UNITS[stat]
        assert metrics.value == f"driftmon_column_{stat}" + (f"_{unit}" if unit else "")
        assert metrics.p_value == f"driftmon_column_{stat}_p_value"
        assert family(metrics.null_quantile).unit == unit
    # Only the alert state and thresholds, which are never summed, carry a statistic label.
    with_statistic = {f.name for f in FAMILIES if "statistic" in f.labels}
    assert with_statistic == {"driftmon_column_alert_state", "driftmon_column_alert_threshold"}


def test_units_of_the_statistics() -> None:
    assert STATISTIC_UNITS == {
        "kl_live_ref": "shannons",
        "kl_ref_live": "shannons",
        "js_divergence": "shannons",
        "js_distance": "",
        "psi": "nats",
        "hellinger": "",
    }
    assert "bits" in family("driftmon_column_js_divergence_shannons").help


def test_family_lookup_names_the_unknown_metric() -> None:
    assert family("driftmon_monitor_runs_total").kind == "counter"
    with pytest.raises(KeyError, match="driftmon_nope"):
        family("driftmon_nope")


def test_reference_page_documents_exactly_the_exported_families() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"`(driftmon_[a-z0-9_]+)", text))
    sample_names = {f.name for f in FAMILIES} | {
        f"{f.name}{suffix}"
        for f in FAMILIES
        if f.kind == "histogram"
        for suffix in ("_bucket", "_count", "_sum")
    }
    assert {f.name for f in FAMILIES} <= documented, "families missing from docs/metrics.md"
    assert documented <= sample_names, f"docs/metrics.md names unknown metrics: {documented - sample_names}"
    for f in FAMILIES:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{f.name}`"))
        assert f"| {f.kind} |" in row, f.name
        for label in f.labels:
            assert f"`{label}`" in row, (f.name, label)
        if f in COLUMN_FAMILIES:  # the column tables say which metric set each family is in
            assert f"| {f.exported} |" in row, (f.name, f.exported)
