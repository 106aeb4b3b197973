"""The pack as data: slides of tiles, charts and lines, built once and drawn twice.

gtm/qbr/build.py fills this model from the registry values, breakdowns and finding sentences
the pages use; gtm/qbr/deck.py draws it as PowerPoint (native charts) and gtm/qbr/pdf.py as a
PDF. Every text here is plain text (CRM names included): each renderer makes it inert for its
own format. Numbers are kept raw beside their formatted text, so tests can check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Colours of the house style (ui/charts.py uses the same): the MQL lens muted, the pipeline
# lens strong, one accent, gains green and losses red.
MQL_GREY = "#9AA5B1"
PIPELINE_BLUE = "#1F4E79"
ACCENT = "#F28C28"
GAIN_GREEN = "#2E7D4F"
LOSS_RED = "#C0392B"
LIGHT_BLUE = "#5B8DB8"
TEXT = "#1F2933"
MUTED = "#616E7C"
TILE_FILL, TILE_LINE, GRID = "#F5F7FA", "#D9DEE4", "#E5E8EC"


@dataclass(frozen=True)
class Tile:
    """One headline number: a registry metric (metric_id) or a plan quantity (metric_id None)."""

    label: str
    text: str  # the value as the app shows it ($1.2M, 34 %, n/a)
    value: float | None = None
    metric_id: str | None = None
    delta: str | None = None  # "+$500K", "+5.0 pts", "no change"; None without a comparison
    good: bool | None = None  # did it move the good way (None: neutral or unknown)
    note: str = ""  # e.g. "solved", "n/a: add spend.csv to compute it."


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float | None, ...]
    colour: str = PIPELINE_BLUE
    point_colours: tuple[str, ...] = ()  # one per category (a waterfall's gains and losses)


@dataclass(frozen=True)
class Chart:
    """A chart a slide shows: kind column | bar (horizontal) | line | waterfall.

    A waterfall has one series of signed steps; `totals` are the indexes of its absolute
    bars (starting and ending values). `labels` are the data labels, one per value of each
    series, formatted like the app's; `unit` formats the value axis (a gtm.fmt unit)."""

    id: str  # the breakdown it draws, e.g. "funnel.by_channel"
    title: str  # the finding sentence
    kind: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: str
    labels: tuple[tuple[str, ...], ...] = ()
    totals: tuple[int, ...] = ()
    note: str = ""  # a caption under the chart
    axis_from: float | None = None  # the value axis starts here (None: at zero)


@dataclass(frozen=True)
class Slide:
    """One slide: its page (for the reopen link), title, finding, tiles, charts, lines."""

    kind: str  # title | overview | page | missing | growth | glossary
    title: str
    page: str = ""  # url_path of the page the footer link reopens ("" = Overview)
    finding: str = ""
    tiles: tuple[Tile, ...] = ()
    charts: tuple[Chart, ...] = ()
    lines: tuple[str, ...] = ()  # bullet lines (findings, sliders, glossary, notices)
    link: str = ""  # the URL that reopens this slide's page in this view


@dataclass(frozen=True)
class Footer:
    period: str  # "Period ending 2026-09-30 (2026Q3, Jul 1 – Sep 30, 2026)"
    as_of: str  # "Data as of 2026-10-31"
    filters: str  # "all regions · all segments · all channels · all motions"
    comparison: str = ""  # "Deltas compare with 2026-04-01 to 2026-06-30."


@dataclass
class Deck:
    title: str
    subtitle: str
    footer: Footer
    slides: list[Slide] = field(default_factory=list)
    glossary: dict[str, str] = field(default_factory=dict)  # label -> definition, shown order
