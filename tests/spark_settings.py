"""One local Spark driver for the whole test run: every spark source in the tests uses these settings.

A process holds one classic Spark driver, so the sources of every test module share it (the
driver starts once, on first use); two cores, two shuffle partitions and no web UI keep it light.
"""

from __future__ import annotations

from typing import Any

SPARK_MASTER = "local[2]"
SPARK_CONF = {
    "spark.sql.shuffle.partitions": "2",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "1g",
}


def spark_source(**target: Any) -> dict[str, Any]:
    """Return a raw `kind: spark` source on the shared local driver reading `target`."""
    return {"kind": "spark", "master": SPARK_MASTER, "conf": dict(SPARK_CONF), **target}
