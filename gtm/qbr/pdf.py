"""The pack as a PDF for the board pack read on paper: the same slides, drawn with reportlab.

Every page is one slide of the gtm.qbr.model.Deck at the positions of gtm/qbr/layout.py.
Text is drawn with the canvas's plain string calls, never through reportlab's Paragraph
markup, so a CRM name such as `<b>Acme</b> & Co` prints as written; it stays real text
(pdftotext extracts it). Charts are vector drawings of the model's series: bars, columns, a
line, a waterfall over invisible bases, with the app's data labels. The font is DejaVu Sans
where the system has it (wide Unicode coverage), else the Vera font reportlab ships, so
nothing is downloaded.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import reportlab
from reportlab.lib.colors import HexColor
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as pdfcanvas

from gtm import fmt
from gtm.qbr import layout as geo
from gtm.qbr import model as m
from gtm.qbr.model import Chart, Deck, Slide, Tile

PT = 72  # points per inch
_FONT_FILES = (
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
     Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf",
     Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
)
REGULAR, BOLD = "QBRSans", "QBRSans-Bold"


def _register_fonts() -> None:
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    regular, bold = next(pair for pair in _FONT_FILES if pair[0].exists() and pair[1].exists())
    pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
    pdfmetrics.registerFont(TTFont(BOLD, str(bold)))


def render(deck: Deck) -> bytes:
    """The PDF file of the deck, one landscape page per slide."""
    _register_fonts()
    out = io.BytesIO()
    c = pdfcanvas.Canvas(out, pagesize=(geo.WIDTH * PT, geo.HEIGHT * PT))
    c.setTitle(f"{deck.title}: {deck.subtitle}")
    c.setAuthor("Targetline")
    for number, slide in enumerate(deck.slides, 1):
        (_title_slide if slide.kind == "title" else _slide)(c, slide, deck)
        _footer(c, deck, slide, number, len(deck.slides))
        c.showPage()
    c.save()
    return out.getvalue()


# --- text ------------------------------------------------------------------------------------


def _width(text: str, size: float, bold: bool = False) -> float:
    return pdfmetrics.stringWidth(text, BOLD if bold else REGULAR, size)


def wrap(text: str, size: float, width: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to `width` points; a word longer than a line (a URL) is cut."""
    lines, line = [], ""
    for word in text.split():
        while _width(word, size, bold) > width:  # cut what cannot fit on any line
            cut = max(1, int(len(word) * width / _width(word, size, bold)) - 1)
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if _width(candidate, size, bold) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines or [""]


def _y(inches_from_top: float) -> float:
    return (geo.HEIGHT - inches_from_top) * PT


def _lines(c, lines: list[str], x: float, top: float, size: float, colour: str = m.TEXT,
           bold: bool = False, leading: float = 1.25) -> float:
    """Draw lines from `top` (points from the page bottom, the first baseline below it);
    returns the y under the last line."""
    c.setFont(BOLD if bold else REGULAR, size)
    c.setFillColor(HexColor(colour))
    y = top
    for line in lines:
        y -= size * leading
        c.drawString(x, y + size * 0.25, line)
    return y


def _block(c, text: str, box: geo.Box, size: float, colour: str = m.TEXT, bold: bool = False,
           max_lines: int | None = None) -> float:
    """Wrapped text in a box (shrinking the font until it fits the box's height)."""
    width, height = box.w * PT, box.h * PT
    while True:
        lines = wrap(text, size, width, bold)
        if len(lines) * size * 1.25 <= height or size <= 7:
            break
        size -= 0.5
    if max_lines:
        lines = lines[:max_lines]
    return _lines(c, lines, box.x * PT, _y(box.y), size, colour, bold)


# --- slides ----------------------------------------------------------------------------------


def _title_slide(c, slide: Slide, deck: Deck) -> None:
    _block(c, deck.title, geo.Box(geo.MARGIN, 1.6, geo.INNER, 1.0), 40, bold=True)
    _block(c, deck.subtitle, geo.Box(geo.MARGIN, 2.6, geo.INNER, 0.6), 24, m.PIPELINE_BLUE)
    y = _y(3.5)
    for line in slide.lines:
        y = _lines(c, wrap(line, 16, geo.INNER * PT), geo.MARGIN * PT, y, 16)
    y = _lines(c, ["Reopen this view in Targetline:"], geo.MARGIN * PT, y - 8, 14, m.MUTED)
    link = wrap(slide.link, 12, geo.INNER * PT)
    bottom = _lines(c, link, geo.MARGIN * PT, y, 12, m.PIPELINE_BLUE)
    c.linkURL(slide.link, (geo.MARGIN * PT, bottom, geo.WIDTH * PT - geo.MARGIN * PT, y))


