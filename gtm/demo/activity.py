"""The demo company's marketing activity: campaigns, touches, signups and spend.

Kept apart from the deals because touches are the one table that is too large to
hold at once at the enterprise size (10 million rows): `touch_chunks` yields them a
block of people at a time, each block with its own random stream, so the output is
the same whatever the memory. Spend is derived from lead volume at a cost per lead
per channel, so cost per lead and CAC tell opposite stories by construction of the
funnel, not by fiat.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from gtm.demo.world import (
    CH,
    CHANNELS,
    CREATE_CHANNELS,
    GROWTH,
    LAST_DAY,
    MONTH_START,
    N_MONTHS,
    PUSH_MONTHS,
    Accounts,
    People,
    in_play_on,
    month_index,
    month_of,
    rng,
)

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
# Campaign tiles per channel: (label, month boundaries); 60 campaigns in all.
_STEP = {"paid_social": 6, "events": 3, "content": 6, "email": 6, "outbound": 6,
         "partner": 9, "webinar": 3, "organic": 36, "referral": 36}
_LABEL = {"paid_search": "Paid Search Always-On", "paid_social": "LinkedIn Ads",
          "events": "Field Events", "content": "Content Syndication",
          "email": "Nurture Program", "outbound": "ABM Tier-1 Outbound",
          "partner": "Partner Co-Marketing", "webinar": "Webinar Series",
          "organic": "SEO and Website (always on)", "referral": "Customer Referral Program"}
SURGE = "Paid Search Surge Q3 2025"


@dataclass
class Campaigns:
    channel: np.ndarray
    name: list[str]
    start: np.ndarray  # month index
    end: np.ndarray  # month index, exclusive
    by_month: np.ndarray  # (channels, months) campaign index or -1

    @property
    def n(self) -> int:
        return len(self.channel)

    def demand_type(self) -> list[str]:
        return ["create" if CHANNELS[c] in CREATE_CHANNELS else "harvest" for c in self.channel]


def _month_label(m: int) -> str:
    return f"{MONTH_NAMES[(10 + m) % 12]} {2023 + (10 + m) // 12}"


def make_campaigns() -> Campaigns:
    """Campaigns tile each channel's calendar; paid search has its Q3 2025 surge."""
    channel, name, start, end = [], [], [], []
    for c, ch in enumerate(CHANNELS):
        if ch == "paid_search":
            bounds = [0, 6, 12, 20, 23, 29, 36]
        else:
            bounds = list(range(0, N_MONTHS + 1, _STEP[ch]))
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            label = SURGE if (ch == "paid_search" and lo == 20) else _LABEL[ch]
            suffix = "" if label == SURGE or hi - lo == N_MONTHS else f" {_month_label(lo)}"
            channel.append(c)
            name.append(label + suffix)
            start.append(lo)
            end.append(hi)
    by_month = np.full((len(CHANNELS), N_MONTHS), -1, dtype=np.int64)
    for i, (c, lo, hi) in enumerate(zip(channel, start, end, strict=True)):
        by_month[c, lo:hi] = i
    return Campaigns(np.array(channel), name, np.array(start), np.array(end), by_month)


TOUCH_TYPES = ("web_visit", "form_fill", "ad_click", "event_attended", "meeting",
               "content_download", "email_open", "email_click", "call", "email_reply",
               "webinar_registered", "webinar_attended", "partner_referral")
_T = {name: i for i, name in enumerate(TOUCH_TYPES)}
_FIRST = np.array([_T[t] for t in ("form_fill", "form_fill", "event_attended",
                                   "content_download", "form_fill", "call",
                                   "partner_referral", "webinar_registered", "form_fill",
                                   "form_fill")])
_LATER = np.array([[_T[t] for t in row] for row in (
    ("ad_click", "web_visit", "web_visit"), ("ad_click", "web_visit", "ad_click"),
    ("event_attended", "meeting", "event_attended"),
    ("content_download", "web_visit", "content_download"),
    ("email_open", "email_click", "email_open"), ("call", "email_reply", "meeting"),
    ("meeting", "web_visit", "meeting"), ("webinar_registered", "webinar_attended",
                                          "webinar_attended"),
    ("web_visit", "web_visit", "web_visit"), ("web_visit", "meeting", "web_visit"))])
