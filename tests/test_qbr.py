"""The QBR pack (`python -m gtm qbr`, gtm/qbr): every number on every slide is the number
`python -m gtm report` prints for the same view, every chart is the page's breakdown, and
the PDF has one page per slide with the same text.

Two datasets: the 150-account demo company (tests/conftest.py app_db) and a people-only
extract written here (7 people, one closed deal from 2025 because this loader still requires
opportunities.csv; no accounts, touches, spend, arr or signups). Its Q3 2026 by hand:
leads P1-P4 = 4, MQLs P1, P2, P4 = 3; Q2: leads P5, P6 = 2, MQLs P5 = 1; as of 2026-10-15.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from pptx import Presentation

from gtm import fmt, links, pages
from gtm.filters import Filter, Settings
from gtm.load import store
from gtm.load.loader import load
from gtm.metrics import (
    arr,
    cost,
    dataset_info,
    funnel,
    groups,
    market,
    registry,
    run,
    targets,
    velocity,
)
from gtm.metrics.growth_inputs import historical
from gtm.narrative import accounts as fa
from gtm.narrative import findings
from gtm.narrative import funnel as find
from gtm.plan import growth
from gtm.qbr import View, build
from gtm.qbr import pdf as pdf_renderer

ROOT = Path(__file__).resolve().parent.parent
Q3 = ("2026-07-01", "2026-09-30")
Q2 = ("2026-04-01", "2026-06-30")
HOSTILE = "<b>Bold</b> & Co"
PEOPLE = f"""person_id,account_id,created_date,channel,title,buying_role,mql_date,disqualified_date,disqualified_reason
P1,,2026-07-05,paid_search,VP Marketing,champion,2026-07-10,,
P2,,2026-07-20,"{HOSTILE}",CFO,economic_buyer,2026-08-01,,
P3,,2026-08-15,paid_search,Analyst,user,,,
P4,,2026-09-02,events,CTO,technical_evaluator,2026-09-05,,
P5,,2026-04-10,events,Engineer,user,2026-04-12,,
P6,,2026-05-01,paid_search,Buyer,procurement,,,
P7,,2026-10-15,events,Engineer,user,,,
"""
ONE_DEAL = """opportunity_id,account_id,created_date,type,stage,amount,close_date,is_closed,is_won,channel,source_person_id,qualified_date,lost_reason
O1,A1,2025-01-10,new_business,Discovery,1000,2025-03-31,true,false,events,P5,,No decision
"""


def gtm_cli(*args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([sys.executable, "-m", "gtm", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


def report(db: Path, start: str, end: str) -> dict:
    """`python -m gtm report` for the whole view: metric id -> value."""
    return json.loads(gtm_cli("report", "--db", str(db), "--start", start, "--end", end).stdout)


@pytest.fixture(scope="module")
def people_db(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("people_only")
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "opportunities.csv").write_text(ONE_DEAL)
    db = folder / "db" / "targetline.duckdb"
    result = load(folder, db)
    assert result.ok, [str(e) for e in result.errors]
    return db


EMEA_Q3 = Filter(date(2026, 7, 1), date(2026, 9, 30), regions=("EMEA",))


@pytest.fixture(scope="module")
def demo_con(app_db):
    """A read-only connection to the demo, closed with the module."""
    with contextlib.closing(store.connect(app_db)) as con:
        yield con


@pytest.fixture(scope="module")
def goal(demo_con) -> int:
    """A revenue goal the growth slider takes (half its range) for the demo's EMEA Q3."""
    spec = growth.sliders(run(demo_con, historical, EMEA_Q3, Settings()))["revenue_goal"]
    return int(spec.high // 2)


@pytest.fixture(scope="module")
def demo_pack(app_db, goal, tmp_path_factory):
    """The demo's Q3 2026 pack (EMEA, a growth goal) written by the real command, with the
    report of the period and of the one before."""
    out = tmp_path_factory.mktemp("qbr_demo")
    for suffix in ("pptx", "pdf"):
        gtm_cli("qbr", "--db", str(app_db), "--start", Q3[0], "--end", Q3[1], "--out",
                str(out / f"review.{suffix}"), "--goal", str(goal), "--region", "EMEA")
    return out, report_with_region(app_db, Q3), report_with_region(app_db, Q2)


@pytest.fixture(scope="module")
def prs(demo_pack):
    """The demo pack's deck, opened with python-pptx."""
    return Presentation(demo_pack[0] / "review.pptx")


def report_with_region(db: Path, span: tuple[str, str]) -> dict:
    return json.loads(gtm_cli("report", "--db", str(db), "--start", span[0], "--end", span[1],
                              "--region", "EMEA").stdout)


def shapes(slide, prefix: str) -> dict:
    return {s.name.split(":", 1)[1]: s for s in slide.shapes if s.name.startswith(prefix)}


def tile_lines(shape) -> list[str]:
    return [p.text for p in shape.text_frame.paragraphs]


def check_tiles(prs, now: dict, before: dict) -> int:
    """Every registry tile shows the report's value, formatted, and its delta; returns how
    many tiles were checked."""
    checked = 0
    for slide in prs.slides:
        for metric_id, shape in shapes(slide, "tile:").items():
            if metric_id not in registry.METRICS:
                continue
            metric, lines = registry.get(metric_id), tile_lines(shape)
            assert lines[0] == metric.label
            assert lines[1] == metric.format(now[metric_id]), metric_id
            delta = registry.delta_text(metric_id, now[metric_id], before[metric_id])
            if delta is not None:
                assert lines[2] == delta, metric_id
            checked += 1
    return checked


def chart_values(shape) -> list[list[float | None]]:
    """The numbers of a native chart, as the embedded data holds them (categories in the
    model's order: a bar chart is stored bottom-up)."""
    chart = shape.chart
    series = [list(s.values) for s in chart.plots[0].series]
    if chart.chart_type == 57:  # BAR_CLUSTERED
        series = [s[::-1] for s in series]
    return series


def labels(shape, index: int = 0) -> list[str]:
    series = shape.chart.plots[0].series[index]
    texts = [series.points[i].data_label.text_frame.text for i in range(len(series.values))]
    return texts[::-1] if shape.chart.chart_type == 57 else texts


def same(values, expected) -> bool:
    def norm(v):
        return None if v is None or fmt.is_missing(v) else pytest.approx(float(v), rel=1e-9)
    return [None if fmt.is_missing(v) else float(v) for v in values] == [norm(v) for v in expected]


# --- the demo -----------------------------------------------------------------------------


def test_every_tile_of_the_demo_pack_is_the_report(demo_pack):
    out, now, before = demo_pack
    prs = Presentation(out / "review.pptx")
    titles = [_title(s) for s in prs.slides]
    assert titles[1] == "Overview" and titles[-1].startswith("Glossary")
    assert [t for t in titles if t in {p.title for p in pages.ANALYTIC}] == \
        [p.title for p in pages.ANALYTIC]
    # Overview 5 + MQLs 6 + activation 1 + targets 4 + cost 7 + groups 3 + Net ARR 8 +
    # velocity 6 + market 2
    assert check_tiles(prs, now, before) == 42


def _title(slide) -> str:
    return next(s for s in slide.shapes if s.name == "title").text_frame.text


def _slide(prs, title: str):
    return next(s for s in prs.slides if _title(s) == title)


def test_every_chart_of_the_demo_pack_is_the_pages_breakdown(demo_pack, prs, demo_con):
    now, con, flt, settings = demo_pack[1], demo_con, EMEA_Q3, Settings()
    charts = {k: v for s in prs.slides for k, v in shapes(s, "chart:").items()}
    # MQLs vs pipeline: the channel shares, whose counts add up to the report's MQLs
    by_channel = run(con, funnel.by_channel, flt, settings)
    assert by_channel["mqls"].sum() == now["mqls"]
    size = by_channel[["mql_share", "pipeline_share"]].max(axis=1)  # the 8 largest shown
    top = by_channel[by_channel.index.isin(size.nlargest(8).index)].sort_values(
        "pipeline_share", ascending=False)
    assert len(by_channel) == 10 and len(top) == 8
    note = next(s for sl in prs.slides for s in sl.shapes
                if s.name == "chart-note:funnel.by_channel").text_frame.text
    assert note == "The 8 largest of 10 shown."
    assert same(chart_values(charts["funnel.by_channel"])[0], top["mql_share"])
    assert labels(charts["funnel.by_channel"], 1) == [find.share(v) for v in
                                                      top["pipeline_share"]]
    by_month = run(con, funnel.by_month, flt, settings)
    signups, activated = chart_values(charts["funnel.by_month"])
    assert sum(signups) == now["signups"] and sum(activated) == now["activated_signups"]
    assert same(signups, by_month["signups"])
    # Targets: MQLs beside engaged targets by month, the MQLs adding up to the report's
    by_target_month = run(con, targets.by_month, flt, settings)
    mqls, engaged = chart_values(charts["targets.by_month"])
    assert sum(mqls) == now["mqls"] and same(engaged, by_target_month["engaged_targets"])
    # CAC vs CPL: the ladder is the report's blended unit costs
    ladder = ["cpl", "cost_per_mql", "cost_per_qualified_opportunity", "cac"]
    assert same(chart_values(charts["cost.ladder"])[0], [now[m] for m in ladder])
    assert labels(charts["cost.ladder"]) == [fmt.money(now[m]) for m in ladder]
    costs = run(con, cost.by_channel, flt, settings)
    assert costs.set_index("channel").loc["Blended", "cpl"] == pytest.approx(now["cpl"])
    # Buying groups: win rate by threading bucket
    threading = run(con, groups.threading, flt, settings)
    assert same(chart_values(charts["groups.threading"])[0],
                threading[threading["closed"] > 0]["win_rate"])
    # Net ARR: the bridge's steps are the report's flows; start + net = end
    steps = chart_values(charts["arr.bridge"])[1]
    flows = [now[m] for m in ("new_arr", "reactivation_arr", "expansion_arr",
                              "contraction_arr", "churned_arr")]
    assert same(steps[1:6], flows)
    assert steps[6] - steps[0] == pytest.approx(now["net_new_arr"])
    segments = run(con, arr.by_segment, flt, settings)
    assert same(chart_values(charts["arr.by_segment"])[0], segments["nrr_12m"])
    # Velocity: the pipeline movement and the stage-0 clock by month
    movement = run(con, velocity.pipeline_waterfall, flt, settings)
    shown = movement[movement["kind"] != "note"]
    assert same(chart_values(charts["velocity.pipeline_waterfall"])[1], shown["amount"])
    stage0 = run(con, velocity.stage0_by_month, flt, settings)
    assert same(chart_values(charts["velocity.stage0_by_month"])[0],
                stage0["stage0_days_median"])
    # Target market: penetration over 12 months, demand shares
    trend = run(con, market.penetration_by_month, fa.trailing_filter(flt, 12), settings)
    assert same(chart_values(charts["market.penetration_by_month"])[0],
                trend["penetration"])
    demand = run(con, market.demand_split, flt, settings)
    assert demand["spend"].sum() == pytest.approx(now["marketing_spend"])


def test_chart_titles_and_findings_are_the_pages_sentences(demo_pack, prs, demo_con):
    now, con, flt, settings = demo_pack[1], demo_con, EMEA_Q3, Settings()
    titles = {k: v.text_frame.text for s in prs.slides
              for k, v in shapes(s, "chart-title:").items()}
    assert titles["funnel.by_channel"] == find.lens_by_channel(
        run(con, funnel.by_channel, flt, settings))
    assert titles["cost.ladder"] == find.cost_ladder(now)
    assert titles["groups.threading"] == fa.threading_finding(
        run(con, groups.threading, flt, settings))
    assert titles["arr.bridge"] == fa.bridge_finding(
        arr.period_bridge(run(con, arr.bridge, flt, settings)))
    # the Overview lists each page's finding; each page's slide opens with it
    overview = next(s for s in prs.slides if _title(s) == "Overview")
    lines = [p.text for p in next(s for s in overview.shapes if s.name == "lines")
             .text_frame.paragraphs]
    for page, line in zip(pages.ANALYTIC, lines, strict=True):
        finding = next(s for s in _slide(prs, page.title).shapes if s.name == "finding")
        if page.url_path != "growth":  # its slide states the link's plan (next test)
            assert line == f"• {page.title}: {finding.text_frame.text}"


def test_growth_slide_is_the_plan_of_the_links_sliders(demo_pack, app_db, goal):
    out, _, _ = demo_pack
    prs = Presentation(out / "review.pptx")
    con = store.connect(app_db)
    flt = EMEA_Q3
    try:
        hist = run(con, historical, flt, Settings())
    finally:
        con.close()
    specs = growth.sliders(hist)
    values = {n: s.default for n, s in specs.items() if n != "budget"}
    values["revenue_goal"] = goal  # --goal
    plan = growth.solve(growth.plan_inputs(specs, values, int(hist["group_size"])))
    slide = _slide(prs, "Growth equation")
    tiles = shapes(slide, "tile:")
    for name in (*growth.SOLVE_FOR, "excess_ratio"):
        assert tile_lines(tiles[growth.label(name)])[1] == growth.format_field(
            name, plan.value(name)), name
    bars = chart_values(shapes(slide, "chart:")["growth.plan"])[0]
    assert same(bars, [plan.customers, plan.qualified_opportunities, plan.engaged_targets,
                       plan.people_needed, plan.addressable_people])
    text = "\n".join(p.text for p in next(s for s in slide.shapes if s.name == "lines")
                     .text_frame.paragraphs)
    assert f"Revenue goal (new ARR): {fmt.money(goal)}" in text and "Ignored" not in text
    assert next(s for s in slide.shapes if s.name == "finding").text_frame.text == \
        findings.growth(plan)
    assert shapes(slide, "chart-title:")["growth.plan"].text_frame.text == plan.notes[-1]


def test_every_slide_has_the_period_the_data_date_and_the_link(demo_pack, app_db, goal):
    out, _, _ = demo_pack
    prs = Presentation(out / "review.pptx")
    con = store.connect(app_db)
    try:
        info = dataset_info(con)
    finally:
        con.close()
    for number, slide in enumerate(prs.slides, 1):
        footer = next(s for s in slide.shapes if s.name == "footer").text_frame
        text = footer.text
        assert "Period ending 2026-09-30" in text and f"Data as of {info['data_as_of']}" in text
        assert "EMEA" in text and f"{number} / {len(prs.slides)}" in text
        link = next(r.hyperlink.address for p in footer.paragraphs for r in p.runs
                    if r.hyperlink.address)
        assert link.startswith(links.DEFAULT_BASE_URL + "/")
        # 2026Q3 is the default period here (last complete quarter): a link leaves it out
        assert "period=" not in link and "region=EMEA" in link and f"goal={goal}" in link
    reopen = {_title(s): next(r.hyperlink.address for p in next(
        x for x in s.shapes if x.name == "footer").text_frame.paragraphs for r in p.runs
        if r.hyperlink.address) for s in prs.slides}
    assert reopen["Net ARR"].startswith(links.DEFAULT_BASE_URL + "/net-arr?")


def test_every_number_is_defined_in_the_glossary(demo_pack):
    out, _, _ = demo_pack
    prs = Presentation(out / "review.pptx")
    glossary = "\n".join(p.text for s in prs.slides if _title(s).startswith("Glossary")
                         for p in next(x for x in s.shapes if x.name == "lines")
                         .text_frame.paragraphs)
    for slide in prs.slides:
        for metric_id in shapes(slide, "tile:"):
            label = registry.get(metric_id).label if metric_id in registry.METRICS else metric_id
            assert f"{label}: " in glossary, label
    assert registry.get("cac").definition in glossary


def pdf_text(path: Path) -> list[str]:
    """pdftotext's text, one string per page."""
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                         text=True, check=True, timeout=60)
    return out.stdout.split("\f")[:-1]