def _slide(c, slide: Slide, deck: Deck) -> None:
    boxes = geo.layout(slide)
    _block(c, slide.title, boxes.title, geo.TITLE_PT, bold=True)
    if slide.finding:
        _block(c, slide.finding, boxes.finding, geo.FINDING_PT, m.PIPELINE_BLUE)
    for tile, box in zip(slide.tiles, boxes.tiles, strict=True):
        _tile(c, tile, box)
    for chart, box in zip(slide.charts, boxes.charts, strict=True):
        _block(c, chart.title, box.title, geo.CHART_TITLE_PT, bold=True)
        ChartDrawing(c, chart, box.plot).draw()
        if chart.note:
            _block(c, chart.note, box.note, geo.CHART_NOTE_PT, m.MUTED)
    if boxes.lines is not None:
        size = 11 if slide.kind == "glossary" else geo.LINE_PT
        _bullets(c, slide.lines, boxes.lines, size, slide.kind in ("overview", "glossary"))
    if slide.kind == "missing":
        box = geo.Box(geo.MARGIN, 2.2, geo.INNER, 1.6)
        _round_box(c, box)
        _block(c, "Nothing to show for this view yet: this page lights up once its data is "
               "loaded.", geo.Box(box.x + 0.2, box.y + 0.2, box.w - 0.4, box.h - 0.4), 16, m.MUTED)


def _bullets(c, lines, box: geo.Box, size: float, terms: bool = False) -> None:
    """Bullet lines, wrapped under their bullet; the font shrinks until all of them fit.
    terms: the text before each line's first ': ' is its term, set in bold."""
    width = box.w * PT - 14

    def room(line: str) -> float:  # a bold term is wider than the regular text measured
        term = line.partition(": ")[0] + ":"
        return width - (_width(term, size, True) - _width(term, size) if terms else 0)

    while True:
        wrapped = [wrap(line, size, room(line)) for line in lines]
        height = sum(len(w) for w in wrapped) * size * 1.25 + len(lines) * size * 0.45
        if height <= box.h * PT or size <= 7:
            break
        size -= 0.5
    y = _y(box.y)
    for line, chunk in zip(lines, wrapped, strict=True):
        c.setFont(REGULAR, size)
        c.setFillColor(HexColor(m.TEXT))
        c.drawString(box.x * PT, y - size * 1.0, "•")
        term = line.partition(": ")[0] + ":" if terms and ": " in chunk[0] else ""
        if term:
            c.setFont(BOLD, size)
            c.drawString(box.x * PT + 14, y - size * 1.0, term)
            rest = chunk[0][len(term):]
            c.setFont(REGULAR, size)
            c.drawString(box.x * PT + 14 + _width(term, size, True), y - size * 1.0, rest)
            y = _lines(c, chunk[1:], box.x * PT + 14, y - size * 1.25, size) - size * 0.45
        else:
            y = _lines(c, chunk, box.x * PT + 14, y, size) - size * 0.45


def _round_box(c, box: geo.Box) -> None:
    c.setFillColor(HexColor(m.TILE_FILL))
    c.setStrokeColor(HexColor(m.TILE_LINE))
    c.roundRect(box.x * PT, _y(box.y + box.h), box.w * PT, box.h * PT, 6, stroke=1, fill=1)


def _tile(c, tile: Tile, box: geo.Box) -> None:
    _round_box(c, box)
    inner = geo.Box(box.x + 0.1, box.y + 0.06, box.w - 0.2, box.h)
    x, width = inner.x * PT, inner.w * PT
    y = _lines(c, wrap(tile.label, geo.TILE_LABEL_PT, width)[:2], x, _y(inner.y),
               geo.TILE_LABEL_PT, m.MUTED)
    value_size = geo.TILE_VALUE_PT
    while _width(tile.text, value_size, True) > width and value_size > 10:
        value_size -= 1
    y = _lines(c, [tile.text], x, y, value_size, bold=True, leading=1.15)
    low = tile.delta or tile.note
    if low:
        colour = m.MUTED if tile.good is None else (m.GAIN_GREEN if tile.good else m.LOSS_RED)
        _lines(c, wrap(low, geo.TILE_NOTE_PT, width)[:2], x, y, geo.TILE_NOTE_PT, colour)


