"""gtm/spark/transpile.py without Spark: the DuckDB constructs whose meaning Spark's SQL
would change, rewritten; values bound, never in the text (the parity test, which needs
Java, proves the results equal)."""

import datetime as dt

import pytest

from gtm.spark.transpile import kind, to_spark

SCHEMA = {"t": {"d": "date", "x": "double", "k": "bigint", "r": "varchar"}}


def spark(sql: str, **kinds: str) -> str:
    return to_spark(sql, kinds, SCHEMA)


def test_date_arithmetic_keeps_duckdb_meaning():
    # DuckDB: date - int is a date, date - date a number of days (Spark: an interval)
    out = spark("select $period_end - 30 as a, d - $period_start as b, d + 7 as c from t",
                period_end="date", period_start="date")
    assert "DATE_SUB(CAST(:period_end AS DATE), 30)" in out
    assert "DATEDIFF(`t`.`d`, CAST(:period_start AS DATE))" in out
    assert "DATE_ADD(`t`.`d`, 7)" in out


def test_aggregates_that_would_change_meaning():
    out = spark("select median(x) as m, quantile_cont(x, 0.9) as q, "
                "first(x order by k) as f, date_trunc('month', d) as mo from t")
    assert "PERCENTILE(`t`.`x`, 0.5)" in out and "PERCENTILE(`t`.`x`, 0.9)" in out
    assert "MIN_BY(`t`.`x`, STRUCT(`t`.`k` IS NULL, `t`.`k`))" in out  # nulls last
    assert "CAST(DATE_TRUNC('MONTH', `t`.`d`) AS DATE)" in out  # a date, as in DuckDB


def test_star_exclude_is_expanded_from_the_schema():
    out = spark("select * exclude (x, k) from t")
    assert "`t`.`d`" in out and "`t`.`r`" in out and "`x`" not in out


def test_values_are_named_parameters_never_text():
    out = spark("select count(*) as n from t where list_contains($regions, r) "
                "and r = $name", regions="list", name="str")
    assert "ARRAY_CONTAINS(CAST(:regions AS ARRAY<STRING>), `t`.`r`)" in out
    assert "CAST(:name AS STRING)" in out


def test_a_construct_not_understood_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="only ascending keys"):
        spark("select first(x order by k desc) as f from t")


def test_parameter_kinds():
    assert [kind(v) for v in (None, True, 3, 2**40, 1.5, dt.date(2025, 1, 1), "NA",
                              ["NA", "EMEA"])] == \
        ["null", "bool", "int", "bigint", "float", "date", "str", "list"]
    with pytest.raises(TypeError):
        kind(dt.datetime(2025, 1, 1))
    with pytest.raises(TypeError):
        kind({"a": 1})


def test_zipped_unnests_and_integer_ranges_become_one_generator():
    """The target definition's rules (gtm/icp.py) are parallel lists DuckDB unnests side by
    side, numbered by range(1, len + 1): Spark allows one generator per select, and its
    sequence(1, 0) would count down where DuckDB's range is empty."""
    out = spark("select unnest(range(1, len($names) + 1)) as n, unnest($names::varchar[]) "
                "as name", names="list")
    assert out.startswith("SELECT INLINE(ARRAYS_ZIP(IF(1 > SIZE(")
    assert "ARRAY(), SEQUENCE(1, SIZE(" in out and out.endswith("AS (n, name)")
    single = spark("select unnest($names::varchar[]) as name", names="list")
    assert "INLINE" not in single and "EXPLODE" in single
