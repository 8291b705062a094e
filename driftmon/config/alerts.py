"""Alert settings per statistic: thresholds with hysteresis, persistence and a significance gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from driftmon.core import STATISTICS

__all__ = [
    "DEFAULT_FOR_WINDOWS",
    "DEFAULT_SIGNIFICANCE_LEVEL",
    "AlertRule",
    "AlertRules",
    "EffectiveAlertRule",
    "Statistic",
    "effective_alert_rules",
]

Statistic = Literal["kl_live_ref", "kl_ref_live", "js_divergence", "js_distance", "psi", "hellinger"]
assert set(get_args(Statistic)) == set(STATISTICS), "config.alerts.Statistic must list core.STATISTICS"

_STATISTICS: tuple[Statistic, ...] = get_args(Statistic)

DEFAULT_FOR_WINDOWS = 1
# An alert needs the statistic's no-drift p-value below this level as well as the threshold.
DEFAULT_SIGNIFICANCE_LEVEL = 0.01


class AlertRule(BaseModel):
    """Settings for one statistic; every key is optional so a column can override just one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    warning: float | None = Field(None, ge=0, allow_inf_nan=False, description="warning threshold")
    critical: float | None = Field(None, ge=0, allow_inf_nan=False, description="critical threshold")
    resolve: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="clear only below this level (default: warning)"
    )
    for_windows: int | None = Field(None, ge=1, description="consecutive windows above before firing")
    require_significance: bool | None = None
    significance_level: float | None = Field(None, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> AlertRule:
        _check_order(self.warning, self.critical, self.resolve)
        return self

    def merged(self, override: AlertRule) -> AlertRule:
        """Return these settings with the keys set in `override` replacing them."""
        return self.model_copy(update=override.model_dump(exclude_unset=True))


AlertRules = dict[Statistic, AlertRule]


def _check_order(warning: float | None, critical: float | None, resolve: float | None) -> None:
    if warning is not None and critical is not None and warning > critical:
        raise ValueError(f"warning ({warning:g}) must not be above critical ({critical:g})")
    if resolve is not None:
        lowest = warning if warning is not None else critical
        name = "warning" if warning is not None else "critical"
        if lowest is None:
            raise ValueError("resolve is set but neither warning nor critical is")
        if resolve >= lowest:
            raise ValueError(
                f"resolve ({resolve:g}) must be below {name} ({lowest:g}): it is the level to clear"
            )


@dataclass(frozen=True)
class EffectiveAlertRule:
    """The settings in force for one statistic of one column, every default filled in."""

    statistic: str
    warning: float | None
    critical: float | None
    resolve: float
    for_windows: int
    require_significance: bool
    significance_level: float

    def threshold(self, severity: Literal["warning", "critical"]) -> float | None:
        return self.warning if severity == "warning" else self.critical


def effective_alert_rules(
    monitor: Mapping[Statistic, AlertRule], column: Mapping[Statistic, AlertRule]
) -> dict[str, EffectiveAlertRule]:
    """Merge a column's overrides over its monitor's rules, statistic by statistic and key by key.

    A statistic with neither a warning nor a critical threshold after merging has no rule.
    Raises ValueError when the merged thresholds are out of order.
    """
    out: dict[str, EffectiveAlertRule] = {}
    for name in _STATISTICS:
        base, over = monitor.get(name), column.get(name)
        if base is None and over is None:
            continue
        rule = base.merged(over) if base and over else (over or base)
        assert rule is not None
        if rule.warning is None and rule.critical is None:
            continue
        _check_order(rule.warning, rule.critical, rule.resolve)
        lowest = rule.warning if rule.warning is not None else rule.critical
        assert lowest is not None
        out[name] = EffectiveAlertRule(
            statistic=name,
            warning=rule.warning,
            critical=rule.critical,
            resolve=rule.resolve if rule.resolve is not None else lowest,
            for_windows=rule.for_windows if rule.for_windows is not None else DEFAULT_FOR_WINDOWS,
            require_significance=True if rule.require_significance is None else rule.require_significance,
            significance_level=(
                rule.significance_level if rule.significance_level is not None else DEFAULT_SIGNIFICANCE_LEVEL
            ),
        )
    return out
