"""Exposition text pieces: label sets rendered once (and extended by appending), and floats."""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

__all__ = ["NO_LABELS", "LabelSet", "go_float", "label_set"]


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


def _escape(value: str) -> str:
    # The text format escapes exactly these three in label values (as prometheus_client does).
    if "\\" in value or "\n" in value or '"' in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def _pairs(names: tuple[str, ...], values: tuple[str, ...]) -> str:
    return ",".join(f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True))


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
