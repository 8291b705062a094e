"""A seeded uniform row sample of a stream of chunks, in memory bounded by the sample size.

Bottom-k sampling: every row draws a uniform key and the rows with the k smallest keys are
kept. That is a uniform sample without replacement, it is the same for the same seed and
chunk order, and a chunk only has to be converted for the rows that can still make the cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# Rows kept to fit reference bin edges (sources and driftmon.check alike): decile edges from 200k
# rows sit within about 0.1% of rank of the exact ones, and 25 float columns stay near 40 MB
# however large the reference.
DEFAULT_REFERENCE_SAMPLE = 200_000


@dataclass(frozen=True)
class Sampling:
    """How a reference is sampled: a uniform sample of at most `size` rows, drawn with `seed`."""

    size: int = DEFAULT_REFERENCE_SAMPLE
    seed: int = 0


IndexArray = npt.NDArray[np.intp]


class RowSampler:
    """Keep a uniform sample of at most `size` rows across chunks, column by column."""

    def __init__(self, size: int, seed: int = 0) -> None:
        if size < 1:
            raise ValueError(f"sample size must be at least 1, got {size}")
        self.size = size
        self.rows = 0
        self._rng = np.random.default_rng(seed)
        self._keys = np.empty(0, dtype=np.float64)
        self._columns: dict[str, list[npt.NDArray[Any]]] = {}
        self._pending: npt.NDArray[np.float64] | None = None

    @property
    def sampled(self) -> bool:
        """True once more rows were offered than the sample keeps."""
        return self.rows > self.size

    def offer(self, n_rows: int) -> IndexArray:
        """Draw keys for the next chunk; return the indices of its rows that must be added."""
        if self._pending is not None:
            raise RuntimeError("add() the rows of the previous offer first")
        keys = self._rng.random(n_rows)
        self.rows += n_rows
        if self._keys.shape[0] >= self.size:
            threshold = float(np.partition(self._keys, self.size - 1)[self.size - 1])
            chosen = np.flatnonzero(keys < threshold)
            self._pending = keys[chosen]
        else:  # the sample is not full yet: every row may enter
            chosen = np.arange(n_rows)
            self._pending = keys
        return chosen

    def add(self, columns: dict[str, npt.NDArray[Any]]) -> None:
        """Add the chosen rows' values (one array per column, in `offer` order)."""
        if self._pending is None:
            raise RuntimeError("call offer() before add()")
        n = self._pending.shape[0]
        for name, values in columns.items():
            if values.shape[0] != n:
                raise ValueError(f"column {name!r} has {values.shape[0]} values for {n} chosen rows")
            self._columns.setdefault(name, []).append(values)
        self._keys = np.concatenate([self._keys, self._pending]) if self._keys.size else self._pending
        self._pending = None
        if self._keys.shape[0] >= 2 * self.size:
            self._compact()

    def drop(self, name: str) -> None:
        """Forget a column (it failed); the other columns keep their rows."""
        self._columns.pop(name, None)

    def _compact(self) -> None:
        if self._keys.shape[0] <= self.size:
            return
        keep = np.sort(np.argpartition(self._keys, self.size - 1)[: self.size])
        self._keys = self._keys[keep]
        for name, parts in self._columns.items():
            joined = parts[0] if len(parts) == 1 else np.concatenate(parts)  # the gather copies anyway
            self._columns[name] = [joined[keep]]

    def result(self) -> dict[str, npt.NDArray[Any]]:
        """Return the sampled values per column, in the order the rows were read."""
        self._compact()
        return {
            name: (np.concatenate(parts) if parts else np.empty(0)) for name, parts in self._columns.items()
        }
