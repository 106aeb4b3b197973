"""The global filters and settings in the sidebar, bound to the URL.

Every page reads the same Filter and Settings, and every widget here is bound to a
short query parameter, so a copied link reopens exactly the same view. The widgets
live in the entrypoint (app.py), which keeps them (and their URL parameters) alive
while the user moves between pages.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import streamlit as st

from gtm import links, periods, qbr
from gtm.filters import Filter, Settings
from gtm.links import KEYS, MOTION_CHOICES, NUMBER_SETTINGS
from ui import data_access
from ui.download import pack_button
from ui.links import Param, clamp_dates, notices, problem
from ui.state import current_filter, current_info, current_period, current_settings, set_view
from ui.text import esc

BIND = "query-params"
DEFAULT_SETTINGS = Settings()

# The pages' own link parameters (growth planner, Net ARR grain, velocity flow) and
# Streamlit's: any other key in a link is named in a notice (tests/test_hostile_urls.py
# checks this list against every bind= key in pages/).
PAGE_KEYS = ("goal", "price", "win", "qual", "cac", "market", "budget", "solve", "grain",
             "flow", "embed", "embed_options",
             # issue 16: the Targets page, warm starts, the growth page's market and plan check
             "icp", "field", "va", "vb", "ttab", "wby", "wopp", "mbasis", "ptop", "ptopname",
             "psql", "psal", "pcust", "pmarket")

_CHECKED = "_targetline_link_checked"
_UNBOUND = "_targetline_unbound"  # settings whose link value was refused, this session


def _param_specs(info: dict, stages: list[str]) -> list[Param]:
    first, as_of = periods.as_date(info["first_date"]) or info["data_as_of"], info["data_as_of"]
    specs = [
        Param("period", "choice", tuple(periods.options(first, as_of)),
              unknown="not a period with data"),
        Param("start", "date", low=first, high=as_of),
        Param("end", "date", low=first, high=as_of),
        Param("region", "multi", tuple(info["regions"])),
        Param("segment", "multi", tuple(info["segments"])),
        Param("channel", "multi", tuple(info["channels"])),
        Param("motion", "choice", tuple(MOTION_CHOICES),
              unknown="expected " + " or ".join(MOTION_CHOICES)),
        Param("stage", "choice", ("auto", *stages), unknown="not an open stage of this data"),
    ]
    specs += [Param(k, kind, low=lo, high=hi) for k, _, kind, lo, hi, _, _ in NUMBER_SETTINGS]
    specs.append(Param("sales", "multi", sales_channel_options(info)))
    return specs


def sales_channel_options(info: dict) -> tuple[str, ...]:
    """Channels that can be sales-owned (warm starts leave their touches out)."""
    return tuple(sorted(set(info.get("channels") or ()) | set(DEFAULT_SETTINGS.sales_channels)))


def _raw_params() -> dict[str, list[str]]:
    return {key: st.query_params.get_all(key) for key in KEYS if key in st.query_params}


def _clamp_link_dates(info: dict, raw: dict) -> list[str]:
    """A custom start/end outside the data moves to its edge (written back into the link
    before the date widgets read it), with one sentence each."""
    if (raw.get("period") or [None])[-1] != periods.CUSTOM:
        return []
    first = periods.as_date(info["first_date"]) or info["data_as_of"]
    values, said = clamp_dates((raw.get("start") or [None])[-1], (raw.get("end") or [None])[-1],
                               first, info["data_as_of"])
    for key, value in values.items():
        if raw.get(key) and raw[key][-1] != value.isoformat():
            st.session_state[key] = value  # the bound date widget starts there (and the URL)
            raw[key] = [value.isoformat()]
    return said


def _link_notices(info: dict, stages: list[str]) -> list[str]:
    """Sentences about link parameters that will be ignored (checked before the widgets)."""
    raw = _raw_params()
    specs = _param_specs(info, stages)
    clamped = _clamp_link_dates(info, raw)
    found = clamped + notices(raw, specs)
    unbound = st.session_state.setdefault(_UNBOUND, set())
    for spec in specs:
        if spec.kind != "multi" and raw.get(spec.key) and problem(spec, raw[spec.key]):
            _drop_param(spec.key)
            if spec.kind in ("int", "float"):  # Streamlit 1.67 raises seeding lookback=inf
                unbound.add(spec.key)  # so this session draws it unbound (never seeded)
    unknown = [k for k in st.query_params if k not in KEYS and k not in PAGE_KEYS]
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        found.append(f"Ignored {', '.join(k[:40] for k in unknown[:5])}{more} from the link: "
                     "not a Targetline link parameter.")
    period = (raw.get("period") or [None])[-1]
    for key in ("start", "end"):
        if raw.get(key) and period != periods.CUSTOM:
            found.append(f"Ignored {key}={raw[key][-1]} from the link: it only applies "
                         "with period=Custom.")
            try:
                del st.query_params[key]
            except Exception:  # already bound to a date widget: Streamlit owns it
                pass
    return found


def _drop_param(key: str) -> None:
    try:
        del st.query_params[key]
    except Exception:  # already bound to a widget: Streamlit owns it
        pass


def _period_widgets(info: dict) -> tuple[str, date, date]:
    first, as_of = periods.as_date(info["first_date"]) or info["data_as_of"], info["data_as_of"]
    options = periods.options(first, as_of)
    default = periods.default_period(first, as_of)
    period = st.selectbox("Period", options, index=options.index(default), key="period",
                          bind=BIND, help="Calendar quarters and months with data, "
                          f"up to the as-of date {as_of}.")
    if period != periods.CUSTOM:
        start, end = periods.period_range(period, as_of)
        return period, start, end
    d_start, d_end = periods.period_range(default, as_of)
    start = st.date_input("Start", d_start, min_value=first, max_value=as_of,
                          key="start", bind=BIND, format="YYYY-MM-DD")
    end = st.date_input("End (inclusive)", d_end, min_value=first, max_value=as_of,
                        key="end", bind=BIND, format="YYYY-MM-DD")
    return period, start, end


def _dimension_widgets(info: dict) -> dict:
    def pick(label, options, key):
        return st.multiselect(label, options, key=key, bind=BIND,
                              placeholder=f"All {label.lower()}")

    return {
        "regions": tuple(pick("Regions", info["regions"], "region")),
        "segments": tuple(pick("Segments", info["segments"], "segment")),
        "channels": tuple(pick("Channels", info["channels"], "channel")),
        "motions": MOTION_CHOICES[st.selectbox("Motion", list(MOTION_CHOICES), key="motion",
                                               bind=BIND)],
    }


def _settings_widgets(stages: list[str], info: dict | None = None) -> Settings:
    with st.expander("Settings"):
        stage = st.selectbox("Qualified stage", ["auto", *stages], key="stage", bind=BIND,
                             help="auto: the earliest stage, in pipeline order, from which at "
                             "least the minimum win rate of closed deals were won.")
        values = {}
        for key, label, kind, low, high, step, field in NUMBER_SETTINGS:
            default = getattr(DEFAULT_SETTINGS, field)
            cast = int if kind == "int" else float
            bind = None if key in st.session_state.get(_UNBOUND, ()) else BIND
            values[field] = st.number_input(label, cast(low), cast(high), cast(default),
                                            cast(step), key=key, bind=bind)
        sales = st.multiselect("Warm start: sales-owned channels (not counted)",
                               sales_channel_options(info or {}),
                               default=list(DEFAULT_SETTINGS.sales_channels), key="sales",
                               bind=BIND, help="Touches on these channels do not warm a deal: "
                               "the room is warm when marketing, not sales, brought people in.")
    return Settings(qualified_stage=stage, sales_channels=tuple(sales), **values)


def render_sidebar(info: dict, stages: list[str]) -> tuple[Filter, Settings]:
    """Draw filters and settings, remember the view for this run, return it."""
    if not st.session_state.get(_CHECKED):  # a link is read once, when the session opens
        st.session_state[_CHECKED] = True
        for text in _link_notices(info, stages):  # link text is hostile until escaped
            st.info(esc(text).replace(".", "\\."), icon=":material/link_off:")  # no www. links
    with st.sidebar:
        period, start, end = _period_widgets(info)
        if end < start:  # never a swapped period: the end moves to the start
            st.warning(f"End {end} is before start {start}: showing the single day {start}; "
                       "pick an end on or after the start.")
            end = start
        dims = _dimension_widgets(info)
        settings = _settings_widgets(stages, info)
    flt = Filter(start, end, **dims)
    set_view(flt, settings, period, info)
    return flt, settings


def _page_params() -> list[tuple[str, str]]:
    """The page's own widgets in the URL (growth sliders, grain, flow)."""
    return [(k, v) for k in st.query_params if k not in KEYS for v in st.query_params.get_all(k)]


