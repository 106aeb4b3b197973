"""One look for every chart: the MQL lens muted, the pipeline lens strong.

Charts get pasted into board decks, so each one carries its own finding as the
title, an "as of" date and money axes that read $1.2M; the PNG export in the mode
bar is on. Pages write one builder function per chart (data in, styled figure out) and
draw it with chart(builder, *data), which builds it once per dataset version and data.
"""

from __future__ import annotations

import html
import textwrap
from numbers import Real as numbers_Real

import plotly.graph_objects as go
import streamlit as st

from gtm import fmt
from ui import data_access

MQL_GREY = "#9AA5B1"  # the legacy MQL lens: present but quiet
PIPELINE_BLUE = "#1F4E79"  # the pipeline lens: what we manage to
ACCENT = "#F28C28"  # one highlight per chart
GAIN_GREEN = "#2E7D4F"  # ARR gained (new, expansion, reactivation)
LOSS_RED = "#C0392B"  # ARR lost (contraction, churn)
GRID = "#E5E8EC"
TEXT = "#1F2933"
SEQUENCE = (PIPELINE_BLUE, ACCENT, "#5B8DB8", "#7A9E3B", "#B5497A", MQL_GREY, "#3E6B48")
FONT = "Inter, 'Source Sans Pro', 'Helvetica Neue', Arial, sans-serif"

CHART_CONFIG = {
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "scale": 2},
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}


def _layout() -> dict:
    return {
        "font": {"family": FONT, "color": TEXT, "size": 13},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(SEQUENCE),
        "margin": {"l": 10, "r": 10, "t": 60, "b": 50},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "xanchor": "left", "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
        "xaxis": {"showgrid": False, "linecolor": GRID, "ticks": "", "automargin": True},
        "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True},
    }


# The house look as a Plotly template, validated once: a template's xaxis and yaxis apply
# to every axis (subplots too), and setting one template costs a fraction of setting each
# property on each figure (26 ms of Plotly validation per chart before; a slider move
# redraws two charts).
HOUSE = go.layout.Template(layout=_layout())


def money_axis(fig: go.Figure, axis: str = "y") -> None:
    """Ticks as $1.2M on the given axis ('x' or 'y'); billions read B, never G."""
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(tickprefix="$", tickformat="~s")
    top = _max_abs(fig, axis)
    if top >= 1e9:  # d3's SI format would say G: name the ticks ourselves
        values = _nice_ticks(top)
        update(tickvals=values, ticktext=[fmt.money(v) for v in values], tickprefix="")


def _max_abs(fig: go.Figure, axis: str) -> float:
    """Largest absolute value on an axis (stacked bars add up)."""
    tops = []
    for trace in fig.data:
        values = getattr(trace, axis, None)
        values = [] if values is None else list(values)
        numbers = [abs(float(v)) for v in values
                   if isinstance(v, numbers_Real) and not fmt.is_missing(float(v))]
        tops.append(max(numbers, default=0.0))
    return sum(tops) if fig.layout.barmode in ("stack", "relative") else max(tops, default=0.0)


def _nice_ticks(top: float, count: int = 5) -> list[float]:
    raw = top / count
    magnitude = 10 ** (len(str(int(raw))) - 1)
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return [step * i for i in range(int(top // step) + 2)]


def chart_text(value) -> str:
    """Text from the data (a channel, stage, account, segment, reason) made inert for
    Plotly, which draws <a href>, <b>, <span style> ... as HTML in every label, tick,
    title, hover and annotation: &, < and > become entities, which Plotly shows as the
    characters themselves. Every data-derived string of a figure goes through here (and
    never into a hovertemplate, where %{...} is a placeholder: pass it as text/customdata)."""
    return html.escape(str(value), quote=False)


def wrap_title(title: str, width: int | None) -> str:
    """The finding as Plotly title markup: escaped (CRM names in it must not become
    markup) and, as Plotly titles never wrap, broken into lines of about `width` chars."""
    lines = [title]
    if width and len(title) > width:
        lines = textwrap.wrap(title, width, break_long_words=False)
    return "<br>".join(chart_text(line) for line in lines)


def style(fig: go.Figure, title: str, stamp: str | None, *,
          money: str | tuple[str, ...] = (), height: int = 380,
          wrap: int | None = None) -> go.Figure:
    """Apply the house theme: finding as title, the date stamp, money axes.

    stamp: which date the numbers are at, in words ("period ending 2026-09-30", "data as of
    2026-10-31": ui.period_stamp / ui.data_stamp); wrap: break the title into lines of about
    that many characters (narrow charts)."""
    text = wrap_title(title, wrap)
    lines = text.count("<br>")
    title = {"text": text, "x": 0, "xanchor": "left", "font": {"size": 16, "color": TEXT}}
    if lines:  # Plotly centres a title in the top margin: pin a wrapped one to the top
        title.update(y=1, yref="container", yanchor="top", pad={"t": 14})
    fig.update_layout(template=HOUSE, height=height + 26 * lines, title=title,
                      margin={"l": 10, "r": 10, "t": 60 + 26 * lines, "b": 50})
    for axis in (money,) if isinstance(money, str) else money:
        money_axis(fig, axis)
    if stamp is not None:
        fig.add_annotation(text=html.escape(stamp), xref="paper", yref="paper", x=1, y=-0.02,
                           xanchor="right", yanchor="top", yshift=-28, showarrow=False,
                           font={"size": 11, "color": MQL_GREY})
    return fig


def style_finding(fig: go.Figure, finding: str, stamp, *, width: int = 62, height: int = 400,
                  **kwargs) -> go.Figure:
    """style() for a half-width chart: the finding wrapped, and room for a legend under it."""
    style(fig, finding, stamp, height=height, wrap=width, **kwargs)
    shown = [t for t in fig.data if t.showlegend is not False]
    legend = 26 if fig.layout.showlegend is not False and len(shown) > 1 else 0
    lines = fig.layout.title.text.count("<br>")
    return fig.update_layout(margin_t=44 + 20 * lines + legend,
                             title={"y": 1, "yref": "container", "yanchor": "top",
                                    "pad": {"t": 14}})


@st.cache_resource(max_entries=256, show_spinner=False)
def _built(version: str | None, name: str, _builder, args: tuple, kwargs: dict) -> go.Figure:
    return _builder(*args, **kwargs)


def chart(builder, *args, key: str | None = None, **kwargs) -> None:
    """show(builder(*args, **kwargs)), the figure built once per dataset version and
    arguments: building and styling a Plotly figure costs 30-80 ms, most of a warm rerun.

    builder must depend on its arguments only (no widget or session state inside). The
    cached figure is shared by every session and never changed after it is built:
    st.plotly_chart only reads it (to_dict copies it)."""
    code = builder.__code__
    name = f"{code.co_filename}:{builder.__qualname__}"
    show(_built(data_access.version(), name, builder, args, kwargs), key=key)


def show(fig: go.Figure, key: str | None = None) -> None:
    """st.plotly_chart with the house config (PNG export at 2x, no Plotly logo)."""
    st.plotly_chart(fig, key=key, theme=None, config=CHART_CONFIG)
