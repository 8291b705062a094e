"""Prometheus text format (0.0.4): per-owner fragments rendered once, joined family by family.

The format wants all lines of a family in one group after its HELP and TYPE lines, so each
owner (the process, each monitor) keeps one fragment per family, and the exposition writes,
for every family, its header followed by that family's fragment of every owner. Lines are
written exactly as prometheus_client.generate_latest writes them (sorted label names, the
same escaping, floatToGoString values); a test holds the two byte for byte equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from operator import add

from driftmon.metrics.names import FAMILIES
from driftmon.metrics.samples import Batch
from driftmon.metrics.text import ExtendedLabels, value_texts

__all__ = ["CONTENT_TYPE", "HEADERS", "Fragments", "join_exposition", "render_fragments"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Fragments = tuple[bytes, ...]  # one per family in FAMILIES, b"" where the owner has no samples


def _header(name: str, kind: str, text: str) -> bytes:
    text = text.replace("\\", r"\\").replace("\n", r"\n")
    return f"# HELP {name} {text}\n# TYPE {name} {kind}\n".encode()


HEADERS = tuple(_header(f.name, f.kind, f.help) for f in FAMILIES)
_EMPTY: Fragments = (b"",) * len(FAMILIES)


def render_fragments(batches: Iterable[Batch]) -> Fragments:
    """Render one owner's sample batches into its per-family fragments."""
    batches = [batch for batch in batches if batch[3]]
    if not batches:
        return _EMPTY
    parts: dict[int, list[str]] = {}
    known: object = None
    heads: Sequence[str] = []
    for (index, name, labels, _), values in zip(batches, value_texts([b[3] for b in batches]), strict=True):
        if labels is not known:  # a monitor's columns share one label list across families
            heads = labels.heads if isinstance(labels, ExtendedLabels) else [f"{lbl.text} " for lbl in labels]
            known = labels
        if len(heads) != len(values):
            raise ValueError(f"{name}: {len(heads)} label sets for {len(values)} values")
        # One line per sample; the name goes in as the separator.
        lines = f"\n{name}".join(map(add, heads, values))
        parts.setdefault(index, []).append(f"{name}{lines}\n")
    fragments = list(_EMPTY)
    for index, texts in parts.items():
        fragments[index] = "".join(texts).encode()
    return tuple(fragments)


def join_exposition(owners: Sequence[Fragments]) -> bytes:
    """Join the owners' fragments into one exposition body, family by family."""
    out: list[bytes] = []
    for i, header in enumerate(HEADERS):
        out.append(header)
        out.extend(owner[i] for owner in owners)
    return b"".join(out)
