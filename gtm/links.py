"""The link that reopens a view: its query parameters, built once for the app and the pack.

The sidebar's "Share this view" link (ui/filters.py) and the footer of every QBR slide
(`python -m gtm qbr --base-url ...`) must reopen the same view, so both build it here from
the same state: the period label, the Filter, the Settings and the pages' own parameters
(growth sliders, Net ARR grain, ...). Only values that differ from the defaults go in the
link; lists repeat their key. The keys are part of every shared link: never rename them.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from gtm import periods
from gtm.filters import Filter, Settings

DEFAULT_BASE_URL = "http://localhost:8501"  # `streamlit run app.py`
MOTION_CHOICES = {"All": (), "Sales-led": ("sales_led",), "Product-led": ("product_led",)}

# Query-parameter keys of the frame: part of every shared link, so never rename them.
KEYS = ("period", "start", "end", "region", "segment", "channel", "motion",
        "stage", "threshold", "margin", "group", "lookback", "activation", "stale",
        "warm", "wpeople", "wtouches", "sales")

# key, label, kind, low, high, step, Settings field
NUMBER_SETTINGS = (
    ("threshold", "Auto stage: minimum win rate", "float", 0.05, 0.95, 0.05,
     "qualified_threshold"),
    ("margin", "Gross margin", "float", 0.05, 1.0, 0.05, "gross_margin"),
    ("group", "Buying group size", "int", 1, 50, 1, "group_size"),
    ("lookback", "Engagement look-back (days)", "int", 7, 730, 1, "lookback_days"),
    ("activation", "Activation window (days)", "int", 1, 365, 1, "activation_days"),
    ("stale", "Stale after (days without stage change)", "int", 7, 730, 1, "stale_days"),
    ("warm", "Warm start: days before the deal", "int", 7, 365, 1, "warm_days"),
    ("wpeople", "Warm start: people of the account", "int", 1, 50, 1, "warm_people"),
    ("wtouches", "Warm start: touches in total", "int", 1, 500, 1, "warm_touches"),
)


def default_values(first: date, as_of: date) -> dict:
    """The value of every key when the link does not carry it (the sidebar's defaults)."""
    period = periods.default_period(first, as_of)
    start, end = periods.period_range(period, as_of)
    defaults = {"period": period, "start": start, "end": end, "motion": "All",
                "stage": "auto"}
    defaults.update({k: getattr(Settings(), f) for k, *_, f in NUMBER_SETTINGS})
    defaults["sales"] = list(Settings().sales_channels)  # warm starts: sales-owned channels
    return defaults


def view_values(period: str, flt: Filter, settings: Settings) -> dict:
    """key -> value of the view (start and end only for a custom period)."""
    motion = next((label for label, m in MOTION_CHOICES.items() if m == tuple(flt.motions)),
                  "All")
    custom = period == periods.CUSTOM
    values = {"period": period, "start": flt.start if custom else None,
              "end": flt.end if custom else None, "region": list(flt.regions),
              "segment": list(flt.segments), "channel": list(flt.channels), "motion": motion,
              "stage": settings.qualified_stage}
    values.update({k: getattr(settings, f) for k, *_, f in NUMBER_SETTINGS})
    values["sales"] = list(settings.sales_channels)
    return values


def period_for(start: date, end: date, first: date, as_of: date) -> str:
    """The sidebar period that shows start..end (the default first, then quarters and
    months, then the relative ones), else Custom."""
    default = periods.default_period(first, as_of)
    named = [p for p in periods.options(first, as_of) if p not in periods.RELATIVE]
    relative = [p for p in periods.RELATIVE if p != periods.CUSTOM]
    for label in (default, *named, *relative):
        if periods.period_range(label, as_of) == (start, end):
            return label
    return periods.CUSTOM


def link_query(values: dict, defaults: dict) -> list[tuple[str, str]]:
    """(key, value) pairs of every non-default value, lists as repeated keys."""
    pairs = []
    for key, value in values.items():
        if value == defaults.get(key) or value in (None, [], ()):
            continue
        items = value if isinstance(value, list | tuple) else [value]
        pairs.extend((key, _text(v)) for v in items)
    return pairs


def _text(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def view_url(base: str, page_path: str, values: dict, defaults: dict,
             page_params: list[tuple[str, str]] = ()) -> str:
    """base/page?query: the frame's non-default values, then the pages' own parameters."""
    query = urlencode(link_query(values, defaults) + list(page_params))
    return f"{base.rstrip('/')}/{page_path}" + (f"?{query}" if query else "")
