"""driftmon: distribution-drift monitoring for production ML models."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from driftmon.frame import check

__version__ = "0.1.0"
__all__ = ["__version__", "check"]


def __getattr__(name: str) -> Any:
    # `check` pulls in pandas; importing it lazily keeps `import driftmon` (and the CLI) light.
    if name == "check":
        from driftmon.frame import check

        return check
    raise AttributeError(f"module 'driftmon' has no attribute {name!r}")