# Later touches' channel mix: target accounts are worked by outbound and events only (ABM),
# so the other channels reach them only through the leads they bring in.
MIX_TARGET = np.array([0.0, 0.0, 0.34, 0.0, 0.0, 0.66, 0.0, 0.0, 0.0, 0.0])
MIX_OTHER = np.array([0.1, 0.1, 0.03, 0.17, 0.28, 0.02, 0.01, 0.08, 0.19, 0.02])
NO_CAMPAIGN = (CH["organic"], CH["referral"])
CHUNK_PEOPLE = 100_000
CHUNK_CONTACTS = 400_000
TOUCHES_PER_ACCOUNT = 200
TARGET_TOUCHES = 0.4  # later-touch weight of a target-account person (others 1)


@dataclass
class TouchBlock:
    """One chunk of touches as arrays (person index, seconds since DEMO_START, ...)."""

    person: np.ndarray
    second: np.ndarray
    channel: np.ndarray
    campaign: np.ndarray  # -1 = none
    touch_type: np.ndarray


def touch_chunks(p: People, acc: Accounts, camps: Campaigns, contacts: dict,
                 seed: int) -> Iterator[TouchBlock]:
    """All touches: each person's own journey, then meetings on the deals they are on."""
    deal_touches = 2.5 * len(contacts["person"])
    mult = _touch_weight(p, acc)
    rate = max(0.0, TOUCHES_PER_ACCOUNT * acc.n - p.n - deal_touches) / mult.sum()
    for i, lo in enumerate(range(0, p.n, CHUNK_PEOPLE)):
        rows = np.arange(lo, min(lo + CHUNK_PEOPLE, p.n))
        yield _journey(p, acc, camps, rows, rate * mult[rows], rng(seed, acc.n, 10, i))
    for i, lo in enumerate(range(0, len(contacts["person"]), CHUNK_CONTACTS)):
        part = {k: v[lo:lo + CHUNK_CONTACTS] for k, v in contacts.items()}
        yield _deal_touches(part, camps, rng(seed, acc.n, 11, i))


def _touch_weight(p: People, acc: Accounts) -> np.ndarray:
    target = (p.account >= 0) & acc.is_target[np.maximum(p.account, 0)]
    return np.select([p.junk, p.account < 0, target], [0.15, 0.6, TARGET_TOUCHES], 1.0)


def _journey(p: People, acc, camps, rows, lam, g) -> TouchBlock:
    """First touch on the lead's channel when it was created, then later engagement;
    a target account's people touch only in months the account is in play."""
    extra = g.poisson(lam)
    later = np.repeat(rows, extra)
    span = np.minimum(540, LAST_DAY - p.created[later])
    day = p.created[later] + np.floor(span * g.random(len(later)) ** 1.6).astype(np.int64)
    kept = in_play_on(acc.plan, p.account[later], day)
    later, day = later[kept], day[kept]
    target = (p.account[later] >= 0) & acc.is_target[np.maximum(p.account[later], 0)]
    mix = np.where(target, g.choice(10, len(later), p=MIX_TARGET),
                   g.choice(10, len(later), p=MIX_OTHER))
    person = np.concatenate([rows, later])
    channel = np.concatenate([p.channel[rows], mix])
    ttype = np.concatenate([_FIRST[p.channel[rows]],
                            _LATER[mix, g.integers(0, 3, len(later))]])
    day = np.concatenate([p.created[rows], day])
    return _block(person, day, channel, ttype, camps, g)


def _deal_touches(part: dict, camps, g) -> TouchBlock:
    """Sales meetings, calls and emails (outbound) and event meetings (events) with the
    buying group while the deal is open."""
    n_each = 1 + g.poisson(1.5, len(part["person"]))
    person = np.repeat(part["person"], n_each)
    start, end = np.repeat(part["start"], n_each), np.repeat(part["end"], n_each)
    day = start + np.floor(g.random(len(person)) * (end - start + 1)).astype(np.int64)
    channel = np.array([CH["outbound"], CH["events"]])[
        (g.random(len(person)) < 0.2).astype(np.int64)]
    ttype = _LATER[channel, g.integers(0, 3, len(person))]
    return _block(person, day, channel, ttype, camps, g)


def _block(person, day, channel, ttype, camps: Campaigns, g) -> TouchBlock:
    second = day * 86400 + 8 * 3600 + g.integers(0, 10 * 3600, len(day))
    campaign = camps.by_month[channel, np.minimum(month_of(day), N_MONTHS - 1)]
    untracked = np.isin(channel, NO_CAMPAIGN) | (g.random(len(day)) < 0.15)
    return TouchBlock(person, second, channel, np.where(untracked, -1, campaign), ttype)


