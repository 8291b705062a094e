"""Baselines: versions kept, one active per column, bad input refused with nothing written."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from driftmon.core import CategoricalBins, NumericBins
from driftmon.store import (
    InvalidCountsError,
    NameTooLongError,
    StoreError,
    StoreInputError,
    UnknownBaselineError,
    activate_baseline,
    active_baseline,
    add_baseline,
    get_baseline,
    list_baselines,
)
from driftmon.store.models import Baseline
from tests.store.conftest import T0, monitor_names, reference_values, store_baseline


def test_versions_are_kept_and_the_newest_is_active(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    first = store_baseline(sessions, reference_values(rng))
    second = store_baseline(sessions, reference_values(rng) + 1.0)
    assert (first.version, second.version) == (1, 2)
    with sessions() as s:
        active = active_baseline(s, "m", "x")
        assert active is not None
        assert active.version == 2
        assert active.histogram == second.histogram
        assert [b.version for b in list_baselines(s, "m")] == [1, 2]
        assert [b.active for b in list_baselines(s, "m", "x")] == [False, True]
        assert get_baseline(s, "m", "x", 1).histogram == first.histogram
        assert active_baseline(s, "m", "other") is None


def test_activate_an_older_version(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    store_baseline(sessions, reference_values(rng))
    store_baseline(sessions, reference_values(rng))
    store_baseline(sessions, reference_values(rng), column="y")
    with sessions() as s, s.begin():
        assert activate_baseline(s, "m", "x", 1).active
    with sessions() as s:
        assert [b.active for b in list_baselines(s, "m", "x")] == [True, False]
        assert list_baselines(s, "m", "y")[0].active  # other columns untouched
        with pytest.raises(UnknownBaselineError, match=r"no baseline version 7 \(stored versions: 1, 2\)"):
            activate_baseline(s, "m", "x", 7)


def test_inactive_fit_leaves_the_active_version(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    store_baseline(sessions, reference_values(rng))
    store_baseline(sessions, reference_values(rng), activate=False)
    with sessions() as s:
        active = active_baseline(s, "m", "x")
        assert active is not None
        assert active.version == 1


def test_the_database_allows_one_active_version(
    sessions: sessionmaker[Session], rng: np.random.Generator
) -> None:
    store_baseline(sessions, reference_values(rng))
    store_baseline(sessions, reference_values(rng))
    with sessions() as s, pytest.raises(sa.exc.IntegrityError), s.begin():
        s.execute(sa.update(Baseline).values(active=True))


def test_spec_and_reference_round_trip(sessions: sessionmaker[Session]) -> None:
    numeric = NumericBins((5e-324, 0.1, 1 / 3, 1.7976931348623157e308))
    categorical = CategoricalBins(("a", 2, 2.5, True, "é ü"))
    with sessions() as s, s.begin():
        add_baseline(s, "m", "x", numeric, [1, 2, 3, 4, 5, 6], reference={"query": "SELECT 1"}, fitted_at=T0)
        add_baseline(
            s,
            "m",
            "c",
            categorical,
            [5, 4, 3, 2, 1, 0, 1],
            reference={"n": np.int64(3)},
            fitted_at=T0,
            role="label",
        )
    with sessions() as s:
        x, c = get_baseline(s, "m", "x", 1), get_baseline(s, "m", "c", 1)
    assert x.spec == numeric
    assert x.reference == {"query": "SELECT 1"}
    assert x.histogram.counts.tolist() == [1, 2, 3, 4, 5, 6]
    assert (x.n, x.kind, x.role) == (21, "numeric", "feature")
    assert c.spec == categorical
    assert [type(v) for v in c.spec.categories] == [str, int, float, bool, str]  # type: ignore[union-attr]
    assert (c.kind, c.role, c.reference) == ("categorical", "label", {"n": 3})
    assert x.fitted_at == T0


def _assert_nothing_written(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        assert monitor_names(s) == []
        assert s.execute(sa.select(sa.func.count()).select_from(Baseline)).scalar_one() == 0


@pytest.mark.parametrize(
    ("counts", "message"),
    [
        ([1, 2, 3], "but the numeric bin spec has 4 bins"),
        ([1, -2, 3, 4], "non-negative; bin 1 has -2"),
        ([1.5, 2, 3, 4], "whole numbers"),
        ([0, 0, 0, 0], "all zero"),
    ],
)
def test_counts_not_matching_the_spec(
    sessions: sessionmaker[Session], counts: list[float], message: str
) -> None:
    spec = NumericBins((0.0, 1.0))
    with sessions() as s, s.begin(), pytest.raises(InvalidCountsError, match=message) as caught:
        add_baseline(s, "m", "x", spec, counts, reference={}, fitted_at=T0)
    assert "monitor 'm' column 'x'" in str(caught.value)
    _assert_nothing_written(sessions)


def test_over_long_column_name(sessions: sessionmaker[Session]) -> None:
    with (
        sessions() as s,
        s.begin(),
        pytest.raises(NameTooLongError, match="201 characters long; the store allows at most 200"),
    ):
        add_baseline(s, "m", "c" * 201, NumericBins((0.0,)), [1, 1, 1], reference={}, fitted_at=T0)
    _assert_nothing_written(sessions)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reference": {"when": object()}}, "reference description must be JSON data"),
        ({"reference": {"x": float("nan")}}, "reference description must be JSON data"),
        ({"reference": ["not", "a", "dict"]}, "must be a JSON object"),
        ({"role": "target"}, "role must be one of feature, prediction, label"),
    ],
)
def test_other_bad_input(sessions: sessionmaker[Session], kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"reference": {}, "fitted_at": T0} | kwargs
    with sessions() as s, s.begin(), pytest.raises(StoreInputError, match=message):
        add_baseline(s, "m", "x", NumericBins((0.0,)), [1, 1, 1], **args)  # type: ignore[arg-type]
    _assert_nothing_written(sessions)


def test_a_tampered_spec_is_detected(sessions: sessionmaker[Session], rng: np.random.Generator) -> None:
    stored = store_baseline(sessions, reference_values(rng))
    edges = [e + 0.001 for e in stored.spec.to_dict()["edges"]]  # same bin count, moved edges
    with sessions() as s, s.begin():
        s.execute(sa.update(Baseline).values(bin_spec={"kind": "numeric", "edges": edges}))
    with sessions() as s, pytest.raises(StoreError, match=r"corrupt.*does not match its stored hash"):
        active_baseline(s, "m", "x")
