"""Alert events: transitions stored with their values, history, and the current state per series."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import (
    NameTooLongError,
    StoreInputError,
    alert_history,
    current_alert_states,
    make_engine,
    record_alert_event,
    session_factory,
)
from tests.store.conftest import HOUR, T0, monitor_names, reference_values, store_baseline, store_window


def _event(s: Session, column: str, statistic: str, state: str, hour: int, **kwargs: object) -> None:
    args: dict[str, object] = {
        "severity": "warning",
        "value": 0.2,
        "threshold": 0.1,
        "p_value": 1e-6,
    } | kwargs
    monitor = str(args.pop("monitor", "m"))
    record_alert_event(s, monitor, column, statistic, state=state, at=T0 + hour * HOUR, **args)  # type: ignore[arg-type]


def test_transitions_and_current_state(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    baseline = store_baseline(sessions, reference_values(rng))
    run_id = store_window(sessions, [baseline], T0, rng.normal(2, 1, 500))
    with sessions() as s, s.begin():
        _event(
            s,
            "x",
            "js_divergence",
            "firing",
            1,
            run_id=run_id,
            window_start=T0,
            window_end=T0 + HOUR,
            details={"top_bins": [{"bin": "[1.2, +inf)", "contribution": 0.3}]},
        )
        _event(s, "x", "js_divergence", "firing", 2, severity="critical", value=0.5, threshold=0.4)
        _event(s, "x", "psi", "firing", 2)
        _event(s, "x", "psi", "resolved", 3, value=0.01)
        _event(s, "y", "js_divergence", "firing", 1, monitor="n")
    with sessions() as s:
        states = current_alert_states(s)
        assert [(e.monitor, e.column, e.statistic, e.state, e.severity) for e in states] == [
            ("m", "x", "js_divergence", "firing", "critical"),
            ("m", "x", "psi", "resolved", "warning"),
            ("n", "y", "js_divergence", "firing", "warning"),
        ]
        assert [e.monitor for e in current_alert_states(s, monitors=["n"])] == ["n"]
        history = alert_history(s, "m")
        assert [(e.statistic, e.state, e.at) for e in history] == [
            ("psi", "resolved", T0 + 3 * HOUR),
            ("psi", "firing", T0 + 2 * HOUR),
            ("js_divergence", "firing", T0 + 2 * HOUR),
            ("js_divergence", "firing", T0 + HOUR),
        ]
        first = history[-1]
        assert (first.run_id, first.window_start, first.value, first.threshold, first.p_value) == (
            run_id,
            T0,
            0.2,
            0.1,
            1e-6,
        )
        assert first.details == {"top_bins": [{"bin": "[1.2, +inf)", "contribution": 0.3}]}
        assert len(alert_history(s)) == 5
        assert len(alert_history(s, since=T0 + 2 * HOUR)) == 3
        assert len(alert_history(s, limit=2)) == 2


def test_ties_resolve_by_insertion_order(sessions: sessionmaker[Session]) -> None:
    with sessions() as s, s.begin():
        _event(s, "x", "psi", "firing", 1)
        _event(s, "x", "psi", "resolved", 1)
    with sessions() as s:
        (state,) = current_alert_states(s)
    assert state.state == "resolved"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"severity": "page"}, StoreInputError, "severity must be one of warning, critical"),
        ({"state": "pending"}, StoreInputError, "state must be one of firing, resolved"),
        ({"statistic": "s" * 65}, NameTooLongError, "statistic 'sss.*' is 65 characters long"),
        ({"details": {"x": float("inf")}}, StoreInputError, "details must be JSON data"),
        ({"at": T0.replace(tzinfo=None)}, StoreInputError, "at must be a timezone-aware datetime"),
    ],
)
def test_bad_events_write_nothing(
    sessions: sessionmaker[Session], kwargs: dict[str, object], error: type, message: str
) -> None:
    args: dict[str, object] = {
        "statistic": "psi",
        "severity": "warning",
        "state": "firing",
        "at": T0,
    } | kwargs
    statistic = str(args.pop("statistic"))
    with sessions() as s, s.begin(), pytest.raises(error, match=message):
        record_alert_event(s, "m", "x", statistic, **args)  # type: ignore[arg-type]
    with sessions() as s:
        assert alert_history(s) == []
        assert monitor_names(s) == []


def test_state_survives_a_new_engine(database_url: str, sessions: sessionmaker[Session]) -> None:
    # What a restarted service sees: a fresh engine reads the state back.
    with sessions() as s, s.begin():
        _event(s, "x", "hellinger", "firing", 1, severity="critical")
    engine = make_engine(database_url)
    try:
        with session_factory(engine)() as s:
            (state,) = current_alert_states(s)
    finally:
        engine.dispose()
    assert (state.statistic, state.severity, state.at - T0) == ("hellinger", "critical", timedelta(hours=1))
