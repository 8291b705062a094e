"""Alert settings per statistic, and the default alert policy every monitor has unless it says `alerts: none`.

The default policy (docs/alerting.md gives its reasoning and the figures it was calibrated on):
js_divergence alerts when a window is significant (p < 0.01) and its divergence is large against
that window's no-drift noise level (the 99% no-drift quantile for its sample sizes): warning at
1.5 times the noise and at least 0.001 bits for two windows in a row, critical at four times the noise
and at least 0.04 bits on the first such window. It clears after two windows back within the
noise (or no longer significant). Every rule a config writes inherits the policy's keys it does
not set, so a fixed `warning: 0.05` still needs an effect above the window's noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from driftmon.core import STATISTICS

Statistic = Literal["kl_live_ref", "kl_ref_live", "js_divergence", "js_distance", "psi", "hellinger"]
assert set(get_args(Statistic)) == set(STATISTICS), "config.alerts.Statistic must list core.STATISTICS"

# What a rule's unset keys are: the policy's persistence, noise multiples and significance gate.
DEFAULT_FOR_WINDOWS = 2
DEFAULT_CRITICAL_FOR_WINDOWS = 1
DEFAULT_WARNING_NOISE = 1.5
DEFAULT_CRITICAL_NOISE = 4.0
DEFAULT_RESOLVE_NOISE = 1.0
# An alert needs the statistic's no-drift p-value below this level as well as the threshold.
DEFAULT_SIGNIFICANCE_LEVEL = 0.01
ALERTS_OFF = "none"


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
    warning_noise: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="warning also needs this multiple of the window's noise"
    )
    critical_noise: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="critical also needs this multiple of the window's noise"
    )
    resolve_noise: float | None = Field(
        None, ge=0, allow_inf_nan=False, description="clear once below this multiple of the noise"
    )
    critical_for_windows: int | None = Field(
        None, ge=1, description="consecutive critical windows before firing critical"
    )

    @model_validator(mode="after")
    def _ordered(self) -> AlertRule:
        _check_order(self.warning, self.critical, self.resolve)
        _check_order(self.warning_noise, self.critical_noise, self.resolve_noise, "_noise")
        return self

    def merged(self, override: AlertRule) -> AlertRule:
        """Return these settings with the keys set in `override` replacing them."""
        return self.model_copy(update=override.model_dump(exclude_unset=True))


# `none` for a statistic drops its rule (the default policy's included).
AlertRules = dict[Statistic, AlertRule | Literal["none"]]
# `alerts: none` turns every alert of a monitor (or a column) off, the default policy included.
AlertSettings = AlertRules | Literal["none"]


def _check_order(
    warning: float | None, critical: float | None, resolve: float | None, suffix: str = ""
) -> None:
    if warning is not None and critical is not None and warning > critical:
        raise ValueError(f"warning{suffix} ({warning:g}) must not be above critical{suffix} ({critical:g})")
    if resolve is not None:
        lowest = warning if warning is not None else critical
        name = ("warning" if warning is not None else "critical") + suffix
        if lowest is None:
            raise ValueError(f"resolve{suffix} is set but neither warning{suffix} nor critical{suffix} is")
        if resolve > lowest or (resolve == lowest and not suffix):
            raise ValueError(
                f"resolve{suffix} ({resolve:g}) must be below {name} ({lowest:g}): it is the level to clear"
            )


DEFAULT_ALERT_POLICY: dict[str, AlertRule] = {
    "js_divergence": AlertRule(warning=0.001, critical=0.04, resolve=0.0005),
}


@dataclass(frozen=True)
class EffectiveAlertRule:
    """The settings in force for one statistic of one column, every default filled in."""

    statistic: str
    warning: float | None
    critical: float | None
    resolve: float | None  # the lowest fixed level unless set; None with noise multiples alone
    for_windows: int
    require_significance: bool
    significance_level: float
    warning_noise: float | None = None
    critical_noise: float | None = None
    resolve_noise: float | None = None
    critical_for_windows: int = DEFAULT_CRITICAL_FOR_WINDOWS


_FIXED = ("warning", "critical", "resolve")


def _layers(monitor: AlertSettings, column: AlertSettings) -> dict[str, AlertRule]:
    """Stack the policy, the monitor's rules and the column's, statistic by statistic and key by key."""
    out: dict[str, AlertRule | None] = dict(DEFAULT_ALERT_POLICY)
    for layer in (monitor, column):
        if layer == ALERTS_OFF:
            out = {}
            continue
        assert isinstance(layer, Mapping)
        for name, rule in layer.items():
            base = out.get(name)
            if not isinstance(rule, AlertRule):  # `none`
                out[name] = None
                continue
            if (
                base is not None
                and base is DEFAULT_ALERT_POLICY.get(name)
                and rule.model_fields_set & {"warning", "critical"}
            ):
                # Thresholds of one's own replace the policy's as a set (its resolve included).
                base = base.model_copy(update=dict.fromkeys(_FIXED))
            out[name] = base.merged(rule) if base is not None else rule
    return {name: rule for name, rule in out.items() if rule is not None}


def effective_alert_rules(
    monitor: AlertSettings, column: AlertSettings, computed: Sequence[str]
) -> dict[str, EffectiveAlertRule]:
    """Stack the default policy, a monitor's rules and a column's overrides, for the computed statistics.

    `none` for a statistic drops its rule; `none` for a whole layer drops every rule below it.
    A statistic left with no warning or critical level has no rule. Unset keys take the
    policy's: a noise multiple for each fixed level that is set, persistence, the significance
    gate. Raises ValueError when the merged levels are out of order.
    """
    out: dict[str, EffectiveAlertRule] = {}
    for name, rule in _layers(monitor, column).items():
        if name not in computed:
            continue
        w, c = rule.warning, rule.critical
        w_noise, c_noise = rule.warning_noise, rule.critical_noise
        if w_noise is None and w is not None:
            w_noise = DEFAULT_WARNING_NOISE
        if c_noise is None and c is not None:
            c_noise = DEFAULT_CRITICAL_NOISE
        if w is None and c is None and w_noise is None and c_noise is None:
            continue
        multiples = [m for m in (w_noise, c_noise) if m is not None]
        r_noise = rule.resolve_noise
        if r_noise is None and multiples:
            r_noise = min(DEFAULT_RESOLVE_NOISE, *multiples)
        _check_order(w, c, rule.resolve)
        _check_order(w_noise, c_noise, r_noise, "_noise")
        out[name] = EffectiveAlertRule(
            statistic=name,
            warning=w,
            critical=c,
            resolve=rule.resolve if rule.resolve is not None else (w if w is not None else c),
            for_windows=rule.for_windows or DEFAULT_FOR_WINDOWS,
            require_significance=True if rule.require_significance is None else rule.require_significance,
            significance_level=rule.significance_level or DEFAULT_SIGNIFICANCE_LEVEL,
            warning_noise=w_noise,
            critical_noise=c_noise,
            resolve_noise=r_noise,
            critical_for_windows=rule.critical_for_windows or DEFAULT_CRITICAL_FOR_WINDOWS,
        )
    return out
