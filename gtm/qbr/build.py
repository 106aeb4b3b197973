"""The QBR pack's content for one view: the same numbers, breakdowns and sentences as the app.

`build(con, view)` reads the headline values through gtm.metrics.compute (what `python -m
gtm report` prints), the deltas from the same compute of the comparison period, each page's
charts from the breakdowns its page draws and every title from the gtm.narrative function the
page calls, so the deck never says something the dashboard does not. A page whose data is
missing gets the page's own "Add X to see ..." sentence (gtm.pages.need_text) instead of an
empty chart. The slide for each page is built in gtm/qbr/sections.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from gtm import links, pages, periods
from gtm.filters import Filter, Settings, filter_summary
from gtm.metrics import compute, dataset_info, params, registry, resolve_qualified_stage
from gtm.narrative.overview import HEADLINE, page_findings
from gtm.qbr import sections
from gtm.qbr.model import Deck, Footer, Slide, Tile

GLOSSARY_CHARS = 1900  # definitions per glossary slide, so each reads at a glance


@dataclass(frozen=True)
class View:
    """What the pack shows: the sidebar's state (period label, Filter, Settings), the pages'
    own link parameters (growth sliders, Net ARR grain, velocity flow) and where the live app
    runs (the footer links)."""

    flt: Filter
    settings: Settings = Settings()
    period: str | None = None  # the sidebar's period label; None: the one showing flt's dates
    page_params: tuple[tuple[str, str], ...] = ()
    base_url: str = links.DEFAULT_BASE_URL
    title: str | None = None  # company or dataset name (default: the extract's folder name)

    def param(self, key: str) -> str | None:
        """The link's last value for a page parameter (what Streamlit binds)."""
        found = [v for k, v in self.page_params if k == key]
        return found[-1] if found else None


@dataclass
class Context:
    """Everything a section reads: the connection, the view, both periods' values."""

    con: object
    view: View
    info: dict
    period: str
    now: dict
    before: dict
    previous: Filter
    run: Callable  # run(fn, *args, flt=None) -> a breakdown of this view
    glossary: dict[str, str] = field(default_factory=dict)

    @property
    def flt(self) -> Filter:
        return self.view.flt

    @property
    def settings(self) -> Settings:
        return self.view.settings

    @property
    def provided(self) -> dict:
        return self.info.get("tables") or {}

    def missing(self, tables) -> list[str]:
        return pages.missing_tables(self.provided, tables)

    def term(self, label: str, definition: str) -> None:
        self.glossary.setdefault(label, definition)

    def tile(self, metric_id: str) -> Tile:
        """A registry metric as the app's KPI tile shows it, with its delta and definition."""
        metric = registry.get(metric_id)
        value, before = self.now.get(metric_id), self.before.get(metric_id)
        self.term(metric.label, plain(metric.definition))
        delta = registry.delta_text(metric_id, value, before)
        good = None
        if delta not in (None, "no change") and metric.higher_is_better is not None:
            good = (value > before) == metric.higher_is_better
        missing = self.missing(metric.tables)
        note = f"n/a: add {' and '.join(t + '.csv' for t in missing)}" if (
            value is None and missing) else ""
        return Tile(metric.label, metric.format(value), value, metric_id, delta, good, note)

    def tiles(self, ids) -> tuple[Tile, ...]:
        return tuple(self.tile(mid) for mid in ids)


def plain(text: str) -> str:
    """A registry definition without its Markdown marks (`created_date`, *first*)."""
    return text.replace("`", "").replace("*", "")


def build(con, view: View) -> Deck:
    """The whole pack for one view (ValueError for an unknown qualified stage)."""
    info = dataset_info(con)
    first = periods.as_date(info["first_date"]) or info["data_as_of"] or view.flt.start
    as_of = info["data_as_of"] or view.flt.end
    period = view.period or links.period_for(view.flt.start, view.flt.end, first, as_of)
    if period != periods.CUSTOM and periods.period_range(period, as_of) != (view.flt.start,
                                                                           view.flt.end):
        start, end = periods.period_range(period, as_of)
        raise ValueError(f"period {period} shows {start} to {end} in this data, not "
                         f"{view.flt.start} to {view.flt.end}; leave out --period")
    qualified = resolve_qualified_stage(con, view.settings)
    previous = view.flt.previous(period)

    def run(fn, *args, flt: Filter | None = None):
        return fn(con, params(flt or view.flt, view.settings, qualified), *args)

    ctx = Context(con, view, info, period, compute(con, view.flt, view.settings, qualified),
                  compute(con, previous, view.settings, qualified), previous, run)
    deck = Deck(title=view.title or dataset_name(info), subtitle="Quarterly business review",
                footer=_footer(ctx))
    findings = _findings(ctx)
    deck.slides.append(_title_slide(ctx, qualified))
    deck.slides.append(_overview(ctx, findings))
    for page in pages.ANALYTIC:
        deck.slides.append(sections.slide(ctx, page, findings[page.path]))
    deck.slides.extend(_glossary(ctx))
    link = _linker(ctx, first, as_of)
    deck.slides = [_with_link(s, link) for s in deck.slides]
    deck.glossary = dict(ctx.glossary)
    return deck