@dataclass
class Signups:
    person: np.ndarray
    day: np.ndarray
    activated: np.ndarray  # day or -1


SIGNUP_CHANNELS = ("organic", "content", "referral", "paid_social", "paid_search", "webinar")
ACTIVATION = {"referral": 0.5, "organic": 0.4, "content": 0.35, "webinar": 0.35,
              "paid_search": 0.28, "paid_social": 0.25}


def make_signups(p: People, acc: Accounts, seed: int) -> Signups:
    """Free-trial signups (~2 per account): personal emails plus a quarter of the
    SMB / Mid-Market accounts; ~35 % activate within 30 days, some later."""
    g = rng(seed, acc.n, 5)
    plg_account = (acc.segment <= 1) & ~acc.is_target & (g.random(acc.n) < 0.25)
    in_plg = (p.account >= 0) & plg_account[np.maximum(p.account, 0)]
    ok_channel = np.isin(p.channel, [CH[c] for c in SIGNUP_CHANNELS])
    pool = np.flatnonzero(ok_channel & ~p.junk & ((p.account < 0) | in_plg))
    person = np.sort(pool[np.argsort(g.random(len(pool)), kind="stable")[: 2 * acc.n]])
    n = len(person)
    day = np.minimum(p.created[person] + g.integers(0, 3, n), LAST_DAY)
    rate = np.zeros(len(CHANNELS))
    for c, r in ACTIVATION.items():
        rate[CH[c]] = r
    u = g.random(n)
    lag = np.where(u < rate[p.channel[person]], g.integers(0, 31, n), g.integers(31, 150, n))
    act = np.where(u < rate[p.channel[person]] + 0.12, day + lag, -1)
    return Signups(person, day, np.where(act <= LAST_DAY, act, -1))


# Cost per lead by channel: events and outbound dear, paid channels cheap.
CPL = np.array([65.0, 72.0, 500.0, 120.0, 110.0, 420.0, 250.0, 150.0, 80.0, 250.0])


@dataclass
class Spend:
    month: list[int]
    function: list[str]
    channel: list[int]  # -1 = none
    campaign: list[int]  # -1 = none
    amount: list[float]


def make_spend(p: People, camps: Campaigns, first_deal_total: float, n_accounts: int,
               seed: int) -> Spend:
    """Marketing spend per channel and month (part on a campaign), unallocated
    marketing costs, and a sales payroll that makes blended CAC plausible."""
    g = rng(seed, n_accounts, 6)
    leads = np.zeros((N_MONTHS, len(CHANNELS)))
    np.add.at(leads, (month_of(p.created), p.channel), 1)
    cost = leads * CPL * g.uniform(0.85, 1.15, leads.shape)
    q2 = [month_index(2025, m) for m in (4, 5, 6)]
    ps = CH["paid_search"]
    cost[list(PUSH_MONTHS), ps] = 3 * cost[q2, ps].mean() * g.uniform(0.95, 1.05, 3)
    out = Spend([], [], [], [], [])
    for m in range(N_MONTHS):
        for c in range(len(CHANNELS)):
            on_campaign = round(cost[m, c] * 0.7, 2)
            _row(out, m, "marketing", c, int(camps.by_month[c, m]), on_campaign)
            _row(out, m, "marketing", c, -1, round(cost[m, c] - on_campaign, 2))
        _row(out, m, "marketing", -1, -1, round(cost[m].sum() * 0.08, 2))
    marketing = float(np.sum(out.amount))
    sales_total = max(0.8 * marketing, first_deal_total - marketing)
    curve = GROWTH ** np.arange(N_MONTHS)
    sales = sales_total * curve / curve.sum() * g.uniform(0.97, 1.03, N_MONTHS)
    for m in range(N_MONTHS):
        _row(out, m, "sales", -1, -1, round(float(sales[m]), 2))
    return out


def _row(out: Spend, month: int, function: str, channel: int, campaign: int, amount: float):
    out.month.append(month)
    out.function.append(function)
    out.channel.append(channel)
    out.campaign.append(campaign)
    out.amount.append(amount)


assert MONTH_START[N_MONTHS] == LAST_DAY + 1
