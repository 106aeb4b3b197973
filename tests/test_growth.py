"""The growth equation (gtm/plan/growth.py): hand-computed funnels, round trips, sensitivity, band."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtm.plan import growth
from gtm.plan.growth import SOLVE_FOR, PlanInputs, forecast_band, sensitivity, solve

# R = 1,200,000; A = 40,000; w = 0.25; q = 0.5; c = 20,000; M = 1,000 people; group 7
BASE = PlanInputs(revenue_goal=1_200_000, sale_price=40_000, win_rate=0.25,
                  qualification_rate=0.5, cac=20_000, addressable_people=1_000)
FUNNEL = {
    "revenue_goal": 1_200_000,
    "customers": 30,  # N = 1,200,000 / 40,000
    "qualified_opportunities": 120,  # Q = 30 / 0.25
    "engaged_targets": 240,  # T = 120 / 0.5
    "budget": 600_000,  # B = 30 x 20,000
}


def close(a, b) -> bool:
    return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# ------------------------------------------------------------------ hand-computed examples


def test_forward_chain_and_infeasible_market():
    plan = solve(BASE, "engaged_targets")
    for name, expected in FUNNEL.items():
        assert plan.value(name) == pytest.approx(expected)
    assert plan.people_needed == pytest.approx(1_680)  # 240 x 7
    assert plan.feasible is False  # 1,680 > 1,000
    assert plan.excess_people == pytest.approx(680)  # 1,680 - 1,000
    assert plan.excess_ratio == pytest.approx(1.68)  # 1,680 / 1,000
    assert plan.solved_from == "revenue_goal"
    assert "1,680" in plan.notes[-1] and "68 % more than the market" in plan.notes[-1]


def test_default_solves_engaged_targets_from_the_revenue_goal():
    assert growth.DEFAULT_SOLVE_FOR == "engaged_targets"
    assert solve(BASE).solve_for == "engaged_targets"


def test_feasible_market_with_headroom():
    # 1,680 people needed of 2,400 addressable: 70 %, 720 to spare
    plan = solve(replace(BASE, addressable_people=2_400))
    assert plan.feasible is True
    assert plan.excess_people == pytest.approx(-720)
    assert plan.excess_ratio == pytest.approx(0.70)
    assert "70 %" in plan.notes[-1] and "feasible" in plan.notes[-1]


def test_exactly_the_market_is_feasible():
    # 240 targets x 7 = 1,680 = M
    plan = solve(replace(BASE, addressable_people=1_680))
    assert plan.feasible is True and plan.excess_people == 0 and plan.excess_ratio == 1


def test_group_size_one_counts_accounts():
    # T = 240 accounts; M = 200 accounts -> 40 over, ratio 1.2
    plan = solve(replace(BASE, group_size=1, addressable_people=200))
    assert plan.people_needed == 240 and plan.excess_people == 40
    assert plan.excess_ratio == pytest.approx(1.2)


def test_revenue_goal_solved_from_budget():
    # B = 600,000; c = 20,000 -> N = 30 -> R = 30 x 40,000 = 1,200,000, Q = 120, T = 240
    inputs = replace(BASE, revenue_goal=999, budget=600_000)  # the solved R input is ignored
    plan = solve(inputs, "revenue_goal")
    assert plan.solved_from == "budget"
    for name, expected in FUNNEL.items():
        assert plan.value(name) == pytest.approx(expected)


def test_revenue_goal_solved_from_engaged_targets_when_no_budget():
    # T = 100 accounts; q = 0.5 -> Q = 50; w = 0.25 -> N = 12.5; A = 40,000 -> R = 500,000
    plan = solve(replace(BASE, engaged_targets=100), "revenue_goal")
    assert plan.solved_from == "engaged_targets"
    assert plan.qualified_opportunities == pytest.approx(50)
    assert plan.customers == pytest.approx(12.5)
    assert plan.revenue_goal == pytest.approx(500_000)
    assert plan.budget == pytest.approx(250_000)  # 12.5 x 20,000


def test_customers_mode_needs_only_revenue_and_price():
    # N = 1,200,000 / 40,000 = 30; without w, q, c the rest is n/a, never an error
    inputs = PlanInputs(1_200_000, 40_000, None, None, None, None)
    plan = solve(inputs, "customers")
    assert plan.customers == 30
    assert plan.qualified_opportunities is None and plan.engaged_targets is None
    assert plan.budget is None and plan.feasible is None and plan.excess_ratio is None
    assert any("Qualified win rate is missing" in n for n in plan.notes)


def test_budget_and_opportunity_modes():
    # budget: N = 30, B = 30 x 20,000 = 600,000; qualified opportunities: Q = 30 / 0.25 = 120
    assert solve(BASE, "budget").budget == pytest.approx(600_000)
    assert solve(BASE, "qualified_opportunities").qualified_opportunities == pytest.approx(120)


def test_no_anchor_gives_none_and_a_hint():
    plan = solve(BASE, "revenue_goal")  # no budget, customers, opportunities or targets given
    assert plan.solved_from is None
    assert all(plan.value(n) is None for n in SOLVE_FOR)
    assert "acquisition budget" in plan.notes[0]


# ------------------------------------------------------------------ n/a and errors


@pytest.mark.parametrize("field, missing", [
    ("sale_price", "customers"), ("win_rate", "qualified_opportunities"),
    ("qualification_rate", "engaged_targets"),
])
def test_zero_denominator_gives_none(field, missing):
    plan = solve(replace(BASE, **{field: 0}))
    assert plan.value(missing) is None and plan.engaged_targets is None
    assert plan.people_needed is None and plan.feasible is None
    assert any(f"{growth.label(field)} is zero" in n for n in plan.notes)


def test_zero_cac_means_free_customers_forward_but_na_backward():
    assert solve(replace(BASE, cac=0), "budget").budget == 0  # 30 x 0
    backward = solve(replace(BASE, cac=0, budget=600_000), "revenue_goal")  # N = 600,000 / 0
    assert backward.revenue_goal is None and backward.customers is None


def test_zero_market_is_infeasible_without_a_ratio():
    plan = solve(replace(BASE, addressable_people=0))
    assert plan.feasible is False and plan.excess_people == 1_680 and plan.excess_ratio is None


def test_nan_input_is_missing():
    plan = solve(replace(BASE, sale_price=float("nan")))
    assert plan.customers is None and plan.revenue_goal == 1_200_000
    assert "Average sale price is missing, so customers needed is n/a." in plan.notes
    # a NaN budget is no anchor: revenue is then solved from the customers given
    plan = solve(replace(BASE, budget=float("nan"), customers=10), "revenue_goal")
    assert plan.solved_from == "customers" and plan.revenue_goal == 400_000  # 10 x 40,000


def test_budget_is_the_first_anchor_after_the_revenue_goal():
    # budget 600,000 -> N = 30 (not the 10 customers also given) -> R = 1,200,000
    plan = solve(replace(BASE, budget=600_000, customers=10), "revenue_goal")
    assert plan.solved_from == "budget" and plan.revenue_goal == pytest.approx(1_200_000)
    # solving for the budget, the revenue goal wins over the customers given: B = 600,000
    plan = solve(replace(BASE, customers=10), "budget")
    assert plan.solved_from == "revenue_goal" and plan.budget == pytest.approx(600_000)


def test_overflow_gives_none_not_infinity():
    # 1,680 people / 2e-313 addressable and 1e300 / 1e-300 customers overflow a float
    assert solve(replace(BASE, addressable_people=2e-313)).excess_ratio is None
    plan = solve(replace(BASE, revenue_goal=1e300, sale_price=1e-300))
    assert plan.customers is None and plan.revenue_goal == 1e300


@pytest.mark.parametrize("field", ["revenue_goal", "sale_price", "win_rate",
                                   "qualification_rate", "cac", "addressable_people", "budget"])
def test_negative_input_raises(field):
    with pytest.raises(ValueError, match="must not be negative"):
        solve(replace(BASE, **{field: -1}))


@pytest.mark.parametrize("changes, message", [
    ({"win_rate": 1.5}, "between 0 and 1"),
    ({"group_size": 0}, "at least 1"),
    ({"group_size": 2.5}, "whole number"),
    ({"cac": float("inf")}, "finite"),
])
def test_invalid_inputs_raise(changes, message):
    with pytest.raises(ValueError, match=message):
        solve(replace(BASE, **changes))


def test_unknown_solve_for_raises():
    with pytest.raises(ValueError, match="solve_for must be one of"):
        solve(BASE, "pipeline")


def test_every_field_has_a_label_and_a_known_unit():
    from gtm.fmt import FORMATTERS

    names = set(SOLVE_FOR) | set(growth.RATES) | {"addressable_people", "group_size",
                                                  "people_needed", "excess_people", "excess_ratio"}
    assert names <= set(growth.FIELD_LABELS) and names <= set(growth.FIELD_UNITS)
    assert set(growth.FIELD_UNITS.values()) <= set(FORMATTERS)
    assert growth.format_field("budget", 600_000) == "$600K"
    assert growth.format_field("customers", None) == "n/a"


# ------------------------------------------------------------------ property tests

positive = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False, allow_infinity=False)
rates = st.floats(min_value=1e-3, max_value=1.0)
qualification = st.floats(min_value=1e-3, max_value=20.0)
plans = st.builds(PlanInputs, revenue_goal=positive, sale_price=positive, win_rate=rates,
                  qualification_rate=qualification, cac=positive, addressable_people=positive,
                  group_size=st.integers(min_value=1, max_value=20))


@settings(max_examples=200, deadline=None)
@given(plans, st.sampled_from(SOLVE_FOR), st.sampled_from(growth.ANCHOR_ORDER))
def test_every_mode_round_trips_from_any_anchor(inputs, solve_for, anchor):
    """Solving for X from another plan's value of any other quantity gives that plan's X back."""
    forward = solve(inputs, "engaged_targets")
    if anchor == solve_for:
        anchor = "revenue_goal" if solve_for != "revenue_goal" else "budget"
    quantities = dict.fromkeys(SOLVE_FOR)
    quantities[anchor] = forward.value(anchor)
    plan = solve(replace(inputs, **quantities), solve_for)
    assert plan.solved_from == anchor
    for name in SOLVE_FOR:
        assert close(plan.value(name), forward.value(name)), name
    assert plan.feasible == forward.feasible or close(plan.people_needed, inputs.addressable_people)


@settings(max_examples=200, deadline=None)
@given(plans)
def test_funnel_identities_and_feasibility(inputs):
    plan = solve(inputs)
    R, A, w, q, c = (inputs.revenue_goal, inputs.sale_price, inputs.win_rate,
                     inputs.qualification_rate, inputs.cac)
    assert close(plan.customers * A, R)
    assert close(plan.qualified_opportunities * w, plan.customers)
    assert close(plan.engaged_targets * q, plan.qualified_opportunities)
    assert close(plan.budget, plan.customers * c)
    assert close(plan.people_needed, plan.engaged_targets * inputs.group_size)
    assert plan.feasible == (plan.people_needed <= inputs.addressable_people)
    assert close(plan.excess_people, plan.people_needed - inputs.addressable_people)
    assert close(plan.excess_ratio, plan.people_needed / inputs.addressable_people)


optional = st.one_of(st.none(), st.just(0.0), st.floats(min_value=0, max_value=1e9),
                     st.floats(min_value=0, allow_infinity=False))  # up to 1.8e308, subnormals


@settings(max_examples=300, deadline=None)
@given(st.builds(PlanInputs, revenue_goal=optional, sale_price=optional,
                 win_rate=st.one_of(st.none(), st.floats(min_value=0, max_value=1)),
                 qualification_rate=optional, cac=optional, addressable_people=optional,
                 budget=optional, engaged_targets=optional),
       st.sampled_from(SOLVE_FOR))
def test_missing_or_zero_inputs_never_raise_or_give_infinity(inputs, solve_for):
    plan = solve(inputs, solve_for)
    for name in SOLVE_FOR + ("people_needed", "excess_people", "excess_ratio"):
        value = plan.value(name)
        assert value is None or math.isfinite(value), name
    assert plan.feasible in (True, False, None)
    assert all(isinstance(n, str) and n for n in plan.notes)


# ------------------------------------------------------------------ sensitivity


def by_input(rows):
    return {r["input"]: r for r in rows}


def test_sensitivity_of_engaged_targets_hand_computed():
    rows = by_input(sensitivity(BASE, "engaged_targets"))
    assert set(rows) == {"revenue_goal", "sale_price", "win_rate", "qualification_rate"}  # no CAC
    # R x 0.9 = 1,080,000 -> T = 216; R x 1.1 -> 264
    assert rows["revenue_goal"]["low"] == pytest.approx(216)
    assert rows["revenue_goal"]["high"] == pytest.approx(264)
    assert rows["revenue_goal"]["swing"] == pytest.approx(48)
    # w = 0.225 -> T = 30 / 0.225 / 0.5 = 266.67; w = 0.275 -> 218.18
    assert rows["win_rate"]["low"] == pytest.approx(266.6667, rel=1e-6)
    assert rows["win_rate"]["high"] == pytest.approx(218.1818, rel=1e-6)
    assert rows["win_rate"]["base"] == pytest.approx(240)
    assert rows["win_rate"]["label"] == "Qualified win rate"


def test_sensitivity_rows_are_sorted_by_swing_for_a_tornado():
    rows = sensitivity(BASE, "budget")
    swings = [r["swing"] for r in rows]
    assert swings == sorted(swings, reverse=True)
    # budget = R / A x c: A x 0.9 -> 666,667, A x 1.1 -> 545,455 (swing 121,212) beats R and c (120,000)
    assert rows[0]["input"] == "sale_price"
    assert {r["input"] for r in rows} == {"revenue_goal", "sale_price", "cac"}


def test_sensitivity_of_revenue_from_budget():
    rows = by_input(sensitivity(replace(BASE, budget=600_000), "revenue_goal"))
    assert set(rows) == {"budget", "cac", "sale_price"}
    assert rows["budget"]["high"] == pytest.approx(1_320_000)  # 660,000 / 20,000 x 40,000
    assert rows["cac"]["high"] < rows["cac"]["low"]  # dearer customers, less revenue


def test_sensitivity_caps_win_rate_at_one():
    rows = by_input(sensitivity(replace(BASE, win_rate=0.95), "engaged_targets"))
    assert rows["win_rate"]["high_input"] == 1.0
    assert rows["win_rate"]["high"] == pytest.approx(60)  # 30 / 1.0 / 0.5


def test_sensitivity_of_market_share_includes_the_market():
    rows = by_input(sensitivity(BASE, "engaged_targets", output="excess_ratio"))
    assert rows["addressable_people"]["low"] == pytest.approx(1680 / 900)
    assert rows["addressable_people"]["high"] == pytest.approx(1680 / 1100)


def test_sensitivity_empty_when_base_is_na_and_rejects_bad_arguments():
    assert sensitivity(replace(BASE, win_rate=0), "engaged_targets") == []
    with pytest.raises(ValueError):
        sensitivity(BASE, "engaged_targets", output="nonsense")
    with pytest.raises(ValueError):
        sensitivity(BASE, "engaged_targets", step=1.5)


@settings(max_examples=150, deadline=None)
@given(plans)
def test_sensitivity_signs(inputs):
    """More revenue wants more of everything; better rates or prices want fewer targets."""
    inputs = replace(inputs, win_rate=min(inputs.win_rate, 0.9))
    targets = by_input(sensitivity(inputs, "engaged_targets"))
    assert targets["revenue_goal"]["high"] > targets["revenue_goal"]["low"]
    for rate in ("win_rate", "qualification_rate", "sale_price"):
        assert targets[rate]["high"] < targets[rate]["base"] < targets[rate]["low"], rate
    budget = by_input(sensitivity(inputs, "budget"))
    assert budget["cac"]["high"] > budget["cac"]["low"]
    assert budget["sale_price"]["high"] < budget["sale_price"]["low"]


# ------------------------------------------------------------------ forecast band


def constant_history(months=6):
    # every month: 10 qualified closed, 25 % won (2.5), $40,000 average -> $100,000 new ARR
    return [{"month": f"2024-{m:02d}", "qualified_opportunities": 10, "won": 2.5,
             "win_rate": 0.25, "avg_deal": 40_000} for m in range(1, months + 1)]


def test_constant_history_gives_exact_arithmetic():
    band = forecast_band(constant_history(), months_ahead=12)
    # 12 months x 10 x 0.25 x 40,000 = 1,200,000
    assert band["p10"] == band["p50"] == band["p90"] == pytest.approx(1_200_000, abs=1e-6)
    assert band["months_ahead"] == 12 and band["basis_months"] == 6 and band["reason"] is None


def test_constant_history_with_a_planned_volume():
    band = forecast_band(pd.DataFrame(constant_history()), months_ahead=3, qualified_per_month=20)
    assert band["p10"] == band["p90"] == pytest.approx(600_000)  # 3 x 20 x 0.25 x 40,000


def test_band_is_ordered_seeded_and_spread_on_a_varying_history():
    history = [
        {"month": "2024-01", "qualified_opportunities": 10, "win_rate": 0.2, "avg_deal": 30_000},
        {"month": "2024-02", "qualified_opportunities": 14, "win_rate": 0.3, "avg_deal": 50_000},
        {"month": "2024-03", "qualified_opportunities": 8, "win_rate": 0.25, "avg_deal": 40_000},
        {"month": "2024-04", "qualified_opportunities": 12, "win_rate": 0.1, "avg_deal": 45_000},
    ]
    band = forecast_band(history, seed=7)
    assert band["p10"] < band["p50"] < band["p90"]
    assert band == forecast_band(history, seed=7)
    # the band lies between every month at its worst (8 x 0.1 x 30,000 x 12 = 288,000)
    # and every month at its best (14 x 0.3 x 50,000 x 12 = 2,520,000)
    assert 288_000 < band["p10"] and band["p90"] < 2_520_000


def test_band_skips_months_without_wins_for_deal_size():
    # March closed 5, won 0: win rate 0 counts, its undefined deal size is skipped
    history = constant_history(3) + [{"month": "2024-04", "qualified_opportunities": 5,
                                      "won": 0, "win_rate": 0.0, "avg_deal": None}]
    band = forecast_band(history, months_ahead=1, n_sims=20_000)
    assert band["basis_months"] == 3
    assert band["p10"] == 0  # a quarter of the simulated months draw the zero win rate
    assert band["p90"] == pytest.approx(10 * 0.25 * 40_000)


def test_band_derives_rates_from_counts_and_amounts():
    rows = [{"month": m, "qualified_opportunities": 4, "won": 1, "won_amount": 50_000}
            for m in ("2024-01", "2024-02", "2024-03")]
    band = forecast_band(rows, months_ahead=2)  # 2 x 4 x 0.25 x 50,000 = 100,000
    assert band["p50"] == pytest.approx(100_000)


def test_too_little_history_gives_no_band_and_a_reason():
    band = forecast_band(constant_history(2))
    assert band["p10"] is None and band["p50"] is None and band["p90"] is None
    assert "at least 3 months" in band["reason"] and band["basis_months"] == 2
    planned = forecast_band(constant_history(2), qualified_per_month=10)  # volume is no excuse
    assert planned["p50"] is None and "2 with a win rate" in planned["reason"]
    assert forecast_band([])["reason"]


def test_band_rejects_impossible_history():
    with pytest.raises(ValueError):
        forecast_band(constant_history() + [{"month": "x", "qualified_opportunities": 1,
                                             "win_rate": 1.4, "avg_deal": 10}])
    with pytest.raises(ValueError):
        forecast_band(constant_history(), months_ahead=0)


history_rows = st.lists(
    st.fixed_dictionaries({
        "qualified_opportunities": st.integers(min_value=0, max_value=200),
        "win_rate": st.floats(min_value=0, max_value=1),
        "avg_deal": st.floats(min_value=0, max_value=1e6),
    }), min_size=3, max_size=24)


@settings(max_examples=60, deadline=None)
@given(history_rows, st.integers(min_value=1, max_value=24), st.integers(0, 2**32 - 1))
def test_band_ordering_and_determinism(rows, months_ahead, seed):
    band = forecast_band(rows, months_ahead=months_ahead, n_sims=500, seed=seed)
    assert band["p10"] <= band["p50"] <= band["p90"]
    assert band == forecast_band(rows, months_ahead=months_ahead, n_sims=500, seed=seed)
    best = max(r["qualified_opportunities"] for r in rows) * max(r["win_rate"] for r in rows) \
        * max(r["avg_deal"] for r in rows) * months_ahead
    assert 0 <= band["p10"] and band["p90"] <= best * (1 + 1e-9) + 1e-6
