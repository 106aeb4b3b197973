"""Dates of CRM exports: one form per column, decided from all its values, or refused."""

from gtm.importers.dates import parse_column


def test_us_column_is_read_month_first():
    # 3/22 can only be month/day (no 22nd month), so the whole column is US
    values, problems = parse_column(["3/22/2018", "4/1/2018 2:05 PM", None, ""])
    assert problems == []
    assert values == ["2018-03-22", "2018-04-01T14:05:00", None, None]


def test_european_columns_slash_dash_and_dot():
    assert parse_column(["22/03/2018", "01/04/2018"]) == (["2018-03-22", "2018-04-01"], [])
    assert parse_column(["22-03-2018", "01-04-2018"]) == (["2018-03-22", "2018-04-01"], [])
    assert parse_column(["22.03.2018", "1.4.2018"]) == (["2018-03-22", "2018-04-01"], [])


def test_timestamps_with_zones_become_utc():
    values, problems = parse_column([
        "2018-03-22T14:05:00.000+0000",  # Salesforce Data Loader
        "2018-03-22T23:30:00-05:00",  # 23:30 in New York = 04:30 next day UTC
        "2018-03-22 14:05",  # HubSpot export, no zone: kept as written
        "2018-03-22T14:05:00Z"])
    assert problems == []
    assert values == ["2018-03-22T14:05:00", "2018-03-23T04:30:00", "2018-03-22T14:05:00",
                      "2018-03-22T14:05:00"]


def test_ambiguous_column_is_refused_asking_for_the_format():
    values, problems = parse_column(["3/4/2018", "4/5/2018"])
    assert values == [None, None]
    assert len(problems) == 1 and problems[0][0] is None
    assert "every value fits both month/day/year and day/month/year" in problems[0][1]
    assert 'date_format: "%m/%d/%Y" for US month/day, "%d/%m/%Y" for European' in problems[0][1]


def test_ambiguous_column_reads_with_a_given_format():
    assert parse_column(["03/04/2018"], "%d/%m/%Y") == (["2018-04-03"], [])
    assert parse_column(["03/04/2018"], "%m/%d/%Y") == (["2018-03-04"], [])
    _, problems = parse_column(["2018-04-03"], "%d/%m/%Y")
    assert problems == [(0, "'2018-04-03' does not match the date format %d/%m/%Y")]


def test_us_and_european_values_in_one_column_are_refused_naming_both_lines():
    _, problems = parse_column(["3/22/2018", "1/1/2018", "22/03/2018"], lines=[2, 3, 7])
    assert problems[0][0] == 2  # the later of the two conflicting values (line 7)
    assert "'22/03/2018' and '3/22/2018' (line 2)" in problems[0][1]


def test_iso_and_slash_mixed_is_refused():
    _, problems = parse_column(["2018-03-22", "3/22/2018"], lines=[2, 9])
    assert problems == [(1, "'3/22/2018' is written a/b/yyyy but '2018-03-22' (line 2) is "
                            "year-month-day (ISO); a column must use one date format: correct "
                            "or re-export it")]


def test_two_digit_years_and_impossible_dates_are_refused():
    assert "two-digit year" in parse_column(["3/22/18"])[1][0][1]
    assert parse_column(["2/30/2018", "3/22/2018"])[1] == [
        (0, "'2/30/2018' is not a real calendar date or time")]
    assert "is not a date" in parse_column(["next Tuesday"])[1][0][1]