def _footer(c, deck: Deck, slide: Slide, number: int, total: int) -> None:
    f = deck.footer
    box = geo.layout(slide).footer
    c.setStrokeColor(HexColor(m.GRID))
    c.line(box.x * PT, _y(box.y) + 2, (box.x + box.w) * PT, _y(box.y) + 2)
    first = " · ".join(p for p in (f.period, f.as_of, f.filters, f.comparison) if p)
    size, width = geo.FOOTER_PT, box.w * PT
    y = _lines(c, wrap(first, size, width)[:2], box.x * PT, _y(box.y), size, m.MUTED)
    page = f"{number} / {total}"
    label = "Reopen this view: "
    link_lines = wrap(slide.link, size, width - _width(label + page, size) - 20)
    c.setFont(REGULAR, size)
    c.setFillColor(HexColor(m.MUTED))
    c.drawString(box.x * PT, y - size, label)
    c.drawRightString((box.x + box.w) * PT, y - size, page)
    start = box.x * PT + _width(label, size)
    bottom = _lines(c, link_lines[:2], start, y, size, m.PIPELINE_BLUE)
    c.linkURL(slide.link, (start, bottom, (box.x + box.w) * PT - 40, y))


# --- charts ----------------------------------------------------------------------------------


def nice_step(span: float, ticks: int = 5) -> float:
    raw = span / ticks if span > 0 else 1.0
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def axis_text(value: float, unit: str) -> str:
    if unit == "share":
        return f"{value * 100:.0f} %"
    if unit in ("usd", "usd_per_day"):
        return fmt.money(value)
    return fmt.count(value)


