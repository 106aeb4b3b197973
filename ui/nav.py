"""The page list, defined once: app.py registers it, the Overview links its findings to it,
the benchmark times it.

Plain data (no Streamlit call), so the benchmark and the tests read the same list the app
navigates.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to app.py
    title: str
    url_path: str  # "" for the default page ("/")
    icon: str
    needs: tuple[str, ...] = ()  # optional tables its Overview finding needs

    @property
    def default(self) -> bool:
        return self.url_path == ""


PAGES = (
    PageSpec("pages/overview.py", "Overview", "", ":material/dashboard:"),
    PageSpec("pages/mql-vs-pipeline.py", "MQLs vs pipeline", "mql-vs-pipeline",
             ":material/filter_alt:"),
    PageSpec("pages/targets.py", "Targets", "targets", ":material/ads_click:", ("accounts",)),
    PageSpec("pages/cac-vs-cpl.py", "CAC vs CPL", "cac-vs-cpl", ":material/payments:",
             ("spend",)),
    PageSpec("pages/buying-groups.py", "Buying groups", "buying-groups", ":material/groups:"),
    PageSpec("pages/growth.py", "Growth equation", "growth", ":material/calculate:"),
    PageSpec("pages/net-arr.py", "Net ARR", "net-arr", ":material/trending_up:", ("arr",)),
    PageSpec("pages/velocity.py", "Velocity", "velocity", ":material/speed:"),
    PageSpec("pages/target-market.py", "Target market", "target-market",
             ":material/my_location:", ("accounts",)),
    PageSpec("pages/data.py", "Data", "data", ":material/database:"),
)
ANALYTIC = tuple(p for p in PAGES if p.path not in ("pages/overview.py", "pages/data.py"))
