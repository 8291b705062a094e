"""Both numeric counting kernels against np.searchsorted(edges, x, side="right") on adversarial data."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from driftmon.core import NumericBins, count_values
from driftmon.core.histogram import _MAX_COMPARE_EDGES, _count_block_compare, _Grid

FloatArray = npt.NDArray[np.float64]

FEW_EDGES = _MAX_COMPARE_EDGES  # the per-edge comparison kernel
MANY_EDGES = _MAX_COMPARE_EDGES + 1  # the lookup-grid kernel


def reference_counts(edges: FloatArray, x: FloatArray) -> npt.NDArray[np.int64]:
    """Count by the definition: searchsorted(side="right") for numbers, NaN to `missing`."""
    out = np.zeros(edges.shape[0] + 2, dtype=np.int64)
    nan = np.isnan(x)
    idx = np.searchsorted(edges, x[~nan], side="right")
    out[:-1] = np.bincount(idx, minlength=edges.shape[0] + 1)
    out[-1] = int(nan.sum())
    return out


def compare_kernel(edges: FloatArray, x: FloatArray) -> npt.NDArray[np.int64]:
    out = np.zeros(edges.shape[0] + 2, dtype=np.int64)
    _count_block_compare(x, edges, out)
    return out


def grid_kernel(edges: FloatArray, x: FloatArray) -> npt.NDArray[np.int64]:
    out = np.zeros(edges.shape[0] + 2, dtype=np.int64)
    _Grid(edges).count(x, out)
    return out


def neighbourhood(edges: FloatArray) -> FloatArray:
    """Every edge, its nextafter neighbours, and the specials: what a kernel gets wrong first."""
    with np.errstate(over="ignore"):  # the neighbours of +-max float are +-inf, wanted here
        below, above = np.nextafter(edges, -np.inf), np.nextafter(edges, np.inf)
    parts = [
        edges,
        below,
        above,
        np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 5e-324, -5e-324]),
        np.array([np.finfo(np.float64).max, -np.finfo(np.float64).max, 1e-300, -1e-300]),
    ]
    return np.concatenate(parts)


def spread_edges(lo: float, hi: float, n: int) -> FloatArray:
    # Halving first keeps hi - lo finite even for edges spanning +-1e308.
    edges = np.unique(2.0 * np.linspace(lo / 2.0, hi / 2.0, n))
    assert edges.shape[0] == n
    assert np.all(np.isfinite(edges))
    return edges


def pick(pool: FloatArray, n: int) -> FloatArray:
    return pool[np.unique(np.linspace(0, pool.shape[0] - 1, n).round().astype(int))]


MIXED_SCALES = np.unique(
    np.concatenate((-np.logspace(-300, 300, 150), [0.0], np.logspace(-300, 300, 150), [1.7e308]))
)

ADVERSARIAL_EDGE_SETS = {
    "unit": lambda n: spread_edges(0.0, 1.0, n),
    "spanning 1e308": lambda n: spread_edges(-1.7e308, 1.7e308, n),
    "one side of 1e308": lambda n: spread_edges(1e307, 1.7e308, n),
    "subnormal span": lambda n: np.arange(n, dtype=np.float64) * 5e-324,
    "subnormal around zero": lambda n: (np.arange(n, dtype=np.float64) - n // 2) * 5e-324,
    "adjacent floats": lambda n: np.array([1.0 + k * np.finfo(np.float64).eps for k in range(n)]),
    "tiny magnitudes": lambda n: spread_edges(1e-300, 1e-299, n),
    "huge magnitudes": lambda n: spread_edges(1e300, 1e301, n),
    "mixed scales": lambda n: pick(MIXED_SCALES, n),
}


@pytest.mark.parametrize("n_edges", [1, 2, FEW_EDGES, MANY_EDGES, 49, 254, 255, 300])
@pytest.mark.parametrize("name", sorted(ADVERSARIAL_EDGE_SETS))
def test_kernels_match_searchsorted_on_adversarial_edges(name: str, n_edges: int) -> None:
    edges = ADVERSARIAL_EDGE_SETS[name](n_edges)
    assert edges.shape[0] == n_edges
    rng = np.random.default_rng(n_edges)
    x = np.concatenate((neighbourhood(edges), rng.choice(edges, 100), rng.normal(size=100) * 1e300))
    expected = reference_counts(edges, x)
    np.testing.assert_array_equal(compare_kernel(edges, x), expected)
    np.testing.assert_array_equal(grid_kernel(edges, x), expected)
    np.testing.assert_array_equal(count_values(NumericBins(tuple(edges)), x).counts, expected)


@pytest.mark.parametrize("n_edges", [FEW_EDGES, MANY_EDGES])
def test_extreme_values_raise_no_floating_point_warnings(n_edges: int) -> None:
    # pytest turns warnings into errors, so an overflow inside a kernel fails this test.
    spec = NumericBins(tuple(spread_edges(0.0, 1e-3, n_edges)))
    x = np.array([1e305, -1e305, np.inf, -np.inf, np.nan, 5e-4])
    assert count_values(spec, x).counts.tolist() == reference_counts(np.asarray(spec.edges), x).tolist()


def test_infinities_land_in_the_outer_bins_with_edges_spanning_the_float_range() -> None:
    spec = NumericBins(tuple(spread_edges(-1.7e308, 1.7e308, 40)))
    counts = count_values(spec, np.array([-np.inf, np.inf, np.inf])).counts
    assert counts[0] == 1
    assert counts[spec.missing_index - 1] == 2


finite_floats = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def edges_and_values(draw: st.DrawFn) -> tuple[FloatArray, FloatArray]:
    raw = draw(st.lists(finite_floats, min_size=1, max_size=60, unique=True))
    edges = np.unique(np.asarray(raw, dtype=np.float64) + 0.0)  # -0.0 and 0.0 are one edge
    near = neighbourhood(edges)
    picks = draw(st.lists(st.integers(0, near.shape[0] - 1), max_size=80))
    extra = draw(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=40))
    x = np.concatenate((near[picks], np.asarray(extra, dtype=np.float64)))
    return edges, x


@settings(max_examples=300, deadline=None)
@given(edges_and_values())
def test_kernels_match_searchsorted_on_generated_data(data: tuple[FloatArray, FloatArray]) -> None:
    edges, x = data
    expected = reference_counts(edges, x)
    np.testing.assert_array_equal(compare_kernel(edges, x), expected)
    np.testing.assert_array_equal(grid_kernel(edges, x), expected)
    np.testing.assert_array_equal(count_values(NumericBins(tuple(edges)), x).counts, expected)


def bin_by_definition(edges: tuple[float, ...], x: float) -> int:
    """The bin whose half-open [lo, hi) holds x; +inf in the last value bin, NaN in missing."""
    if math.isnan(x):
        return len(edges) + 1
    bounds = (-math.inf, *edges, math.inf)
    holders = [
        i
        for i in range(len(edges) + 1)
        if bounds[i] <= x and (x < bounds[i + 1] or (x == math.inf and i == len(edges)))
    ]
    assert len(holders) == 1, f"{x!r} is in bins {holders} of {edges}"
    return holders[0]


@settings(max_examples=200, deadline=None)
@given(edges_and_values())
def test_every_value_lands_in_exactly_the_bin_its_definition_names(
    data: tuple[FloatArray, FloatArray],
) -> None:
    edges, x = data
    spec = NumericBins(tuple(edges))
    for value in x[:40]:
        counts = count_values(spec, np.array([value])).counts
        assert counts.sum() == 1
        assert int(np.argmax(counts)) == bin_by_definition(spec.edges, float(value))
