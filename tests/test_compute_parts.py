"""gtm.metrics.compute from the registry: a page computes only the queries its tiles need,
so query by query the values must add up to exactly what `compute` (and `report`) give."""

from __future__ import annotations

from datetime import date

import pytest

from gtm.filters import Filter, Settings
from gtm.metrics import arr, base, compute, cost, funnel, registry
from gtm.metrics.compute import assemble, queries_for

YEAR = Filter(date(2025, 1, 1), date(2025, 12, 31))


def _queries() -> list:
    return list(dict.fromkeys(q for m in registry.METRICS.values() for q in (
        [m.query] if m.formula is None else [i.query for i in m.formula.inputs])))


@pytest.mark.parametrize("query", _queries(), ids=lambda q: q.__qualname__)
def test_each_query_returns_the_columns_its_metrics_read(tiny_con, query):
    row = query(tiny_con, base.params(YEAR, Settings(),
                                      base.resolve_qualified_stage(tiny_con, Settings())))
    wanted = {m.reads for m in registry.METRICS.values() if m.query is query} | {
        i.column for m in registry.METRICS.values() if m.formula
        for i in m.formula.inputs if i.query is query}
    assert wanted <= set(row)


def test_every_metric_has_one_query_or_one_formula():
    for m in registry.METRICS.values():
        assert (m.query is None) != (m.formula is None), m.id
        assert m.unit in registry.fmt.FORMATTERS, m.id


def test_queries_add_up_to_compute(tiny_con):
    """Assembling through another runner (as the app's cache does) gives compute's values."""
    whole = compute(tiny_con, YEAR, Settings())
    qualified = base.resolve_qualified_stage(tiny_con, Settings())
    calls = []

    def run(query, flt):
        calls.append((query, flt))
        return query(tiny_con, base.params(flt, Settings(), qualified))

    assert assemble(registry.METRICS, YEAR, Settings(), run) == whole
    assert len(calls) == len(set(calls))  # each query once per period


def test_queries_for_names_only_what_is_needed():
    # CAC needs spend and deals: the facts say whether both tables were provided
    assert queries_for(["cac"]) == [(base.facts, False), (cost.unit_costs, False)]
    assert queries_for(["leads"]) == [(funnel.volume, False)]  # people: always there
    assert queries_for(["nrr_12m", "leads"]) == [(base.facts, False), (arr.retention, False),
                                                 (funnel.volume, False)]
    # magic number: net new ARR now, spend of the previous period
    assert queries_for(["magic_number"]) == [(base.facts, False), (arr.flows, False),
                                             (cost.spend, True)]
    with pytest.raises(KeyError, match="not_a_metric"):
        queries_for(["not_a_metric"])


def _loaded(tmp_path, files: dict[str, str]):
    from gtm.load import store
    from gtm.load.loader import load

    folder = tmp_path / "extract"
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert load(folder, tmp_path / "db.duckdb").ok
    return store.connect(tmp_path / "db.duckdb")


PEOPLE = ("person_id,created_date,channel,mql_date\n"
          "P1,2025-03-01,events,2025-03-05\n"  # a lead and an MQL in 2025
          "P2,2025-04-01,content,\n")          # a lead only: leads 2, MQLs 1
DEALS_HEADER = "opportunity_id,created_date,stage,is_closed,is_won\n"


def test_a_table_not_provided_is_unknown_a_provided_empty_one_is_zero(tmp_path):
    """People only: nobody can say how many customers were won (None, n/a), not 0. A deals
    file with a header and no row says there were no deals: 0 new customers."""
    con = _loaded(tmp_path / "people", {"people.csv": PEOPLE})
    try:
        values = compute(con, YEAR, Settings())
    finally:
        con.close()
    assert (values["leads"], values["mqls"]) == (2, 1)
    assert values["new_customers"] is None and values["stale_pipeline_count"] is None
    assert values["mql_to_customer_rate"] is None and values["target_leads"] is None
    con = _loaded(tmp_path / "empty", {"people.csv": PEOPLE, "opportunities.csv": DEALS_HEADER})
    try:
        values = compute(con, YEAR, Settings())
    finally:
        con.close()
    assert values["new_customers"] == 0 and values["stale_pipeline_count"] == 0
