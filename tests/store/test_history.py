"""column_history: one column's results over a range of windows, with alert states, without counts."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sqlalchemy.orm import Session, sessionmaker

from driftmon.store import column_history, record_window_alert_states, window_results
from tests.store.conftest import HOUR, T0, reference_values, store_baseline, store_window


def test_column_history_equals_the_summaries_of_window_results(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    x = store_baseline(sessions, reference_values(rng))
    y = store_baseline(sessions, reference_values(rng), column="y")
    runs = [store_window(sessions, [x, y], T0 + h * HOUR, rng.normal(h / 4, 1, 300)) for h in (0, 1, 2, 4)]
    with sessions() as s, s.begin():
        record_window_alert_states(s, runs[2], {"x": {"js_divergence": "warning"}})
    with sessions() as s:
        history = column_history(s, "m", "x", T0 + HOUR, T0 + 5 * HOUR)
        full = window_results(s, "m", T0 + HOUR, T0 + 5 * HOUR, columns=["x"])
        # The same records, but without what column_history does not read.
        unread = [replace(r, labels=None, live_counts=None, reference_counts=None, top_bins=()) for r in full]
        assert history == unread
        assert [e.window_start for e in history] == [T0 + h * HOUR for h in (1, 2, 4)]
        assert [e.alert_states for e in history] == [{}, {"js_divergence": "warning"}, {}]
        assert column_history(s, "m", "nope", T0, T0 + 5 * HOUR) == []
        assert column_history(s, "other", "x", T0, T0 + 5 * HOUR) == []
