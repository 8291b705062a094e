"""driftmon: distribution-drift monitoring for production ML models."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]
