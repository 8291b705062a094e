"""Exposition text pieces: label sets rendered once (and extended by appending), and floats."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from itertools import chain, compress
from typing import NamedTuple, overload

from pydantic_core import to_json

__all__ = ["NO_LABELS", "ExtendedLabels", "LabelSet", "escape", "go_float", "label_set", "value_texts"]


def go_float(value: float) -> str:
    """Write a float as prometheus_client's floatToGoString does (Go's formatting of le and values)."""
    if value != value:
        return "NaN"
    if value == math.inf:
        return "+Inf"
    if value == -math.inf:
        return "-Inf"
    text = repr(value)
    dot = text.find(".")
    # Go switches to an exponent sooner than Python (floatToGoString handles positive values only).
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+{dot - 1:02d}"
    return text


# Values from a million up are written with an exponent (Go's formatting, not repr()'s); the
# ones met in practice are timestamps, repeated across the columns and monitors of a window.
_large = functools.lru_cache(maxsize=1024, typed=True)(go_float)


def _value_text(value: float) -> str:
    # repr() is Go's text for finite values under a million (most of them).
    return repr(value) if -1e6 < value < 1e6 else _large(value)


def _json_is_repr() -> bool:
    # pydantic_core writes floats with Ryu: the shortest text that reads back as the same float,
    # as repr() does, positional from 1e-4 on. Checked once, so a release that writes them
    # otherwise only costs speed.
    probes = [0.1, 0.3, 1 / 3, 2 / 3, 0.30000000000000004, 1e-4, 0.00012345678901234567, 2.5, 1.0]
    probes += [0.0, -0.0, 100.0, 123456.789, 999999.9999999999, -987654.3, 5e-3, 7.0e-4, 12345.678901234567]
    try:
        return bytes(to_json(probes)) == f"[{','.join(map(repr, probes))}]".encode()
    except Exception:
        return False


_JSON_IS_REPR = _json_is_repr()


def value_texts(groups: Sequence[Sequence[float]]) -> list[Sequence[str]]:
    """Return go_float(v) of each float of each group: the exposition's text of sample values.

    Most values of a snapshot are scores whose repr() takes 17 digits, the slowest case of
    Python's float formatting. pydantic_core's JSON writes the same text several times faster
    (its shortest round-trip digits are repr()'s), so one JSON array carries the values of all
    groups under a million. Groups reaching a million (timestamps: Go writes them with an
    exponent) are written one value at a time, and so are the array's values that JSON writes
    otherwise than repr(): under 1e-4 but not zero, NaN, infinities.
    """
    if not _JSON_IS_REPR:
        return [[_value_text(v) for v in values] for values in groups]
    # max() is NaN when NaN comes first (so not < 1e6); a later NaN does not hide a larger value
    # from max(), and JSON writes it as NaN, which _marked() finds.
    ordinary = [bool(values) and max(values) < 1e6 for values in groups]
    flat = list(chain.from_iterable(compress(groups, ordinary)))
    joined = to_json(flat)[1:-1].decode()
    texts = joined.split(",")
    for i in _marked(joined):
        texts[i] = _value_text(flat[i])
    out: list[Sequence[str]] = []
    end = 0
    for values, json in zip(groups, ordinary, strict=True):
        if json:
            start, end = end, end + len(values)
            out.append(texts[start:end])
        else:
            out.append([_value_text(v) for v in values])
    return out


# What JSON writes where repr() writes something else: under 1e-4 positional ("0.00001") or
# with an exponent, NaN, Infinity. A mark elsewhere ("10.00001") only costs a repr().
_MARKS = ("0.0000", "e", "N", "I")


def _marked(joined: str) -> list[int]:
    """Return the indices of the comma-separated items of `joined` that hold a mark."""
    offsets = []
    for mark in _MARKS:
        at = joined.find(mark)
        while at >= 0:
            offsets.append(at)
            at = joined.find(mark, at + 1)
    indices = []
    index = previous = 0
    for at in sorted(offsets):
        index += joined.count(",", previous, at)
        previous = at
        indices.append(index)
    return indices


def escape(value: str) -> str:
    """Return a label value as the text format writes it between quotes (as prometheus_client does)."""
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def _pairs(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    return ",".join(f'{n}="{escape(v)}"' for n, v in zip(names, values, strict=True))


@functools.lru_cache(maxsize=4096)
def _suffix(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    # Extensions take bounded values (statistic, severity, status, version): render each once.
    return f",{_pairs(names, values)}}}"


class LabelSet(NamedTuple):
    """Label names (sorted, the order the exposition writes them) and values, with their text."""

    names: tuple[str, ...]
    values: tuple[str, ...]
    text: str

    def as_dict(self) -> dict[str, str]:
        """Return the labels as prometheus_client takes them."""
        return dict(zip(self.names, self.values, strict=True))

    def extend(self, names: tuple[str, ...], values: tuple[str, ...]) -> LabelSet:
        """Return these labels plus `names`, which must sort after the ones held."""
        if not self.names:
            return label_set(names, values)
        return LabelSet(self.names + names, self.values + values, self.text[:-1] + _suffix(names, values))


NO_LABELS = LabelSet((), (), "")


def label_set(names: tuple[str, ...], values: tuple[str, ...]) -> LabelSet:
    """Return a LabelSet; `names` must be sorted."""
    if not names:
        return NO_LABELS
    return LabelSet(names, values, "{" + _pairs(names, values) + "}")


class ExtendedLabels(Sequence[LabelSet]):
    """Label sets that each extend a base set, kept as text until a set is read.

    Item i is `bases[i].extend(names, values[i])`; the caller gives its text followed by a
    space (the start of a sample line) as `heads[i]`, and bases are never empty. The text
    exposition reads `heads` only; the Collector path reads the sets, built on access, so a
    render does not build one per sample.
    """

    __slots__ = ("bases", "heads", "names", "values")

    def __init__(
        self,
        bases: Sequence[LabelSet],
        names: tuple[str, ...],
        values: Sequence[tuple[str, ...]],
        heads: Sequence[str],
    ) -> None:
        self.bases, self.names, self.values, self.heads = bases, names, values, heads

    def __len__(self) -> int:
        return len(self.heads)

    @overload
    def __getitem__(self, index: int) -> LabelSet: ...
    @overload
    def __getitem__(self, index: slice) -> list[LabelSet]: ...
    def __getitem__(self, index: int | slice) -> LabelSet | list[LabelSet]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        base = self.bases[index]
        return LabelSet(base.names + self.names, base.values + self.values[index], self.heads[index][:-1])
