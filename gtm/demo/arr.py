"""The demo company's customers: monthly ARR, renewals, churn and win-backs.

ARR must agree with the deals (a won deal adds its amount from its close month), and
the Net ARR page needs every movement of metrics.md: new, expansion, contraction,
churn and reactivation. A customer's life is simulated with one loop over the 36
months, vectorised over customers; at each contract anniversary a customer renews,
grows, contracts or churns, and some churned customers are won back later by a new
new-business deal (a reactivation in ARR).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gtm.demo.deals import (
    LOST_REASONS,
    RENEWAL,
    WINBACK,
    WON_COL,
    Opps,
    first_wins,
)
from gtm.demo.world import CH, LAST_DAY, MONTH_START, N_MONTHS, Accounts, month_of, rng

CHURN = np.array([0.2, 0.12, 0.08])  # per anniversary, by segment
CONTRACT, GROW = 0.12, 0.18  # shares of anniversaries that contract / grow
WINBACK_SHARE = 0.35
RENEWAL_DEALS = 0.5  # Enterprise anniversaries that get a renewal deal (others multi-year)


@dataclass
class Customers:
    account: np.ndarray  # account index of each customer row
    arr: np.ndarray  # (customers, 36) ARR at each month end
    renewals: Opps
    winbacks: Opps


def simulate(acc: Accounts, opps: Opps, seed: int) -> Customers:
    """Month-by-month ARR of every account with a won deal."""
    g = rng(seed, acc.n, 4)
    first = first_wins(opps, acc.n)
    cust = np.flatnonzero(first < 10**6)
    row = np.full(acc.n, -1, dtype=np.int64)
    row[cust] = np.arange(len(cust))
    adds, last_add = _won_additions(opps, row, len(cust))
    start = month_of(first[cust])
    state = _Loop(np.zeros(len(cust)), np.zeros((len(cust), N_MONTHS)), [], [])
    for m in range(N_MONTHS):
        state.arr += adds[:, m]
        _anniversary(m, start, acc.segment[cust], adds, last_add, state, g)
        state.out[:, m] = np.round(state.arr)
    renewals = _renewal_opps(acc, cust, state, start, g)
    winbacks = _winback_opps(cust, state.winbacks, g)
    return Customers(cust, state.out, renewals, winbacks)


@dataclass
class _Loop:
    arr: np.ndarray
    out: np.ndarray
    events: list  # (customer rows, month, arr before, arr after, churned)
    winbacks: list  # (customer row, month, amount)


def _won_additions(opps: Opps, row: np.ndarray, n_cust: int):
    """ARR each customer adds in each month from won deals, and its last such month."""
    won = np.flatnonzero(opps.won & opps.closed)
    r, m = row[opps.account[won]], month_of(opps.days[won, WON_COL])
    adds = np.zeros((n_cust, N_MONTHS))
    np.add.at(adds, (r, m), opps.amount[won])
    last = np.full(n_cust, -1, dtype=np.int64)
    np.maximum.at(last, r, m)
    return adds, last


def _anniversary(m, start, seg, adds, last_add, state: _Loop, g) -> None:
    """Renew, contract, grow or churn at each contract anniversary; schedule win-backs."""
    due = np.flatnonzero((m > start) & ((m - start) % 12 == 0) & (state.arr > 0))
    u = g.random(len(due))
    churn = (u < CHURN[seg[due]]) & (m > last_add[due])
    contract = ~churn & (u >= 1 - CONTRACT - GROW) & (u < 1 - GROW)
    grow = ~churn & (u >= 1 - GROW)
    before = state.arr[due].copy()
    state.arr[due[contract]] *= g.uniform(0.6, 0.9, int(contract.sum()))
    state.arr[due[grow]] *= g.uniform(1.1, 1.4, int(grow.sum()))
    state.arr[due[churn]] = 0
    state.arr[due] = np.round(state.arr[due])
    state.events.append((due, m, before, state.arr[due].copy(), churn))
    back = due[churn & (g.random(len(due)) < WINBACK_SHARE)]
    if not state.winbacks and churn.any() and not len(back):
        back = due[churn][:1]  # the story needs at least one reactivation
    when = m + 4 + g.integers(0, 9, len(back))
    amount = np.round(before[np.searchsorted(due, back)] * g.uniform(0.6, 1.0, len(back)), -2)
    keep = when < N_MONTHS
    for b, w, amt in zip(back[keep], when[keep], amount[keep], strict=True):  # a few rows
        adds[b, w] += amt
        last_add[b] = max(last_add[b], w)
        state.winbacks.append((b, w, amt))


def _renewal_opps(acc: Accounts, cust, state: _Loop, start, g) -> Opps:
    """A renewal deal at each Enterprise anniversary (lost when churned),
    plus the open renewals of the next two months."""
    rows, months, amounts, lost = [], [], [], []
    for due, m, before, after, churn in state.events:
        keep = (acc.segment[cust[due]] == 2) & (g.random(len(due)) < RENEWAL_DEALS)
        rows.append(due[keep])
        months.append(np.full(int(keep.sum()), m))
        amounts.append(np.where(churn, before, after)[keep])
        lost.append(churn[keep])
    for m in (N_MONTHS, N_MONTHS + 1):
        due = np.flatnonzero((m - start) % 12 == 0) if len(start) else np.array([], int)
        due = due[(state.out[due, -1] > 0) & (acc.segment[cust[due]] == 2) & (start[due] < m)]
        rows.append(due)
        months.append(np.full(len(due), m))
        amounts.append(state.out[due, -1])
        lost.append(np.zeros(len(due), bool))
    return _renewals(cust, *(np.concatenate(x) for x in (rows, months, amounts, lost)), g)


def _renewals(cust, rows, months, amounts, lost, g) -> Opps:
    n = len(rows)
    close = MONTH_START[months] - 1 - g.integers(0, 10, n)
    created = close - 45 - g.integers(0, 30, n)
    days = np.full((n, 6), -1, dtype=np.int64)
    days[:, 3] = created
    days[:, 4] = created + 15 + g.integers(0, 10, n)
    days[:, WON_COL] = close
    days[days > LAST_DAY] = -1
    reason = np.where(lost, g.choice([9, 10], n, p=[0.6, 0.4]), -1)
    return Opps(np.full(n, RENEWAL), cust[rows], created, days, close, ~lost,
                np.round(amounts, -2), np.full(n, -1), np.full(n, -1), reason,
                1 + g.poisson(1.0, n), np.full(n, -1))


def _winback_opps(cust, winbacks: list, g) -> Opps:
    """New-business deals that bring a churned customer back (a reactivation)."""
    rows = np.array([w[0] for w in winbacks], dtype=np.int64)
    months = np.array([w[1] for w in winbacks], dtype=np.int64)
    n = len(rows)
    span = MONTH_START[months + 1] - MONTH_START[months]
    close = MONTH_START[months] + np.floor(g.random(n) * span).astype(np.int64)
    close = np.minimum(close, LAST_DAY)
    created = close - 30 - g.integers(0, 45, n)
    steps = np.linspace(0, 1, 6)[None, :] * (close - created)[:, None]
    days = created[:, None] + np.round(steps).astype(np.int64)
    channel = np.where(g.random(n) < 0.6, CH["outbound"], CH["referral"])
    amount = np.array([w[2] for w in winbacks], dtype=float)
    return Opps(np.full(n, WINBACK), cust[rows], created, days, close, np.ones(n, bool),
                amount, channel, np.full(n, -1), np.full(n, -1), 2 + g.poisson(1.0, n),
                np.full(n, -1))


assert LOST_REASONS[9].startswith("Churned") and LOST_REASONS[10].startswith("Churned")
