"""The two objects every metric takes: what slice to look at, and how to count.

Kept separate from the SQL so pages, the report command and tests all describe a
view the same way; both are frozen (hashable) so the UI can cache on them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date

from gtm import periods

MOTIONS = ("sales_led", "product_led")
DEFAULT_REQUIRED_ROLES = (
    "economic_buyer",
    "champion",
    "decision_maker",
    "technical_evaluator",
    "user",
    "procurement",
)


@dataclass(frozen=True)
class Filter:
    """A period plus optional dimension filters; empty tuples mean 'all'."""

    start: date
    end: date  # inclusive; also the "as of" date of every metric
    regions: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    motions: tuple[str, ...] = ()  # values of MOTIONS

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"period end {self.end} is before its start {self.start}")
        bad = set(self.motions) - set(MOTIONS)
        if bad:
            raise ValueError(f"unknown motion {sorted(bad)}; expected one of {MOTIONS}")

    def params(self) -> dict:
        """Bound parameters for the filtered CTEs (lists are NULL when 'all')."""
        return {
            "period_start": self.start,
            "period_end": self.end,
            "regions": list(self.regions) or None,
            "segments": list(self.segments) or None,
            "channels": list(self.channels) or None,
            "motions": list(self.motions) or None,
        }

    def previous(self, period: str | None = None) -> Filter:
        """The same slice over the previous period (gtm.periods.previous_range; `period` is
        the sidebar's period label when there is one)."""
        start, end = periods.previous_range(period, self.start, self.end)
        return replace(self, start=start, end=end)


@dataclass(frozen=True)
class Settings:
    """The settings metrics.md names, with its defaults."""

    qualified_stage: str = "auto"  # 'auto' or a stage name
    qualified_threshold: float = 0.25  # auto: earliest stage with >= this win rate
    gross_margin: float = 0.80
    lookback_days: int = 90  # engaged-people window before the period end
    required_roles: tuple[str, ...] = field(default=DEFAULT_REQUIRED_ROLES)
    group_size: int = 7
    activation_days: int = 30
    stale_days: int = 90
    icp_threshold: float = 70.0  # fit_score at or above this makes a target account
    # warm starts (metrics.md v2): people and touches in the days before a deal is created,
    # on channels other than the sales-owned ones
    warm_days: int = 90
    warm_people: int = 2
    warm_touches: int = 3
    sales_channels: tuple[str, ...] = ("outbound",)

    def as_dict(self) -> dict:
        return asdict(self)


def filter_summary(flt: Filter, period: str | None) -> str:
    """One line: period with its dates, then each active dimension (or 'all ...'); the page
    headers and the QBR pack say it the same way."""
    span = f"{flt.start:%b %-d, %Y} – {flt.end:%b %-d, %Y}"
    label = span if period in (None, periods.CUSTOM) else f"{period} ({span})"
    parts = [label]
    for name, values in (("regions", flt.regions), ("segments", flt.segments),
                         ("channels", flt.channels)):
        parts.append(", ".join(values) if values else f"all {name}")
    motions = [m.replace("_", "-") for m in flt.motions]
    parts.append(", ".join(motions) if motions else "all motions")
    return " · ".join(parts)