def test_the_pdf_has_a_page_per_slide_with_the_same_text(demo_pack):
    out, now, _ = demo_pack
    prs = Presentation(out / "review.pptx")
    pdf_pages = pdf_text(out / "review.pdf")
    assert len(pdf_pages) == len(prs.slides)
    for slide, page in zip(prs.slides, pdf_pages, strict=True):
        flat = " ".join(page.split())
        assert _title(slide).split(" (")[0] in flat
        for shape in shapes(slide, "tile:").values():
            assert tile_lines(shape)[1] in flat
        assert "Period ending 2026-09-30" in flat and "Data as of" in flat
    cost_page = " ".join(pdf_pages[[_title(s) for s in prs.slides].index("CAC vs CPL")].split())
    assert registry.get("cac").format(now["cac"]) in cost_page


# --- a people-only extract ---------------------------------------------------------------


@pytest.fixture(scope="module")
def people_pack(people_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("qbr_people")
    for suffix in ("pptx", "pdf"):
        gtm_cli("qbr", "--db", str(people_db), "--start", Q3[0], "--end", Q3[1], "--out",
                str(out / f"review.{suffix}"))
    return out, report(people_db, *Q3), report(people_db, *Q2)


def test_people_only_pack_numbers_are_the_report(people_pack):
    out, now, before = people_pack
    assert (now["leads"], now["mqls"], before["leads"], before["mqls"]) == (4, 3, 2, 1)
    prs = Presentation(out / "review.pptx")
    assert check_tiles(prs, now, before) >= 10
    mql = _slide(prs, "MQLs vs pipeline")
    assert tile_lines(shapes(mql, "tile:")["leads"])[1:] == ["4", "+2"]
    shares = chart_values(shapes(mql, "chart:")["funnel.by_channel"])[0]
    assert sorted(shares) == pytest.approx([1 / 3] * 3)  # P1, P2, P4: one MQL per channel


def test_people_only_pages_say_which_file_lights_them_up(people_pack):
    out, _, _ = people_pack
    prs = Presentation(out / "review.pptx")
    for title, table, what in (("CAC vs CPL", "spend", "cost per lead, CAC and payback"),
                               ("Net ARR", "arr", "Net ARR"),
                               ("Target market", "accounts", "the target market")):
        slide = _slide(prs, title)
        finding = next(s for s in slide.shapes if s.name == "finding").text_frame.text
        assert finding == pages.need_text([table], what)
        assert not shapes(slide, "chart:")  # no blank chart
    groups_slide = _slide(prs, "Buying groups")
    assert next(s for s in groups_slide.shapes if s.name == "finding").text_frame.text == \
        pages.need_text(["touches", "opportunity_contacts"], "buying groups")
    overview = _slide(prs, "Overview")
    text = "\n".join(p.text for p in next(s for s in overview.shapes if s.name == "lines")
                     .text_frame.paragraphs)
    assert "CAC vs CPL: Add spend.csv to light this page up." in text


def test_people_only_pdf_prints_crm_text_as_written(people_pack):
    out, _, _ = people_pack
    prs = Presentation(out / "review.pptx")
    pdf_pages = pdf_text(out / "review.pdf")
    assert len(pdf_pages) == len(prs.slides)
    text = "\n".join(pdf_pages)
    assert HOSTILE in text  # not interpreted as markup, not escaped to &lt;b&gt;
    assert "Add spend.csv (" in " ".join(text.split())
    mql = _slide(prs, "MQLs vs pipeline")
    assert HOSTILE in shapes(mql, "chart:")["funnel.by_channel"].chart.plots[0].categories


def test_without_opportunities_growth_and_velocity_ask_for_them(people_db):
    """A dataset loaded without opportunities (contract v2: only people is required)."""
    con = store.connect(people_db)
    try:
        real = dataset_info

        def no_deals(c):
            info = real(c)
            info["tables"] = {k: v for k, v in info["tables"].items() if k != "opportunities"}
            return info

        module = sys.modules["gtm.qbr.build"]
        original, module.dataset_info = module.dataset_info, no_deals
        try:
            deck = build(con, View(Filter(date(2026, 7, 1), date(2026, 9, 30))))
        finally:
            module.dataset_info = original
    finally:
        con.close()
    by_title = {s.title: s for s in deck.slides}
    assert by_title["Growth equation"].kind == "missing"
    assert by_title["Growth equation"].finding == pages.need_text(["opportunities"],
                                                                  "the growth equation")
    assert by_title["Velocity"].kind == "missing"


# --- the command and the renderers -----------------------------------------------------------


def test_bad_arguments_exit_2(people_db, tmp_path):
    for extra in (["--out", str(tmp_path / "x.docx")],
                  ["--out", str(tmp_path / "x.pdf"), "--period", "2026Q2"],
                  ["--out", str(tmp_path / "x.pdf"), "--qualified-stage", "SQO"]):
        done = subprocess.run([sys.executable, "-m", "gtm", "qbr", "--db", str(people_db),
                               "--start", Q3[0], "--end", Q3[1], *extra], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (extra, done.stderr)
        assert done.stderr.startswith("gtm qbr: "), done.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_an_extract_folder_is_loaded_like_the_report_does(tmp_path):
    folder = tmp_path / "extract"
    folder.mkdir()
    (folder / "people.csv").write_text(PEOPLE)
    (folder / "opportunities.csv").write_text(ONE_DEAL)
    out = gtm_cli("qbr", str(folder), "--start", Q3[0], "--end", Q3[1], "--out",
                  str(tmp_path / "pack.pdf"), "--title", "Acme Corp")
    assert "wrote" in out.stdout and (tmp_path / "pack.pdf").exists()
    assert "Acme Corp" in pdf_text(tmp_path / "pack.pdf")[0]


def test_pdf_wrap_never_loses_a_character():
    pdf_renderer._register_fonts()
    text = "A long finding " * 12 + "https://example.test/" + "x" * 300
    lines = pdf_renderer.wrap(text, 10, 200)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(pdf_renderer._width(line, 10) <= 200 for line in lines)


def test_the_link_is_the_sidebars_share_link(app_db, goal, monkeypatch):
    """The app's "Share this view" and the pack's footer give the same link for the same
    state (period, region, a growth slider), and the popover offers the pack."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("TARGETLINE_DB", str(app_db))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update({"period": "2026Q3", "region": "EMEA", "goal": str(goal)})
    at.run()
    at.switch_page("pages/growth.py").run()
    assert not at.exception
    popover = next(p for p in at.sidebar.get("popover")
                   if p.proto.popover.label == "Share this view")
    shared = popover.code[0].value
    buttons = [b.proto.label for b in popover.get("download_button")]
    assert buttons == ["Download the QBR pack (PowerPoint)", "Download the QBR pack (PDF)"]
    con = store.connect(app_db)
    try:
        deck = build(con, View(Filter(date(2026, 7, 1), date(2026, 9, 30), regions=("EMEA",)),
                               page_params=(("goal", str(goal)),), base_url=""))
    finally:
        con.close()
    growth_slide = next(s for s in deck.slides if s.title == "Growth equation")
    assert f"goal={goal}" in shared  # a value the slider takes (the goal fixture's period)
    assert growth_slide.link == shared, (growth_slide.link, shared)


def test_a_slider_value_the_page_would_ignore_is_said_on_the_slide(people_db):
    con = store.connect(people_db)
    try:  # no deal won: the goal slider falls back to $1M and ranges to $4M
        deck = build(con, View(Filter(date(2026, 7, 1), date(2026, 9, 30)),
                               page_params=(("goal", "9e12"), ("price", "20000"))))
    finally:
        con.close()
    slide = next(s for s in deck.slides if s.title == "Growth equation")
    assert "Ignored goal=9e12 from the link: outside the slider's $0 to $4M, so it starts " \
        "at its historical value." in slide.lines
    assert "Average sale price: $20K (historical in this view: n/a)" in slide.lines
    # the link carries it still, as the app's "Share this view" does (the page ignores it)
    assert slide.link.endswith("/growth?goal=9e12&price=20000")