def _base_url() -> str:
    try:
        parts = urlsplit(st.context.url or "")
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    except Exception:  # no browser context (tests, scripts)
        return ""


def share_link(page_path: str = "") -> str:
    """The URL of this exact view (page + every non-default filter and setting), built by
    gtm.links like the QBR pack's footer links."""
    info = current_info()
    first, as_of = periods.as_date(info["first_date"]) or info["data_as_of"], info["data_as_of"]
    values = links.view_values(current_period(), current_filter(), current_settings())
    return links.view_url(_base_url(), page_path, values, links.default_values(first, as_of),
                          _page_params())


def _qbr_buttons(page_params: list) -> None:
    """"Download the QBR pack": this view as a deck and a PDF, built (gtm.qbr, as `python -m
    gtm qbr` builds it) only when clicked, on the download's own thread. page_params is read
    at the click: a page fragment (the growth sliders) refreshes it without a full rerun."""
    flt, settings, period, base = (current_filter(), current_settings(), current_period(),
                                   _base_url() or links.DEFAULT_BASE_URL)
    con = data_access.connection()

    def pack(kind: str):
        def build() -> bytes:
            view = qbr.View(flt, settings, period, tuple(page_params), base)
            cur = con.cursor()
            try:
                return qbr.pack(cur, view, kind)
            finally:
                cur.close()
        return build

    st.caption("Download the QBR pack: this view as slides, every number with its "
               "definition, period and data date")
    name = f"targetline-qbr-{flt.start}-{flt.end}"
    for kind, label in (("pptx", "PowerPoint"), ("pdf", "PDF")):
        pack_button(f"Download the QBR pack ({label})", pack(kind), f"{name}.{kind}",
                    qbr.MEDIA_TYPES[kind], f"qbr-{kind}")


_SHARE = "_targetline_share"  # (page path, the link's slot, the pack's page parameters)


def render_share_link(page_path: str) -> None:
    """The "Copy link" control: the URL already carries the whole view."""
    page_params = _page_params()
    with st.sidebar, st.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("This link reopens this page with its filters and settings")
        slot = st.empty()
        slot.code(share_link(page_path), language=None, wrap_lines=True)
        _qbr_buttons(page_params)
    st.session_state[_SHARE] = (page_path, slot, page_params)


def refresh_share_link() -> None:
    """After a page fragment's rerun (the frame and the sidebar did not run): the link and
    the QBR pack follow the page's widgets as they are now."""
    page_path, slot, page_params = st.session_state.get(_SHARE, (None, None, None))
    if slot is None:
        return
    page_params[:] = _page_params()
    slot.code(share_link(page_path), language=None, wrap_lines=True)
