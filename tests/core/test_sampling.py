"""The bottom-k row sampler: bounded, uniform, seeded, and blind to how rows are chunked."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from driftmon.core.sampling import RowSampler


def run(chunks: list[int], size: int, seed: int = 0) -> dict[str, np.ndarray]:
    sampler = RowSampler(size, seed)
    offset = 0
    for n in chunks:
        rows = np.arange(offset, offset + n)
        chosen = sampler.offer(n)
        sampler.add({"row": rows[chosen], "label": rows[chosen].astype(str).astype(object)})
        offset += n
    assert sampler.rows == sum(chunks)
    assert sampler.sampled == (sum(chunks) > size)
    return sampler.result()


def test_keeps_everything_when_there_are_few_rows() -> None:
    out = run([3, 4], size=10)
    assert out["row"].tolist() == list(range(7))
    assert out["label"].tolist() == [str(i) for i in range(7)]


def test_sample_is_bounded_and_independent_of_chunking() -> None:
    a = run([1000] * 10, size=250, seed=4)
    b = run([7, 3000, 993, 6000], size=250, seed=4)
    assert a["row"].shape == (250,)
    assert np.array_equal(a["row"], b["row"])
    assert np.array_equal(np.sort(a["row"]), a["row"])  # rows stay in reading order
    assert len(set(a["row"].tolist())) == 250
    assert not np.array_equal(a["row"], run([10_000], size=250, seed=5)["row"])


def test_sample_is_uniform() -> None:
    rows = np.concatenate([run([500] * 20, size=200, seed=s)["row"] for s in range(50)])
    counts = np.bincount(rows // 1000, minlength=10)  # ten equal blocks of the stream
    assert stats.chisquare(counts).pvalue > 0.001


def test_dropped_columns_and_misuse() -> None:
    sampler = RowSampler(5, 0)
    chosen = sampler.offer(3)
    sampler.add({"a": np.arange(3)[chosen], "b": np.arange(3)[chosen]})
    sampler.drop("b")
    chosen = sampler.offer(2)
    sampler.add({"a": np.arange(2)[chosen]})
    assert set(sampler.result()) == {"a"}
    with pytest.raises(RuntimeError, match="call offer"):
        sampler.add({"a": np.arange(1)})
    sampler.offer(1)
    with pytest.raises(RuntimeError, match="add\\(\\) the rows"):
        sampler.offer(1)
    with pytest.raises(ValueError, match="at least 1"):
        RowSampler(0)
