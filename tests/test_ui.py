"""The pure rules behind the UI: periods, link checks, safe CSV, safe uploads, axes."""

import io
import zipfile
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from gtm import periods
from ui import charts, links, upload
from ui.download import neutralise, safe_csv
from ui.kpi import delta_color, delta_text


# --- periods ------------------------------------------------------------------------
def test_period_options_list_relative_then_quarters_then_months_newest_first():
    # data from 2025-02-10 to 2025-05-20: months Feb..May, quarters Q1 and Q2
    options = periods.options(date(2025, 2, 10), date(2025, 5, 20))
    assert options == ["Last 12 months", "Year to date", "Custom", "2025Q2", "2025Q1",
                       "2025-05", "2025-04", "2025-03", "2025-02"]


def test_default_period_is_last_complete_quarter():
    first = date(2024, 1, 1)
    assert periods.default_period(first, date(2025, 5, 20)) == "2025Q1"  # Q2 runs to Jun 30
    assert periods.default_period(first, date(2025, 6, 30)) == "2025Q2"  # Q2 just complete
    # no complete quarter with data before the as-of date: the current one
    assert periods.default_period(date(2025, 4, 2), date(2025, 5, 20)) == "2025Q2"


def test_period_ranges_are_clipped_to_as_of():
    as_of = date(2025, 5, 20)
    assert periods.period_range("2025Q2", as_of) == (date(2025, 4, 1), date(2025, 5, 20))
    assert periods.period_range("2025-02", as_of) == (date(2025, 2, 1), date(2025, 2, 28))
    assert periods.period_range("Year to date", as_of) == (date(2025, 1, 1), as_of)
    # 12 months back from May 20: May 21, 2024 .. May 20, 2025 (365 days)
    assert periods.period_range("Last 12 months", as_of) == (date(2024, 5, 21), as_of)


def test_previous_period_of_calendar_periods():
    # a complete quarter compares with the whole previous quarter (90 vs 92 days)
    assert periods.previous_range("2025Q1", date(2025, 1, 1), date(2025, 3, 31)) == (
        date(2024, 10, 1), date(2024, 12, 31))
    # a complete February compares with all of January
    assert periods.previous_range("2025-02", date(2025, 2, 1), date(2025, 2, 28)) == (
        date(2025, 1, 1), date(2025, 1, 31))
    # a quarter cut at the as-of date (Apr 1..May 20 = day 50) compares with Jan 1..Feb 19
    assert periods.previous_range("2025Q2", date(2025, 4, 1), date(2025, 5, 20)) == (
        date(2025, 1, 1), date(2025, 2, 19))
    assert periods.previous_range("Year to date", date(2025, 1, 1), date(2025, 5, 20)) == (
        date(2024, 1, 1), date(2024, 5, 20))
    # custom: the same number of days just before (10 days)
    assert periods.previous_range("Custom", date(2025, 3, 11), date(2025, 3, 20)) == (
        date(2025, 3, 1), date(2025, 3, 10))


# --- link checks ----------------------------------------------------------------------
SPECS = [
    links.Param("period", "choice", ("2025Q1", "2025Q2"), unknown="not a period with data"),
    links.Param("region", "multi", ("NA", "EMEA")),
    links.Param("start", "date", low=date(2025, 1, 1), high=date(2025, 6, 30)),
    links.Param("group", "int", low=1, high=50),
    links.Param("margin", "float", low=0.05, high=1.0),
]


def test_valid_link_values_give_no_notice():
    raw = {"period": ["2025Q2"], "region": ["NA", "EMEA"], "start": ["2025-03-01"],
           "group": ["9"], "margin": ["0.6"]}
    assert links.notices(raw, SPECS) == []


def test_each_bad_link_value_gets_one_sentence():
    raw = {"period": ["2031Q9"], "region": ["NA", "Mars"], "start": ["2024-12-31"],
           "group": ["7.5"], "margin": ["nan"]}
    assert links.notices(raw, SPECS) == [
        "Ignored period=2031Q9 from the link: not a period with data; using the default instead.",
        "Ignored region=Mars from the link: not in the data.",
        "Ignored start=2024-12-31 from the link: outside the data (2025-01-01 to 2025-06-30); "
        "using the default instead.",
        "Ignored group=7.5 from the link: not a whole number; using the default instead.",
        "Ignored margin=nan from the link: outside 0.05 to 1; using the default instead.",
    ]


