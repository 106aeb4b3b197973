"""Where things sit on a slide, in inches of a 16:9 page: one geometry for both renderers.

The PowerPoint and the PDF of a pack place every box at the same spot (title, finding, tile
rows, charts with their titles and notes, bullet lines, footer), so a page of the PDF looks
like its slide. Also here: the one shape arithmetic both draw, a waterfall as invisible base
bars under visible steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gtm.qbr.model import Chart, Slide

WIDTH, HEIGHT = 13.333, 7.5
MARGIN = 0.5
INNER = WIDTH - 2 * MARGIN
TILE_H, GAP = 0.95, 0.15
FOOTER_Y = 6.82
BODY_BOTTOM = 6.62
MAX_TILES_PER_ROW = 8

# Font sizes (points)
TITLE_PT, FINDING_PT, TILE_LABEL_PT, TILE_VALUE_PT, TILE_NOTE_PT = 26, 15, 10, 20, 9
CHART_TITLE_PT, CHART_NOTE_PT, LINE_PT, FOOTER_PT, AXIS_PT, LABEL_PT = 12, 9, 12, 8, 9, 8


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class ChartBoxes:
    title: Box
    plot: Box
    note: Box


@dataclass(frozen=True)
class Layout:
    title: Box
    finding: Box
    tiles: tuple[Box, ...]
    charts: tuple[ChartBoxes, ...]
    lines: Box | None
    footer: Box


def tile_boxes(count: int, top: float) -> tuple[tuple[Box, ...], float]:
    """Tiles in one row (up to MAX_TILES_PER_ROW), else two balanced rows; and the y below."""
    if count == 0:
        return (), top
    rows = 1 if count <= MAX_TILES_PER_ROW else 2
    per_row = math.ceil(count / rows)
    width = (INNER - GAP * (per_row - 1)) / per_row
    boxes = tuple(Box(MARGIN + (i % per_row) * (width + GAP), top + (i // per_row) * (TILE_H + GAP),
                      width, TILE_H) for i in range(count))
    return boxes, top + rows * (TILE_H + GAP)


def chart_boxes(count: int, x: float, top: float, width: float) -> tuple[ChartBoxes, ...]:
    """count charts side by side in x..x+width from top to BODY_BOTTOM."""
    if count == 0:
        return ()
    gap = 0.4
    each = (width - gap * (count - 1)) / count
    title_h, note_h = 0.62, 0.3
    plot_h = BODY_BOTTOM - top - title_h - note_h
    return tuple(ChartBoxes(Box(x + i * (each + gap), top, each, title_h),
                            Box(x + i * (each + gap), top + title_h, each, plot_h),
                            Box(x + i * (each + gap), top + title_h + plot_h, each, note_h))
                 for i in range(count))


def layout(slide: Slide) -> Layout:
    """The boxes of one slide; lines share the body with charts (left third) on a growth
    slide, and take the whole body where there is no chart."""
    title = Box(MARGIN, 0.3, INNER, 0.62)
    finding = Box(MARGIN, 0.92, INNER, 0.62)
    tiles, below = tile_boxes(len(slide.tiles), 1.62)
    top = below + 0.05 if slide.tiles else 1.7
    footer = Box(MARGIN, FOOTER_Y, INNER, HEIGHT - FOOTER_Y - 0.12)
    lines = None
    x, width = MARGIN, INNER
    if slide.lines and slide.charts:
        lines = Box(MARGIN, top, INNER * 0.36, BODY_BOTTOM - top)
        x, width = MARGIN + INNER * 0.4, INNER * 0.6
    elif slide.lines:
        lines = Box(MARGIN, top, INNER, BODY_BOTTOM - top)
    return Layout(title, finding, tiles, chart_boxes(len(slide.charts), x, top, width), lines,
                  footer)


def waterfall(chart: Chart) -> tuple[list[float], list[float]]:
    """(invisible base, visible height) of each step: totals stand on the axis, a gain starts
    at the running total, a loss hangs down from it."""
    bases, heights, running = [], [], 0.0
    for i, value in enumerate(chart.series[0].values):
        value = value or 0.0
        if i in chart.totals:
            bases.append(0.0)
            heights.append(value)
            running = value
        elif value >= 0:
            bases.append(running)
            heights.append(value)
            running += value
        else:
            running += value
            bases.append(running)
            heights.append(-value)
    return bases, heights


def value_range(chart: Chart) -> tuple[float, float]:
    """The value axis from its start (zero, or axis_from) to a little above the largest bar."""
    if chart.kind == "waterfall":
        bases, heights = waterfall(chart)
        top = max((b + h for b, h in zip(bases, heights, strict=True)), default=0.0)
        low = min(bases + [0.0])
    else:
        values = [v for s in chart.series for v in s.values if v is not None]
        top, low = max(values + [0.0]), min(values + [0.0])
    start = chart.axis_from if chart.axis_from is not None else low
    span = (top - start) or 1.0
    return start, top + span * 0.12
