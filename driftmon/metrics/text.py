"""Exposition text pieces: label values escaped, label sets written, values as Go writes floats."""

from __future__ import annotations

from prometheus_client.utils import floatToGoString


def float_text(value: float) -> str:
    """Write a sample value or `le` bound as prometheus_client does (Go's float formatting)."""
    text: str = floatToGoString(value)  # type: ignore[no-untyped-call]  # the helper has no annotations
    return text


def escape(value: str) -> str:
    """Return a label value as the text format writes it between quotes (as prometheus_client does)."""
    return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")


def label_text(pairs: dict[str, str]) -> str:
    """Return `{name="value",...}` with the names in sorted order ("" for no labels)."""
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{escape(pairs[name])}"' for name in sorted(pairs)) + "}"