def test_link_query_drops_defaults_and_repeats_lists():
    values = {"period": "2025Q1", "region": ["NA", "EMEA"], "motion": "All", "margin": 0.8,
              "start": date(2025, 1, 2)}
    defaults = {"period": "2025Q2", "motion": "All", "margin": 0.8}
    assert links.link_query(values, defaults) == [
        ("period", "2025Q1"), ("region", "NA"), ("region", "EMEA"), ("start", "2025-01-02")]


# --- downloads ------------------------------------------------------------------------
def test_formula_like_cells_are_neutralised():
    for text in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Acme = good") == "Acme = good"
    assert neutralise(-5) == -5


def test_safe_csv_quotes_text_cells_and_headers_but_not_numbers():
    df = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "Acme"], "amount": [-5, 10],
                       "=bad": ["ok", "@x"]})
    lines = safe_csv(df).decode().splitlines()
    assert lines[0] == "name,amount,'=bad"
    assert lines[1] == "\"'=HYPERLINK(\"\"http://x\"\")\",-5,ok"
    assert lines[2] == "Acme,10,'@x"


# --- uploads --------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_plain_files_and_zip_members_are_staged(tmp_path):
    data = _zip({"people.csv": b"a\n", "__MACOSX/._people.csv": b"junk"})
    assert upload.stage([("opportunities.parquet", b"x"), ("extract.zip", data)], tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["opportunities.parquet", "people.csv"]


def test_zip_members_that_climb_out_are_refused_and_nothing_is_written(tmp_path):
    target = tmp_path / "stage"
    target.mkdir()
    data = _zip({"people.csv": b"a\n", "../../evil.csv": b"x", "sub/opportunities.csv": b"y",
                 "notes.txt": b"z"})
    problems = upload.stage([("extract.zip", data)], target)
    assert len(problems) == 3
    assert "'../../evil.csv' is not a plain file name" in problems[0]
    assert "'sub/opportunities.csv' is not a plain file name" in problems[1]
    assert "'notes.txt' is not a CSV, XLSX or Parquet file" in problems[2]
    assert list(target.iterdir()) == []
    assert not (tmp_path / "evil.csv").exists()


def test_bad_uploads_are_named(tmp_path):
    assert upload.stage([("people.txt", b"x")], tmp_path) == [
        "'people.txt' is not a CSV, XLSX or Parquet file"]
    assert upload.stage([("extract.zip", b"not a zip")], tmp_path) == [
        "'extract.zip' is not a readable zip file"]
    assert upload.stage([], tmp_path) == ["no CSV, XLSX or Parquet file was uploaded"]


# --- charts and deltas --------------------------------------------------------------------
def test_money_axis_reads_dollars_and_billions_as_b():
    small = charts.style(go.Figure(go.Bar(x=["a"], y=[1_200_000])), "t", "2025-06-30", money="y")
    assert (small.layout.yaxis.tickprefix, small.layout.yaxis.tickformat) == ("$", "~s")
    big = charts.style(go.Figure(go.Bar(x=["a", "b"], y=[1.5e9, 2e8])), "t", None, money="y")
    assert "$1.5B" in big.layout.yaxis.ticktext and "G" not in "".join(big.layout.yaxis.ticktext)


def test_every_chart_states_its_date_stamp_and_finding():
    # metrics.md v2: every stamp says which date it shows
    from gtm.filters import Filter
    from ui.layout import data_stamp, period_stamp

    stamp = period_stamp(Filter(date(2025, 4, 1), date(2025, 6, 30)))
    fig = charts.style(go.Figure(go.Scatter(x=[1], y=[2])), "MQLs doubled, pipeline fell", stamp)
    assert fig.layout.title.text == "MQLs doubled, pipeline fell"
    assert [a.text for a in fig.layout.annotations] == ["period ending 2025-06-30"]
    assert data_stamp({"data_as_of": date(2025, 7, 4)}) == "data as of 2025-07-04"


def test_no_earlier_data_is_said_not_a_delta():
    from ui.kpi import NO_EARLIER, NO_EARLIER_DATA, delta_color

    assert delta_text("new_customers", 665, NO_EARLIER) == NO_EARLIER_DATA == "no earlier data"
    assert delta_color("new_customers", NO_EARLIER_DATA) == "off"  # grey, never green


def test_deltas_are_in_the_metric_unit():
    assert delta_text("qualified_pipeline", 1_500_000, 1_000_000) == "+$500K"
    assert delta_text("qualified_win_rate", 0.30, 0.25) == "+5.0 pts"
    assert delta_text("new_customers", 8, 10) == "-2"
    assert delta_text("cac", None, 10) is None
    assert delta_text("new_customers", 10, 10) == "no change"
    # changes that round to nothing as shown read "no change", not "-0.00x" or "+0 days"
    assert delta_text("ltv_to_cac", 3.001, 3.003) == "no change"
    assert delta_text("stage0_days_median", 12.2, 12.0) == "no change"
    assert delta_text("stage0_days_median", 14, 12) == "+2 days"


def test_crm_text_is_inert_in_markdown():
    from ui.layout import esc

    assert esc("[win](https://x.io) <b>*big*</b> $x$") == \
        r"\[win\](https\://x.io) \<b\>\*big\*\</b\> \$x\$"
    assert esc("Acme (EMEA) 2025-01") == "Acme (EMEA) 2025-01"


def test_unchanged_kpis_are_grey_and_moves_are_coloured_by_direction():
    assert delta_color("cac", "no change") == "off"
    assert delta_color("cac", "+$5K") == "inverse"  # CAC up is bad: shown red
    assert delta_color("qualified_pipeline", "+$5K") == "normal"
    assert delta_color("marketing_spend", "+$5K") == "off"  # spend is neither good nor bad


# --- figures built once, headline values read strictly --------------------------------
def test_a_chart_is_built_once_per_dataset_version_and_data(monkeypatch):
    import streamlit as st

    from ui import data_access

    built, shown = [], []

    def builder(df, as_of):
        built.append(len(df))
        return go.Figure(go.Bar(x=df["x"], y=df["y"]))

    monkeypatch.setattr(charts, "show", lambda fig, key=None: shown.append(fig))
    monkeypatch.setattr(data_access, "version", lambda: "v1")
    st.cache_resource.clear()
    small = pd.DataFrame({"x": ["a"], "y": [1]})
    charts.chart(builder, small, "2025-03-31")
    charts.chart(builder, small.copy(), "2025-03-31")  # equal data: the same figure
    assert built == [1] and shown[0] is shown[1]
    charts.chart(builder, pd.DataFrame({"x": ["a", "b"], "y": [1, 2]}), "2025-03-31")
    monkeypatch.setattr(data_access, "version", lambda: "v2")  # a new load
    charts.chart(builder, small, "2025-03-31")
    assert built == [1, 2, 1]
    st.cache_resource.clear()


def test_a_headline_id_the_page_did_not_ask_for_fails_loudly():
    import pytest

    from ui.data_access import Headline

    values = Headline({"cac": 1200.0, "cpl": None})
    assert values.get("cpl") is None and values["cac"] == 1200.0
    with pytest.raises(KeyError, match="nrr_12m"):
        values.get("nrr_12m")


def test_link_dates_are_clamped_to_the_data_never_swapped():
    low, high = date(2018, 6, 1), date(2018, 11, 14)
    values, said = links.clamp_dates("2018-01-01", "2018-05-31", low, high)
    # start before the data -> its first day; the end (also before it) -> the first day too
    assert values == {"start": low, "end": low}
    assert said[0] == ("The link's start=2018-01-01 is before the data's first day: the period "
                       "starts on 2018-06-01.")
    assert len(said) == 2
    values, said = links.clamp_dates("2018-09-01", "2018-07-01", low, high)
    assert values == {"start": date(2018, 9, 1), "end": date(2018, 9, 1)}  # not swapped
    assert "single day 2018-09-01" in said[0]
    assert links.clamp_dates("2018-07-01", "not a date", low, high) == (
        {"start": date(2018, 7, 1)}, [])
