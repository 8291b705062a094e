"""A prometheus_client Collector over the snapshot: fresh metric families on every collect().

This is the registry path (a CollectorRegistry shared with other collectors, OpenMetrics
output, tests). It turns the snapshot's immutable states into families with the same sample
producer the cached text uses, so both paths export the same samples. For large snapshots
serve MetricsSnapshot.exposition() instead: prometheus_client formats samples one by one
(docs/metrics.md has the figures).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from driftmon.metrics.names import FAMILIES
from driftmon.metrics.samples import Batch, monitor_samples, process_samples
from driftmon.metrics.snapshot import MetricsSnapshot

__all__ = ["SnapshotCollector"]


def _families() -> list[Metric]:
    return [Metric(f.base_name, f.help, f.kind, f.unit) for f in FAMILIES]


class SnapshotCollector(Collector):
    """Expose a MetricsSnapshot through a prometheus_client CollectorRegistry."""

    def __init__(self, snapshot: MetricsSnapshot) -> None:
        self.snapshot = snapshot

    def describe(self) -> list[Metric]:
        """Return the families without samples, so a registry can check names up front."""
        return _families()

    def collect(self) -> Iterator[Metric]:
        """Yield every family, fresh, filled from the snapshot's current states."""
        process, monitors = self.snapshot.view()
        families = _families()

        def add(batches: Iterator[Batch]) -> None:
            for index, name, labels, values in batches:
                family = families[index]
                for lbl, value in zip(labels, values, strict=True):
                    family.add_sample(name, lbl.as_dict(), value)

        add(process_samples(process))
        for state in monitors:
            add(monitor_samples(state))
        yield from families
