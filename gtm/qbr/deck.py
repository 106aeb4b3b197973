"""The pack as PowerPoint: native charts (python-pptx) a user can restyle in the deck.

Draws a gtm.qbr.model.Deck at the positions of gtm/qbr/layout.py. Charts are real chart
objects with their data in the embedded workbook (bar, column, line; a waterfall is a stacked
column over an invisible base), data labels as the app formats them. Shape names say what a
shape holds ("tile:cac", "chart:arr.bridge", "footer") so tests and scripts can find them.
CRM text goes in as plain text runs: PowerPoint does not interpret it.
"""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR, PP_ALIGN
from pptx.util import Inches, Pt

from gtm.qbr import layout as geo
from gtm.qbr import model as m
from gtm.qbr.model import Chart, Deck, Slide, Tile

KINDS = {"column": XL_CHART_TYPE.COLUMN_CLUSTERED, "bar": XL_CHART_TYPE.BAR_CLUSTERED,
         "line": XL_CHART_TYPE.LINE_MARKERS, "waterfall": XL_CHART_TYPE.COLUMN_STACKED}


def render(deck: Deck) -> bytes:
    """The .pptx file of the deck."""
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(geo.WIDTH), Inches(geo.HEIGHT)
    prs.core_properties.title = f"{deck.title}: {deck.subtitle}"
    for number, slide in enumerate(deck.slides, 1):
        page = prs.slides.add_slide(prs.slide_layouts[6])  # blank
        (_title_slide if slide.kind == "title" else _slide)(page, slide, deck)
        _footer(page, deck, slide, number, len(deck.slides))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def _rgb(colour: str) -> RGBColor:
    return RGBColor.from_string(colour.lstrip("#").upper())


def _text(page, box: geo.Box, paragraphs, name: str = "", anchor=MSO_ANCHOR.TOP,
          spacing: float = 0):
    """A text box of paragraphs [(runs, size)], each run (text, bold, colour, link);
    spacing: points after each paragraph."""
    shape = page.shapes.add_textbox(*(Inches(v) for v in (box.x, box.y, box.w, box.h)))
    shape.name = name or shape.name
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = anchor
    frame.margin_left = frame.margin_right = Inches(0.04)
    for i, (runs, size) in enumerate(paragraphs):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.space_after = Pt(spacing)
        for text, bold, colour, link in runs:
            run = para.add_run()
            run.text = text
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = _rgb(colour)
            if link:
                run.hyperlink.address = link
    return shape


def _run(text: str, bold: bool = False, colour: str = m.TEXT, link: str | None = None):
    return (text, bold, colour, link)


def _title_slide(page, slide: Slide, deck: Deck) -> None:
    _text(page, geo.Box(geo.MARGIN, 1.6, geo.INNER, 1.0), [([_run(deck.title, True)], 40)],
          "title")
    _text(page, geo.Box(geo.MARGIN, 2.6, geo.INNER, 0.6),
          [([_run(deck.subtitle, colour=m.PIPELINE_BLUE)], 24)], "subtitle")
    lines = [([_run(line)], 16) for line in slide.lines]
    lines.append(([_run("Reopen this view in Targetline: ", colour=m.MUTED),
                   _run(slide.link, colour=m.PIPELINE_BLUE, link=slide.link)], 14))
    _text(page, geo.Box(geo.MARGIN, 3.5, geo.INNER, 3.0), lines, "lines")


def _slide(page, slide: Slide, deck: Deck) -> None:
    boxes = geo.layout(slide)
    _text(page, boxes.title, [([_run(slide.title, True)], geo.TITLE_PT)], "title")
    if slide.finding:
        _text(page, boxes.finding, [([_run(slide.finding, colour=m.PIPELINE_BLUE)],
                                     geo.FINDING_PT)], "finding")
    for tile, box in zip(slide.tiles, boxes.tiles, strict=True):
        _tile(page, tile, box)
    for chart, box in zip(slide.charts, boxes.charts, strict=True):
        _chart(page, chart, box)
    if boxes.lines is not None:
        size = 11 if slide.kind == "glossary" else geo.LINE_PT
        terms = slide.kind in ("overview", "glossary")
        _text(page, boxes.lines, [(_bullet(line, terms), size) for line in slide.lines],
              "lines", spacing=size * 0.45)
    if slide.kind == "missing":
        _missing(page, slide)


