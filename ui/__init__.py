"""Streamlit helpers shared by every page: the view, data access, header, KPIs, charts.

Pages import only `ui` (and gtm for the numbers); this package is the only place
that knows how the sidebar, caching and the house chart style work.

    import ui
    info = ui.dataset_info()
    ui.header("Net ARR", "Growth from customers, not from leads.", info)
    if ui.need_tables(info, ["arr"], "Net ARR"):
        now, before = ui.headlines(["net_new_arr", "nrr_12m"])
"""

from ui.charts import (
    ACCENT,
    CHART_CONFIG,
    GAIN_GREEN,
    LOSS_RED,
    MQL_GREY,
    PIPELINE_BLUE,
    chart,
    chart_text,
    money_axis,
    show,
    style,
    style_finding,
)
from ui.data_access import (
    cached,
    clear_caches,
    connection,
    dataset_info,
    headline,
    headlines,
    stage_names,
    version,
    view,
)
from ui.download import csv_download, deferred_csv, neutralise, safe_csv, table, text_download
from ui.filters import refresh_share_link, share_link
from ui.kpi import kpi, kpi_row
from ui.layout import (
    data_stamp,
    delta_caption,
    filter_summary,
    header,
    need_tables,
    partial_months,
    period_stamp,
)
from ui.state import current_filter, current_period, current_settings, previous_filter
from ui.text import esc

__all__ = [
    "ACCENT", "CHART_CONFIG", "GAIN_GREEN", "LOSS_RED", "MQL_GREY", "PIPELINE_BLUE", "cached",
    "chart", "chart_text", "clear_caches", "csv_download", "deferred_csv", "text_download",
    "connection", "current_filter", "current_period",
    "current_settings", "data_stamp", "dataset_info", "delta_caption", "esc", "filter_summary",
    "header", "headline", "headlines", "kpi", "kpi_row", "money_axis", "need_tables",
    "neutralise", "partial_months", "period_stamp", "previous_filter", "refresh_share_link", "safe_csv", "share_link", "show",
    "stage_names", "style", "style_finding", "table", "version", "view",
]
