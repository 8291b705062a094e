"""Alert state persistence (plain dicts, JSON) and transition bookkeeping."""

from __future__ import annotations

import json
import math
from datetime import timedelta, timezone
from typing import Any

import pytest

from driftmon.alerts import STATE_VERSION, AlertState, AlertStateError, Severity, Transition
from tests.alerts.helpers import HOUR, START


def test_severity_is_the_metric_value() -> None:
    assert [int(s) for s in Severity] == [0, 1, 2]
    assert [s.label for s in Severity] == ["ok", "warning", "critical"]
    assert Severity.CRITICAL > Severity.WARNING > Severity.OK


@pytest.mark.parametrize(
    ("value", "expected"), [("warning", 1), ("CRITICAL", 2), (0, 0), (Severity.WARNING, 1)]
)
def test_severity_parses_labels_members_and_integers(value: object, expected: int) -> None:
    assert Severity.parse(value) == expected


@pytest.mark.parametrize("value", ["page", 3, -1, True, None, 1.0])
def test_severity_refuses_anything_else(value: object) -> None:
    with pytest.raises(ValueError, match=r"severity must be one of ok, warning, critical"):
        Severity.parse(value)


def test_default_state_round_trips() -> None:
    assert AlertState.from_dict(AlertState().to_dict()) == AlertState()
    assert AlertState.from_dict({}) == AlertState()


def test_full_state_round_trips_through_json() -> None:
    state = AlertState(
        severity=Severity.CRITICAL,
        since=START + 3 * HOUR,
        above_warning=7,
        above_critical=4,
        below_critical_exit=0,
        below_resolve=0,
        last_value=0.31,
        last_p_value=1e-12,
        last_window_end=(START + 7 * HOUR).astimezone(timezone(timedelta(hours=2))),
    )
    data = json.loads(json.dumps(state.to_dict(), allow_nan=False))
    assert data["version"] == STATE_VERSION
    assert data["severity"] == "critical"
    rebuilt = AlertState.from_dict(data)
    assert rebuilt == state
    assert rebuilt.last_window_end is not None
    assert rebuilt.last_window_end.utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ({"severity": "page"}, "severity", r"severity must be one of"),
        ({"version": 2}, "version", r"is 2; this driftmon reads version 1"),
        ({"above_warning": -1}, "above_warning", r"must be a non-negative integer, got -1"),
        ({"below_resolve": 1.5}, "below_resolve", r"must be a non-negative integer, got 1.5"),
        ({"above_critical": True}, "above_critical", r"non-negative integer, got True"),
        ({"last_value": "0.3"}, "last_value", r"must be a finite number or null, got '0.3'"),
        ({"last_p_value": math.nan}, "last_p_value", r"finite number or null, got nan"),
        ({"since": "yesterday"}, "since", r"must be an ISO 8601 time string, got 'yesterday'"),
        ({"since": "2024-03-01T00:00:00"}, "since", r"must carry a UTC offset"),
        ({"last_window_end": 1709251200}, "last_window_end", r"ISO 8601 time string or null"),
        ({"pending": 1}, "pending", r"is not an alert-state key; known keys: above_critical"),
    ],
)
def test_bad_stored_states_name_the_key(data: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(AlertStateError, match=message) as info:
        AlertState.from_dict(data)
    assert info.value.key == key
    assert key in str(info.value)


def test_state_must_be_a_mapping() -> None:
    with pytest.raises(AlertStateError, match=r"must be a mapping, got list"):
        AlertState.from_dict([])  # type: ignore[arg-type]


def _transition(previous: Severity, severity: Severity, value: float = 0.3) -> Transition:
    return Transition("psi", previous, severity, value, 0.25, 1e-9, 5000, START, START + HOUR)


@pytest.mark.parametrize(
    ("previous", "severity", "kind", "state", "event_severity"),
    [
        (Severity.OK, Severity.WARNING, "fired", "firing", "warning"),
        (Severity.OK, Severity.CRITICAL, "fired", "firing", "critical"),
        (Severity.WARNING, Severity.CRITICAL, "escalated", "firing", "critical"),
        (Severity.CRITICAL, Severity.WARNING, "de-escalated", "firing", "warning"),
        (Severity.WARNING, Severity.OK, "resolved", "resolved", "warning"),
        (Severity.CRITICAL, Severity.OK, "resolved", "resolved", "critical"),
    ],
)
def test_transition_kinds_map_onto_alert_events(
    previous: Severity, severity: Severity, kind: str, state: str, event_severity: str
) -> None:
    t = _transition(previous, severity)
    assert (t.kind, t.event_state, t.event_severity) == (kind, state, event_severity)


def test_transition_dict_is_json_ready() -> None:
    data = _transition(Severity.OK, Severity.CRITICAL, value=math.inf).to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == {
        "statistic": "psi",
        "kind": "fired",
        "previous_severity": "ok",
        "severity": "critical",
        "value": None,
        "threshold": 0.25,
        "p_value": 1e-9,
        "n_live": 5000,
        "window_start": "2024-03-01T00:00:00+00:00",
        "window_end": "2024-03-01T01:00:00+00:00",
    }