def _bullet(line: str, terms: bool) -> list:
    """'• term: text' with the term in bold (overview findings, glossary entries)."""
    term, sep, rest = line.partition(": ")
    if not (terms and sep):
        return [_run("• " + line)]
    return [_run("• "), _run(term + ":", True), _run(" " + rest)]


def _missing(page, slide: Slide) -> None:
    shape = page.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Inches(geo.MARGIN), Inches(2.2),
                                  Inches(geo.INNER), Inches(1.6))
    shape.name = "missing"
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(m.TILE_FILL)
    shape.line.color.rgb = _rgb(m.TILE_LINE)
    frame = shape.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = "Nothing to show for this view yet: this page lights up once its data is loaded."
    run.font.size, run.font.color.rgb = Pt(16), _rgb(m.MUTED)


def _tile(page, tile: Tile, box: geo.Box) -> None:
    shape = page.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE,
                                  *(Inches(v) for v in (box.x, box.y, box.w, box.h)))
    shape.name = f"tile:{tile.metric_id or tile.label}"
    shape.adjustments[0] = 0.08
    shape.fill.solid()
    shape.fill.fore_color.rgb = _rgb(m.TILE_FILL)
    shape.line.color.rgb = _rgb(m.TILE_LINE)
    frame = shape.text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    frame.margin_left = frame.margin_right = Inches(0.1)
    frame.margin_top = Inches(0.06)
    # the value on one line: a long one ("51.1 months") in a smaller size
    room = (box.w - 0.2) * 72 / (0.72 * max(len(tile.text), 1))
    rows = [(tile.label, geo.TILE_LABEL_PT, False, m.MUTED),
            (tile.text, max(10, min(geo.TILE_VALUE_PT, int(room))), True, m.TEXT)]
    low = tile.delta or tile.note
    if low:
        colour = m.MUTED if tile.good is None else (m.GAIN_GREEN if tile.good else m.LOSS_RED)
        rows.append((low, geo.TILE_NOTE_PT, False, colour))
    for i, (text, size, bold, colour) in enumerate(rows):
        para = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        para.alignment = PP_ALIGN.LEFT
        run = para.add_run()
        run.text = text
        run.font.size, run.font.bold, run.font.color.rgb = Pt(size), bold, _rgb(colour)


def _chart(page, chart: Chart, boxes: geo.ChartBoxes) -> None:
    _text(page, boxes.title, [([_run(chart.title, True)], geo.CHART_TITLE_PT)],
          f"chart-title:{chart.id}")
    data, bar = _chart_data(chart), chart.kind == "bar"
    plot = boxes.plot
    frame = page.shapes.add_chart(KINDS[chart.kind],
                                  *(Inches(v) for v in (plot.x, plot.y, plot.w, plot.h)), data)
    frame.name = f"chart:{chart.id}"
    native = frame.chart
    native.has_title = False  # the finding above is the title
    _style_axes(native, chart)
    _style_series(native, chart, bar)
    visible = [s for s in chart.series]
    native.has_legend = len(visible) > 1 and chart.kind != "waterfall"
    if native.has_legend:
        native.legend.position = XL_LEGEND_POSITION.TOP
        native.legend.include_in_layout = False
        native.legend.font.size = Pt(geo.AXIS_PT)
    if chart.note:
        _text(page, boxes.note, [([_run(chart.note, colour=m.MUTED)], geo.CHART_NOTE_PT)],
              f"chart-note:{chart.id}")


def _categories(chart: Chart) -> list[str]:
    """Category names; a waterfall's carry their value (no label fits inside a thin step)."""
    if chart.kind == "waterfall":
        return [f"{c}\n{label}" for c, label in zip(chart.categories, chart.labels[0],
                                                     strict=True)]
    return list(chart.categories)