def dataset_name(info: dict) -> str:
    """The extract's folder name (the demo's is 'demo'), else 'Targetline dataset'."""
    source = (info.get("meta") or {}).get("source") or ""
    name = Path(source.split(",")[0].strip()).name if source else ""
    return name or "Targetline dataset"


def _linker(ctx: Context, first, as_of) -> Callable[[str], str]:
    values = links.view_values(ctx.period, ctx.flt, ctx.settings)
    defaults = links.default_values(first, as_of)
    return lambda page: links.view_url(ctx.view.base_url, page, values, defaults,
                                       ctx.view.page_params)


def _with_link(slide: Slide, link: Callable[[str], str]) -> Slide:
    return replace(slide, link=link(slide.page))


def _footer(ctx: Context) -> Footer:
    summary = filter_summary(ctx.flt, ctx.period)
    head, _, dims = summary.partition(" · ")
    return Footer(period=f"Period ending {ctx.flt.end} · {head}",
                  as_of=f"Data as of {ctx.info['data_as_of'] or 'unknown'}", filters=dims,
                  comparison=_comparison(ctx))


def _findings(ctx: Context) -> dict[str, str]:
    """page file -> the Overview's sentence for it (or its "Add X to light this page up")."""

    def view(fn, *args, flt=None):
        try:
            return ctx.run(fn, *args, flt=flt)
        except duckdb.Error:  # the loaded data cannot answer it (the Overview says so too)
            return None

    sentences = page_findings(view, ctx.now, ctx.settings, ctx.previous)
    for page in pages.ANALYTIC:
        missing = ctx.missing(page.needs)
        if missing:
            sentences[page.path] = pages.light_up_text(missing)
    return sentences


def _comparison(ctx: Context) -> str:
    return f"Deltas compare with {ctx.previous.start} to {ctx.previous.end}."


def _title_slide(ctx: Context, qualified) -> Slide:
    f = ctx.flt
    lines = (
        f"Period: {filter_summary(f, ctx.period).partition(' · ')[0]}, "
        f"period ending {f.end}",
        "Filters: " + filter_summary(f, ctx.period).partition(" · ")[2],
        f"Data as of {ctx.info['data_as_of'] or 'unknown'} (the latest activity in the extract)",
        f"Qualified stage: {qualified.stage or 'none'} ({qualified.how})",
        _comparison(ctx),
    )
    return Slide("title", "Quarterly business review", "", lines=lines)


def _overview(ctx: Context, findings: dict[str, str]) -> Slide:
    lines = tuple(f"{page.title}: {findings[page.path]}" for page in pages.ANALYTIC)
    return Slide("overview", "Overview", "", finding=_comparison(ctx),
                 tiles=ctx.tiles(HEADLINE), lines=lines)


def _glossary(ctx: Context) -> list[Slide]:
    """Every number shown, defined (registry definitions first seen first), split so each
    slide holds about GLOSSARY_CHARS characters."""
    entries = [f"{label}: {text}" for label, text in ctx.glossary.items()]
    chunks: list[list[str]] = [[]]
    for entry in entries:
        if chunks[-1] and sum(map(len, chunks[-1])) + len(entry) > GLOSSARY_CHARS:
            chunks.append([])
        chunks[-1].append(entry)
    total = len(chunks)
    return [Slide("glossary", "Glossary" + (f" ({i} of {total})" if total > 1 else ""), "",
                  finding="Every number in this pack, as the dashboard defines it.",
                  lines=tuple(chunk)) for i, chunk in enumerate(chunks, 1)]
