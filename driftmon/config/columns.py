"""Watched columns: kind, role, bin settings and per-column overrides of the monitor's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from driftmon.config.alerts import AlertSettings, EffectiveAlertRule
from driftmon.config.types import ColumnName
from driftmon.core import DEFAULT_COVERAGE, DEFAULT_NUMERIC_BINS, DEFAULT_TOP_K, NumericBins

ColumnKind = Literal["numeric", "categorical"]
ColumnRole = Literal["feature", "prediction", "label"]
NumericMethod = Literal["quantile", "uniform"]


class BinDefaults(BaseModel):
    """Monitor-wide bin settings that columns inherit."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: NumericMethod = Field("quantile", description="numeric edges: reference quantiles or uniform")
    n_bins: int = Field(DEFAULT_NUMERIC_BINS, ge=1, le=1000, description="numeric value bins")
    top_k: int = Field(DEFAULT_TOP_K, ge=1, le=10_000, description="categorical: keep at most K categories")
    coverage: float = Field(
        DEFAULT_COVERAGE, gt=0, le=1, description="categorical: keep the fewest covering this share"
    )


class BinSettings(BaseModel):
    """A column's bin settings; unset keys fall back to the monitor's `bins`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    method: NumericMethod | None = None
    n_bins: int | None = Field(None, ge=1, le=1000)
    edges: tuple[float, ...] | None = Field(None, min_length=1, description="explicit numeric edges")
    top_k: int | None = Field(None, ge=1, le=10_000)
    coverage: float | None = Field(None, gt=0, le=1)

    @field_validator("edges")
    @classmethod
    def _valid_edges(cls, edges: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if edges is not None:
            NumericBins(edges)  # raises BinSpecError (a ValueError) naming the bad edge
        return edges

    @model_validator(mode="after")
    def _edges_alone(self) -> BinSettings:
        if self.edges is not None and (self.method is not None or self.n_bins is not None):
            raise ValueError("explicit 'edges' replace 'method' and 'n_bins'; give one or the other")
        return self


class ColumnConfig(BaseModel):
    """One watched column. A plain string in the YAML list is shorthand for `{name: ...}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ColumnName
    kind: ColumnKind | None = Field(None, description="default: inferred from the reference's type")
    role: ColumnRole = "feature"
    bins: BinSettings = BinSettings()
    alerts: AlertSettings = Field(default_factory=dict)
    min_samples: int | None = Field(None, ge=1)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _bins_fit_kind(self) -> ColumnConfig:
        b = self.bins
        if self.kind == "categorical":
            numeric_keys = [k for k in ("method", "n_bins", "edges") if getattr(b, k) is not None]
            if numeric_keys:
                raise ValueError(
                    f"categorical column {self.name!r} cannot take numeric bin settings "
                    f"({', '.join(numeric_keys)}); use top_k"
                )
        elif self.kind == "numeric" and (b.top_k is not None or b.coverage is not None):
            key = "top_k" if b.top_k is not None else "coverage"
            raise ValueError(f"numeric column {self.name!r} cannot take {key!r}; use n_bins, method or edges")
        return self


@dataclass(frozen=True)
class ColumnSettings:
    """Everything in force for one column: monitor defaults merged with the column's overrides."""

    name: str
    kind: ColumnKind | None
    role: ColumnRole
    method: NumericMethod
    n_bins: int
    edges: tuple[float, ...] | None
    top_k: int
    alpha: float
    min_samples: int
    statistics: tuple[str, ...]
    alerts: Mapping[str, EffectiveAlertRule]
    coverage: float = DEFAULT_COVERAGE

    @property
    def resolved_kind(self) -> ColumnKind | None:
        """The declared kind, or `numeric` when explicit edges imply it, else None (infer)."""
        if self.kind is None and self.edges is not None:
            return "numeric"
        return self.kind

    def fit_options(self) -> dict[str, Any]:
        """Return keyword arguments for `driftmon.core.fit_bins` (add `kind` once it is known)."""
        return {
            "kind": self.resolved_kind,
            "method": self.method,
            "n_bins": self.n_bins,
            "edges": self.edges,
            "top_k": self.top_k,
            "coverage": self.coverage,
            "column": self.name,
        }