def _chart_data(chart: Chart) -> CategoryChartData:
    data = CategoryChartData()
    reverse = chart.kind == "bar"  # PowerPoint draws a bar chart's first category at the bottom
    order = list(range(len(chart.categories)))[::-1] if reverse else list(
        range(len(chart.categories)))
    cats = _categories(chart)
    data.categories = [cats[i] for i in order]
    if chart.kind == "waterfall":
        bases, heights = geo.waterfall(chart)
        data.add_series("(base)", bases)
        data.add_series(chart.series[0].name, heights)
        return data
    for series in chart.series:
        data.add_series(series.name, [series.values[i] for i in order])
    return data


def _axis_format(chart: Chart) -> str:
    top = geo.value_range(chart)[1]
    if chart.unit == "share":
        return "0%"
    if chart.unit in ("usd", "usd_per_day"):
        if top >= 1e6:
            return '"$"#,##0.0,,"M"'
        return '"$"#,##0,"K"' if top >= 1e4 else '"$"#,##0'
    return "#,##0"


def _style_axes(native, chart: Chart) -> None:
    low, high = geo.value_range(chart)
    value_axis = native.value_axis
    value_axis.minimum_scale, value_axis.maximum_scale = low, high
    value_axis.has_major_gridlines = True
    value_axis.major_gridlines.format.line.color.rgb = _rgb(m.GRID)
    value_axis.format.line.fill.background()
    value_axis.tick_labels.number_format = _axis_format(chart)
    value_axis.tick_labels.number_format_is_linked = False
    value_axis.tick_labels.font.size = Pt(geo.AXIS_PT)
    category_axis = native.category_axis
    category_axis.tick_labels.font.size = Pt(geo.AXIS_PT)
    category_axis.format.line.color.rgb = _rgb(m.GRID)
    category_axis.has_major_gridlines = False


def _style_series(native, chart: Chart, reverse: bool) -> None:
    plot = native.plots[0]
    if chart.kind != "line":
        plot.gap_width = 60
        plot.overlap = 100 if chart.kind == "waterfall" else -10
    shown = list(plot.series)
    if chart.kind == "waterfall":
        shown[0].format.fill.background()  # the invisible base
        shown[0].format.line.fill.background()
        shown = shown[1:]
    n = len(chart.categories)
    for series, spec, labels in zip(shown, chart.series, chart.labels or [()] * len(shown),
                                    strict=True):
        _colour(series, spec.colour, chart.kind)
        for i, colour in enumerate(spec.point_colours):
            point = series.points[n - 1 - i if reverse else i]
            point.format.fill.solid()
            point.format.fill.fore_color.rgb = _rgb(colour)
        if chart.kind != "waterfall":
            _labels(series, labels, chart.kind, reverse, n)


def _colour(series, colour: str, kind: str) -> None:
    if kind == "line":
        series.format.line.color.rgb = _rgb(colour)
        series.format.line.width = Pt(2.5)
        series.marker.format.fill.solid()
        series.marker.format.fill.fore_color.rgb = _rgb(colour)
        series.smooth = False
        return
    series.format.fill.solid()
    series.format.fill.fore_color.rgb = _rgb(colour)
    series.invert_if_negative = False


def _labels(series, labels, kind: str, reverse: bool, n: int) -> None:
    """Each point's data label as the app writes it ($1.6M, 33.3 %, n/a)."""
    position = XL_LABEL_POSITION.ABOVE if kind == "line" else XL_LABEL_POSITION.OUTSIDE_END
    for i, text in enumerate(labels):
        label = series.points[n - 1 - i if reverse else i].data_label
        label.position = position
        frame = label.text_frame
        frame.text = text
        frame.paragraphs[0].runs[0].font.size = Pt(geo.LABEL_PT)
        frame.paragraphs[0].runs[0].font.color.rgb = _rgb(m.TEXT)


def _footer(page, deck: Deck, slide: Slide, number: int, total: int) -> None:
    f = deck.footer
    first = " · ".join(p for p in (f.period, f.as_of, f.filters, f.comparison) if p)
    _text(page, geo.layout(slide).footer,
          [([_run(first, colour=m.MUTED)], geo.FOOTER_PT),
           ([_run("Reopen this view: ", colour=m.MUTED),
             _run(slide.link, colour=m.PIPELINE_BLUE, link=slide.link),
             _run(f"   ·   {number} / {total}", colour=m.MUTED)], geo.FOOTER_PT)],
          "footer", MSO_ANCHOR.BOTTOM)