class ChartDrawing:
    """One chart of the model in a box: value axis with ticks, categories, bars or a line,
    data labels, a legend when there are several series."""

    def __init__(self, c, chart: Chart, box: geo.Box):
        self.c, self.chart = c, chart
        self.x0, self.y0 = box.x * PT, _y(box.y + box.h)
        self.w, self.h = box.w * PT, box.h * PT
        self.low, self.high = geo.value_range(chart)
        self.horizontal = chart.kind == "bar"
        self.axis_pt = geo.AXIS_PT

    def draw(self) -> None:
        legend = self._legend() if len(self.chart.series) > 1 else 0
        names = self._category_lines()
        if self.horizontal:
            left = min(max(max(_width(n, self.axis_pt) for lines in names for n in lines) + 8,
                           40), self.w * 0.4)
            self.plot = (self.x0 + left, self.y0 + 16, self.w - left - 44,
                         self.h - legend - 22)
        else:
            rows = max(len(lines) for lines in names)
            bottom = 8 + rows * self.axis_pt * 1.2
            self.plot = (self.x0 + 44, self.y0 + bottom, self.w - 50, self.h - legend - bottom
                         - 14)
        self._grid()
        self._category_axis(names)
        if self.chart.kind == "line":
            self._line()
        elif self.chart.kind == "waterfall":
            self._waterfall()
        else:
            self._bars()

    def _legend(self) -> float:
        c, x, y = self.c, self.x0, self.y0 + self.h - geo.AXIS_PT
        c.setFont(REGULAR, geo.AXIS_PT)
        for series in self.chart.series:
            c.setFillColor(HexColor(series.colour))
            c.rect(x, y - 1, 9, 9, stroke=0, fill=1)
            c.setFillColor(HexColor(m.TEXT))
            c.drawString(x + 12, y, series.name)
            x += _width(series.name, geo.AXIS_PT) + 28
        return geo.AXIS_PT * 2

    def _category_lines(self) -> list[list[str]]:
        """Each category's name in lines (a waterfall's value under its step's name); the
        axis font shrinks until the longest word fits its band (words are never cut)."""
        chart, n = self.chart, max(len(self.chart.categories), 1)
        band = (self.w * 0.4) if self.horizontal else (self.w - 50) / n - 4
        rows = []
        for i, name in enumerate(chart.categories):
            words = name.split()
            extra = chart.labels[0][i].split(" · ") if chart.kind == "waterfall" else []
            rows.append((name, words + extra, extra))
        longest = max((w for _, words, _ in rows for w in words), key=len, default="")
        while self.axis_pt > 6.5 and _width(longest, self.axis_pt) > band:
            self.axis_pt -= 0.5
        out = []
        for name, _, extra in rows:
            lines = wrap(name, self.axis_pt, band)
            if self.horizontal and len(lines) > 1:
                lines = [lines[0] + "…"]
            lines = lines[:3]
            out.append(lines + extra)
        return out

    def _scale(self, value: float) -> float:
        """A value's distance along the value axis, in points from the plot's start."""
        length = self.plot[2] if self.horizontal else self.plot[3]
        clipped = min(max(value, self.low), self.high)
        return (clipped - self.low) / (self.high - self.low) * length

    def _grid(self) -> None:
        c, (px, py, pw, ph) = self.c, self.plot
        step = nice_step(self.high - self.low)
        tick = math.ceil(self.low / step) * step
        c.setFont(REGULAR, geo.AXIS_PT)
        c.setLineWidth(0.5)
        while tick <= self.high + 1e-9:
            at = self._scale(tick)
            c.setStrokeColor(HexColor(m.GRID))
            c.setFillColor(HexColor(m.MUTED))
            if self.horizontal:
                c.line(px + at, py, px + at, py + ph)
                c.drawCentredString(px + at, py - geo.AXIS_PT - 3, axis_text(tick, self.chart.unit))
            else:
                c.line(px, py + at, px + pw, py + at)
                c.drawRightString(px - 4, py + at - 3, axis_text(tick, self.chart.unit))
            tick += step

    def _band(self, i: int) -> tuple[float, float]:
        (px, py, pw, ph), n = self.plot, len(self.chart.categories)
        size = (ph if self.horizontal else pw) / n
        start = (py + ph - (i + 1) * size) if self.horizontal else px + i * size
        return start, size

    def _category_axis(self, names: list[list[str]]) -> None:
        c, (px, py, _, _) = self.c, self.plot
        c.setFont(REGULAR, self.axis_pt)
        c.setFillColor(HexColor(m.TEXT))
        for i, lines in enumerate(names):
            start, size = self._band(i)
            if self.horizontal:
                c.drawRightString(px - 6, start + size / 2 - 3, lines[0])
                continue
            for row, line in enumerate(lines):
                c.drawCentredString(start + size / 2, py - (row + 1) * self.axis_pt * 1.2, line)

    def _rect(self, start: float, thickness: float, v0: float, v1: float, colour: str) -> None:
        c, (px, py, _, _) = self.c, self.plot
        a, b = self._scale(v0), self._scale(v1)
        c.setFillColor(HexColor(colour))
        if self.horizontal:
            c.rect(px + min(a, b), start, abs(b - a), thickness, stroke=0, fill=1)
        else:
            c.rect(start, py + min(a, b), thickness, abs(b - a), stroke=0, fill=1)

    def _label(self, text: str, start: float, thickness: float, value: float) -> None:
        c, (px, py, _, _) = self.c, self.plot
        size = max(6.0, min(geo.LABEL_PT, thickness)) if self.horizontal else geo.LABEL_PT
        c.setFont(REGULAR, size)
        c.setFillColor(HexColor(m.TEXT))
        at = self._scale(value)
        if self.horizontal:
            c.drawString(px + at + 3, start + thickness / 2 - size * 0.35, text)
        else:
            c.drawCentredString(start + thickness / 2, py + at + 3, text)

    def _bars(self) -> None:
        chart, count = self.chart, len(self.chart.series)
        base = max(self.low, 0.0)
        for i in range(len(chart.categories)):
            start, size = self._band(i)
            thickness = size * 0.72 / count
            offset = start + size * 0.14
            order = list(range(count))[::-1] if self.horizontal else list(range(count))
            for slot, s in enumerate(order):
                series = chart.series[s]
                value = series.values[i]
                at = offset + slot * thickness
                colour = series.point_colours[i] if series.point_colours else series.colour
                if value is not None:
                    self._rect(at, thickness * 0.92, base, value, colour)
                label = chart.labels[s][i] if chart.labels else ""
                self._label(label, at, thickness * 0.92, value if value is not None else base)

    def _waterfall(self) -> None:
        bases, heights = geo.waterfall(self.chart)
        colours = self.chart.series[0].point_colours
        for i, (b, h) in enumerate(zip(bases, heights, strict=True)):
            start, size = self._band(i)
            colour = colours[i] if colours else self.chart.series[0].colour
            self._rect(start + size * 0.15, size * 0.7, b, b + h, colour)

    def _line(self) -> None:
        c, chart, py = self.c, self.chart, self.plot[1]
        for s, series in enumerate(chart.series):
            points = []
            for i, value in enumerate(series.values):
                if value is None:
                    continue
                start, size = self._band(i)
                points.append((start + size / 2, py + self._scale(value), i))
            c.setStrokeColor(HexColor(series.colour))
            c.setLineWidth(2.2)
            for (x1, y1, *_), (x2, y2, *_) in zip(points, points[1:], strict=False):
                c.line(x1, y1, x2, y2)
            c.setFillColor(HexColor(series.colour))
            for x, y, i in points:
                c.circle(x, y, 3, stroke=0, fill=1)
                if chart.labels:
                    c.setFont(REGULAR, geo.LABEL_PT)
                    c.setFillColor(HexColor(m.TEXT))
                    c.drawCentredString(x, y + 6, chart.labels[s][i])
                    c.setFillColor(HexColor(series.colour))
