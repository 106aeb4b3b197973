"""The demo company's deals: opportunities, their stage history and buying groups.

Why a module of its own: the deal stories (buying-group size drives win rate, a
middle stage is the natural qualified stage, fast no's, stale deals, the paid-search
push drowning the sales team) all live in how one opportunity's fate is drawn, and
that logic is easier to check when it sits apart from file writing. Everything is
vectorised over opportunities; each opportunity's stage dates are one row of a
(n x 6) day matrix: Prospecting, Discovery, Solution Fit, Proposal, Negotiation,
closed (-1 = never entered).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from gtm.demo.world import (
    CH,
    LAST_DAY,
    N_MONTHS,
    Accounts,
    People,
    month_index,
    month_of,
    rng,
)

STAGES = ("Prospecting", "Discovery", "Solution Fit", "Proposal", "Negotiation",
          "Closed Won", "Closed Lost")
OPEN_STAGES = 5
WON_COL = 5  # the closing column of the day matrix; its stage is Closed Won or Closed Lost
LOST_REASONS = ("Not ICP", "No budget", "Unresponsive", "Duplicate", "No decision", "Timing",
                "Lost to competitor", "Price", "Missing feature", "Churned: budget cuts",
                "Churned: switched to competitor")
TYPES = ("new_business", "expansion", "renewal")
PROCESS, RENEWAL, WINBACK = 0, 1, 2

# How likely each channel's and role's person is to source a deal, and how well the
# deal qualifies and wins afterwards (events, outbound, referrals best; paid worst).
CH_OPP = np.array([0.6, 0.6, 4.5, 1.5, 1.0, 5.0, 1.8, 1.3, 1.0, 1.8])
CH_Q = np.array([0.75, 0.75, 1.35, 0.95, 0.95, 1.3, 1.0, 1.0, 0.9, 1.05])
CH_W = np.array([0.75, 0.75, 1.3, 0.95, 0.95, 1.25, 1.0, 1.0, 1.0, 1.0])
ROLE_OPP = np.array([1.5, 1.8, 1.5, 1.0, 0.9, 0.7, 0.5, 0.3, 0.3])
# By buying-group bucket (1, 2-3, 4-6, 7+ contacts): P(qualify), P(win | qualified).
BASE_Q = np.array([0.26, 0.33, 0.40, 0.45])
BASE_W = np.array([0.21, 0.31, 0.41, 0.52])
AMOUNT = np.array([12_000.0, 45_000.0, 150_000.0])
NB_PER_ACCOUNT = 4.8  # sales-process opportunities per account over the 36 months
TARGET_DEALS = 0.0022  # a target-account person's deal weight (others: per account)


def _capacity(factors: dict[tuple[int, int], float]) -> np.ndarray:
    """Per-month multiplier (1 outside the push): the sales team drowning in junk."""
    cap = np.ones(N_MONTHS + 60)
    for (year, month), f in factors.items():
        cap[month_index(year, month)] = f
    return cap


_PUSH = ((2025, 7), (2025, 8), (2025, 9), (2025, 10), (2025, 11), (2025, 12))
CAP_CREATE = _capacity(dict(zip(_PUSH, (0.7, 0.55, 0.55, 0.7, 0.85, 0.95), strict=True)))
CAP_QUAL = _capacity(dict(zip(_PUSH, (0.6, 0.5, 0.5, 0.6, 0.75, 0.9), strict=True)))
CAP_WIN = _capacity(dict(zip(_PUSH, (0.65, 0.5, 0.45, 0.45, 0.55, 0.75), strict=True)))


@dataclass
class AccountIndex:
    """Matched people grouped by account, oldest first, to pick buying groups."""

    order: np.ndarray  # person indices sorted by (account, created)
    key: np.ndarray  # account * 2**20 + created, in that order
    start: np.ndarray  # first position of each account's block
    pos: np.ndarray  # position of each person inside its account block (-1 unmatched)

    def count_before(self, account: np.ndarray, day: np.ndarray) -> np.ndarray:
        """People of the account created on or before day."""
        found = np.searchsorted(self.key, account * 2**20 + day, side="right")
        return found - self.start[account]


def account_index(p: People, n_accounts: int) -> AccountIndex:
    matched = np.flatnonzero(p.account >= 0)
    order = matched[np.lexsort((p.created[matched], p.account[matched]))]
    key = p.account[order] * 2**20 + p.created[order]
    start = np.searchsorted(p.account[order], np.arange(n_accounts + 1))
    pos = np.full(p.n, -1, dtype=np.int64)
    pos[order] = np.arange(len(order)) - start[p.account[order]]
    return AccountIndex(order, key, start, pos)


@dataclass
class Opps:
    """Column arrays of opportunities before ids are assigned."""

    kind: np.ndarray
    account: np.ndarray
    created: np.ndarray
    days: np.ndarray  # (n, 6) stage entry days, -1 = not entered (or not yet)
    close: np.ndarray  # actual close day when closed, expected otherwise
    won: np.ndarray
    amount: np.ndarray
    channel: np.ndarray  # -1 = none
    source: np.ndarray  # person index, -1 = none
    lost_reason: np.ndarray  # -1 = none
    k: np.ndarray  # contacts on the deal
    first_pos: np.ndarray  # block position of the first (primary) contact

    @property
    def n(self) -> int:
        return len(self.kind)

    @property
    def closed(self) -> np.ndarray:
        return self.days[:, WON_COL] >= 0

    def take(self, rows: np.ndarray) -> Opps:
        return Opps(**{f.name: getattr(self, f.name)[rows] for f in fields(self)})

    @staticmethod
    def concat(parts: list[Opps]) -> Opps:
        return Opps(**{f.name: np.concatenate([getattr(p, f.name) for p in parts])
                       for f in fields(Opps)})


def pick_sources(p: People, acc: Accounts, g: np.random.Generator) -> np.ndarray:
    """People whose engagement creates a deal (about NB_PER_ACCOUNT per account)."""
    matched = p.account >= 0
    a = np.maximum(p.account, 0)
    key = np.where(p.mql >= 0, p.mql, p.created)
    ordinary = np.bincount(p.account[matched & ~p.junk], minlength=acc.n)
    affinity = np.array([1.0, 1.8, 3.0])[acc.segment] * (0.4 + acc.latent_fit / 100)
    # other accounts: deals per account; target accounts: deals per person, hot ones more
    affinity = affinity * np.where(acc.is_target, TARGET_DEALS * acc.plan.account_heat(),
                                   1 / np.maximum(ordinary, 1))
    engaged = (p.mql >= 0) | (p.channel == CH["outbound"]) | (p.channel == CH["events"])
    w = CH_OPP[p.channel] * ROLE_OPP[p.role] * np.where(engaged, 1.6, 0.5) * affinity[a]
    w = w * np.where(p.junk, 0.3, CAP_CREATE[month_of(key)]) * matched
    scale = NB_PER_ACCOUNT * acc.n / w.sum()
    for _ in range(3):  # rescale so the capped probabilities still hit the target count
        scale *= NB_PER_ACCOUNT * acc.n / np.minimum(0.9, scale * w).sum()
    return np.flatnonzero(g.random(p.n) < np.minimum(0.9, scale * w))


def contacts_wanted(seg: np.ndarray, target: np.ndarray, g) -> np.ndarray:
    """Buying-group size a deal engages: larger for bigger and target accounts."""
    n = len(seg)
    base = np.select([seg == 0, seg == 1], [1 + g.poisson(0.6, n), 1 + g.poisson(1.6, n)],
                     2 + g.poisson(3.5, n))
    return base + target * g.poisson(2.5, n)


def bucket(k: np.ndarray) -> np.ndarray:
    """Threading bucket of metrics.md: 1, 2-3, 4-6, 7+ contacts."""
    return np.searchsorted([2, 4, 7], k, side="right")


def process_opps(p: People, acc: Accounts, idx: AccountIndex, seed: int) -> Opps:
    """Sales-process deals (new business, later typed expansion for customers)."""
    g = rng(seed, acc.n, 3)
    src = pick_sources(p, acc, g)
    key = np.where(p.mql[src] >= 0, p.mql[src], p.created[src])
    created = key + 1 + np.floor(g.exponential(8.0, len(src))).astype(np.int64)
    src, created = src[created <= LAST_DAY], created[created <= LAST_DAY]
    a = p.account[src]
    seg, target = acc.segment[a], acc.is_target[a]
    k = np.minimum(contacts_wanted(seg, target, g), idx.count_before(a, created))
    days, won, reason = _fates(created, seg, target, p.channel[src], p.junk[src], k, g)
    amount = np.round(AMOUNT[seg] * g.lognormal(0, 0.5, len(src)) * (1 + 0.3 * target), -2)
    close = days[:, WON_COL].copy()
    _stall(days, g)
    return Opps(np.full(len(src), PROCESS), a, created, days, close, won, amount,
                p.channel[src], src, reason, k, idx.pos[src])


def _fates(created, seg, target, channel, junk, k, g):
    """Qualify? win? when? -> stage-day matrix, planned win, lost reason."""
    n = len(created)
    kb = bucket(k)
    lag_q = 7 + np.round(g.gamma(2.0, np.array([7.0, 12.0, 20.0])[seg])).astype(np.int64)
    qual = created + lag_q
    p_q = BASE_Q[kb] * CH_Q[channel] * (1 + 0.15 * target) * CAP_QUAL[month_of(qual)]
    qualified = g.random(n) < np.where(junk, 0.2, 1.0) * p_q
    cycle = 10 + np.round(g.gamma(3.0, np.array([9.0, 22.0, 37.0])[seg])).astype(np.int64)
    p_w = BASE_W[kb] * CH_W[channel] * CAP_WIN[month_of(qual + cycle)]
    won = qualified & (g.random(n) < p_w)
    lost_at = np.where(won, 5, g.choice([2, 3, 4], n, p=[0.45, 0.35, 0.2]))
    fast = ~qualified & (g.random(n) < 0.2)
    days = np.full((n, 6), -1, dtype=np.int64)
    days[:, 0] = created
    _qualified_path(days, qualified, won, lost_at, created, lag_q, qual, cycle, g)
    _unqualified_path(days, ~qualified, fast, created, g)
    reason = _lost_reason(np.where(qualified, lost_at, np.where(fast, 0, 1)), g)
    return days, won, np.where(won, -1, reason)


def _qualified_path(days, q, won, lost_at, created, lag_q, qual, cycle, g) -> None:
    n = len(created)
    disc = created + np.maximum(1, np.floor(lag_q * g.uniform(0.2, 0.6, n))).astype(np.int64)
    days[:, 1] = np.where(q & (g.random(n) >= 0.12), disc, -1)  # some skip Discovery
    days[:, 2] = np.where(q, qual, -1)
    prop = qual + np.floor(cycle * g.uniform(0.3, 0.55, n)).astype(np.int64)
    days[:, 3] = np.where(q & (lost_at >= 3) & ~(won & (g.random(n) < 0.1)), prop, -1)
    neg = qual + np.floor(cycle * g.uniform(0.65, 0.9, n)).astype(np.int64)
    days[:, 4] = np.where(q & (lost_at >= 4), neg, -1)
    share = np.array([0, 0, 0.5, 0.8, 1.0, 1.0])[lost_at]
    close = qual + np.maximum(1, np.round(cycle * share)).astype(np.int64)
    days[:, WON_COL] = np.where(q, close, days[:, WON_COL])


def _unqualified_path(days, unq, fast, created, g) -> None:
    """Fast no within ~10 days at Prospecting, or a no after Discovery."""
    n = len(created)
    fast_close = created + 1 + np.minimum(np.floor(g.exponential(3.0, n)), 12).astype(np.int64)
    disc = created + 1 + g.integers(0, 6, n)
    slow_close = disc + 5 + np.round(g.gamma(2.0, 12.0, n)).astype(np.int64)
    days[:, 1] = np.where(unq & ~fast, disc, days[:, 1])
    days[:, WON_COL] = np.where(unq, np.where(fast, fast_close, slow_close), days[:, WON_COL])


_REASONS_BY_STAGE = {  # (reason indices, probabilities) by the last open stage reached
    0: ((0, 1, 2, 3), (0.45, 0.25, 0.2, 0.1)),
    1: ((1, 4, 5, 0), (0.3, 0.3, 0.25, 0.15)),
    2: ((6, 7, 4, 5, 8), (0.3, 0.2, 0.25, 0.1, 0.15)),
}


def _lost_reason(stage: np.ndarray, g) -> np.ndarray:
    """A lost reason fitting how far the deal got (later stages: competitor, price)."""
    group = np.minimum(stage, 2)
    reason = np.full(len(stage), -1, dtype=np.int64)
    for s, (choices, probs) in _REASONS_BY_STAGE.items():
        rows = np.flatnonzero(group == s)
        reason[rows] = np.array(choices)[g.choice(len(choices), len(rows), p=probs)]
    return reason


def _stall(days: np.ndarray, g) -> None:
    """~10 % of open deals stop moving 120-300 days before the as-of date; then hide
    every stage entry after the as-of date (or after the stall)."""
    n = len(days)
    stall_day = LAST_DAY - g.integers(120, 301, n)
    close = days[:, WON_COL]
    natural_open = int((close > LAST_DAY).sum())
    moving = (days[:, 0] <= stall_day) & (close > stall_day) & (close - days[:, 0] > 14)
    share = min(1.0, 0.12 * natural_open / max(int(moving.sum()), 1))
    stalled = moving & (g.random(n) < share)
    cutoff = np.where(stalled, stall_day, LAST_DAY)
    days[days > cutoff[:, None]] = -1


def first_wins(opps: Opps, n_accounts: int) -> np.ndarray:
    """Day of each account's first won deal (a large number when none)."""
    first = np.full(n_accounts, 10**6, dtype=np.int64)
    won = opps.won & opps.closed
    np.minimum.at(first, opps.account[won], opps.days[won, WON_COL])
    return first
