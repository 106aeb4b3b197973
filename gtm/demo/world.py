"""The demo company's fixed world: calendar, vocabulary, accounts, the months in which
each target account is in play, and people.

Split from gtm/demo/__init__.py so the generator reads as a pipeline of small, vectorised
steps. Every date is an integer day offset from DEMO_START (numpy int arrays), so a
million rows cost a few numpy calls and no Python loop; the arrow conversion happens
once, when a table is written. Randomness comes from one numpy Generator per named
stream, seeded by (seed, accounts, stream), so the output is the same bytes each run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from gtm.contract import BUYING_ROLES

DEMO_START = date(2023, 11, 1)
DEMO_END = date(2026, 10, 31)  # the as-of date of the demo
N_MONTHS = 36
LAST_DAY = (DEMO_END - DEMO_START).days  # day offset of DEMO_END (1095)


def _month_starts(count: int) -> np.ndarray:
    days = []
    for m in range(count):
        year, month = 2023 + (10 + m) // 12, (10 + m) % 12 + 1
        days.append((date(year, month, 1) - DEMO_START).days)
    return np.array(days, dtype=np.int64)


# Day offsets of month starts, far enough past DEMO_END for expected close dates.
MONTH_START = _month_starts(N_MONTHS + 24)


def month_of(day: np.ndarray) -> np.ndarray:
    """Month index (0 = Nov 2023) of each day offset."""
    return np.searchsorted(MONTH_START, day, side="right") - 1


def month_index(year: int, month: int) -> int:
    return (year - 2023) * 12 + month - 11


def rng(seed: int, accounts: int, stream: int, *extra: int) -> np.random.Generator:
    """An independent random stream per generator step (and per chunk)."""
    return np.random.default_rng([seed, accounts, stream, *extra])


# --- vocabulary -----------------------------------------------------------------
CHANNELS = ("paid_search", "paid_social", "events", "content", "email", "outbound",
            "partner", "webinar", "organic", "referral")
CH = {name: i for i, name in enumerate(CHANNELS)}
CREATE_CHANNELS = ("events", "content", "outbound", "webinar", "partner", "paid_social")
REGIONS = ("NA", "EMEA", "APAC")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
INDUSTRIES = ("Software", "Financial Services", "Healthcare", "Manufacturing", "Retail",
              "Media", "Education", "Logistics", "Telecommunications", "Professional Services")
INDUSTRY_P = (0.2, 0.12, 0.1, 0.1, 0.1, 0.07, 0.07, 0.08, 0.06, 0.1)
ICP_INDUSTRIES = (0, 1, 2, 3)  # software, financial services, healthcare, manufacturing

ROLE = {name: i for i, name in enumerate(BUYING_ROLES)}
ROLE_P = (0.06, 0.13, 0.09, 0.15, 0.18, 0.24, 0.05, 0.03, 0.07)
TITLES = {
    "economic_buyer": ("CFO", "VP Finance", "Chief Revenue Officer", "CEO"),
    "champion": ("Director of Marketing Operations", "Head of Revenue Operations",
                 "Marketing Operations Manager", "Director of Demand Generation"),
    "decision_maker": ("VP Marketing", "VP Sales", "CMO", "SVP Revenue"),
    "technical_evaluator": ("Solutions Architect", "Data Engineer", "IT Director",
                            "Salesforce Administrator", "Analytics Engineer"),
    "influencer": ("Demand Generation Manager", "Product Marketing Manager", "Sales Manager",
                   "Growth Marketing Lead"),
    "user": ("Marketing Specialist", "Sales Development Rep", "Account Executive",
             "Marketing Analyst", "RevOps Analyst"),
    "procurement": ("Procurement Manager", "Purchasing Director", "Vendor Manager"),
    "legal": ("Legal Counsel", "Contracts Manager"),
    "other": ("Consultant", "Office Manager", "Executive Assistant", "Student"),
}
TITLE_LIST = tuple(t for role in BUYING_ROLES for t in TITLES[role])
TITLE_OFFSET = np.cumsum([0] + [len(TITLES[r]) for r in BUYING_ROLES])[:-1]
TITLE_COUNT = np.array([len(TITLES[r]) for r in BUYING_ROLES])
JUNK_TITLES = ("Student", "Intern", "Freelancer", "Marketing Assistant", "Job Seeker")
JUNK_ROLES = (ROLE["other"], ROLE["user"], ROLE["influencer"])
ALL_TITLES = TITLE_LIST + tuple(t for t in JUNK_TITLES if t not in TITLE_LIST)
STUDENT_TITLES = ("Student", "Intern", "Job Seeker")

DQ_REASONS = ("No budget", "Not ICP", "Student / job seeker", "Competitor", "No response",
              "Duplicate")
DQ = {name: i for i, name in enumerate(DQ_REASONS)}

# Lead volume: share of channels among ordinary leads, the share of each channel's
# leads that match no account, and the share that the legacy scoring marks MQL.
LEAD_SHARE = np.array([0.18, 0.13, 0.07, 0.13, 0.05, 0.12, 0.06, 0.08, 0.12, 0.06])
UNMATCHED = np.array([0.15, 0.2, 0.05, 0.15, 0.05, 0.0, 0.02, 0.1, 0.15, 0.05])
MQL_RATE = np.array([0.32, 0.28, 0.45, 0.25, 0.3, 0.12, 0.35, 0.4, 0.28, 0.38])
PUSH_MONTHS = (month_index(2025, 7), month_index(2025, 8), month_index(2025, 9))
GROWTH = 1.02  # ordinary lead volume grows 2 % a month
SEASON = {1: 0.95, 3: 1.08, 8: 0.9, 9: 1.08, 10: 1.1, 12: 0.85}


@dataclass
class Accounts:
    """Column arrays of the accounts table (index = account number - 1)."""

    segment: np.ndarray
    region: np.ndarray
    industry: np.ndarray
    employees: np.ndarray
    revenue: np.ndarray
    latent_fit: np.ndarray  # always present; fit_score is this with gaps
    fit_missing: np.ndarray
    is_target: np.ndarray
    name_code: np.ndarray
    plan: TargetPlan  # when each target account is in play

    @property
    def n(self) -> int:
        return len(self.segment)


def make_accounts(n: int, seed: int) -> Accounts:
    """Segments, firmographics, ICP fit, and a target list of the best-fit ~8 %."""
    g = rng(seed, n, 1)
    seg = g.choice(3, n, p=[0.62, 0.28, 0.10])
    region = g.choice(3, n, p=[0.5, 0.3, 0.2])
    industry = g.choice(len(INDUSTRIES), n, p=INDUSTRY_P)
    lo, hi = np.array([10, 200, 2000])[seg], np.array([199, 1999, 200000])[seg]
    emp = np.clip(np.round(np.array([60, 500, 5000])[seg] * g.lognormal(0, 0.6, n)), lo, hi)
    revenue = np.round(emp * 180_000 * g.lognormal(0, 0.35, n), -3)
    icp = np.isin(industry, ICP_INDUSTRIES)
    latent = np.clip(np.array([30.0, 58.0, 70.0])[seg] + 15 * icp + g.normal(0, 12, n), 0, 100)
    target = np.zeros(n, dtype=bool)
    target[np.argsort(-latent, kind="stable")[: round(0.08 * n)]] = True
    missing = (g.random(n) < 0.08) & ~target
    return Accounts(seg, region, industry, emp.astype(np.int64), revenue, np.round(latent),
                    missing, target, _name_codes(n, g), make_plan(target, seed))


# --- the target-account program ---------------------------------------------------
# A target account is *in play* in a month when marketing or sales works it; only then
# do its people enter the CRM and touch. The program matures (in play more often from
# the first month to the last, PLAY_RAMP), works accounts in bursts (PLAY_PERSIST:
# month-to-month correlation) and unevenly: a gamma "heat" per account makes a few hot
# accounts and many cold ones, so penetration, group and role coverage have a spread.
PLAY_RAMP = (0.2, 0.5)  # chance of being in play for an account of heat 1
PLAY_PERSIST = 0.3
PLAY_HEAT = 0.5  # gamma shape of the heat (mean 1); smaller = more uneven
PLAY_MAX = 0.6
PLAY_FLOOR = 0.2  # the coldest target account's heat
LEADS_PER_PLAY = 1.5  # new people of a target account per month in play
# The channels through which target accounts' people arrive (ABM: outbound and events).
TARGET_MIX = np.array([0.01, 0.03, 0.29, 0.03, 0.01, 0.52, 0.04, 0.03, 0.02, 0.02])


@dataclass
class TargetPlan:
    """Months in which each target account is in play (rows: target accounts)."""

    row: np.ndarray  # account -> row of `active` (-1 = not a target)
    active: np.ndarray  # (targets, N_MONTHS) bool
    heat: np.ndarray  # per target account: how hot (mean ~1)

    def accounts(self) -> np.ndarray:
        return np.flatnonzero(self.row >= 0)

    def account_heat(self) -> np.ndarray:
        """Heat per account (0 for accounts not on the target list)."""
        return np.where(self.row >= 0, self.heat[np.maximum(self.row, 0)], 0.0)


def make_plan(is_target: np.ndarray, seed: int) -> TargetPlan:
    """A bursty, maturing, uneven calendar of target accounts in play."""
    g = rng(seed, len(is_target), 12)
    n = int(is_target.sum())
    heat = PLAY_FLOOR + (1 - PLAY_FLOOR) * g.gamma(PLAY_HEAT, 1 / PLAY_HEAT, n)
    ramp = np.linspace(*PLAY_RAMP, N_MONTHS)
    active = np.zeros((n, N_MONTHS), dtype=bool)
    prev = g.random(n) < np.minimum(PLAY_MAX, ramp[0] * heat)
    for m in range(N_MONTHS):  # a loop over months, vectorised over accounts
        share = np.minimum(PLAY_MAX, ramp[m] * heat)
        p = np.where(prev, share + PLAY_PERSIST * (1 - share), share * (1 - PLAY_PERSIST))
        prev = active[:, m] = g.random(n) < p
    row = np.full(len(is_target), -1, dtype=np.int64)
    row[is_target] = np.arange(n)
    return TargetPlan(row, active, heat)


def in_play(plan: TargetPlan, month: np.ndarray, g) -> np.ndarray:
    """A target account in play in each given month (uniformly among those in play)."""
    out = np.empty(len(month), dtype=np.int64)
    accounts = plan.accounts()
    for m in np.unique(month):  # a loop over months, not rows
        rows = np.flatnonzero(month == m)
        pool = accounts[plan.active[:, m]]
        out[rows] = pool[g.integers(0, len(pool), len(rows))]
    return out


def in_play_on(plan: TargetPlan, account: np.ndarray, day: np.ndarray) -> np.ndarray:
    """False for activity of a target account on a day of a month it is not in play."""
    r = plan.row[np.maximum(account, 0)]
    m = np.minimum(month_of(day), N_MONTHS - 1)
    return (account < 0) | (r < 0) | plan.active[np.maximum(r, 0), m]


def _name_codes(n: int, g: np.random.Generator) -> np.ndarray:
    """Distinct codes into the (prefix, core, suffix) name space while it lasts."""
    space = len(NAME_PREFIX) * len(NAME_CORE) * len(NAME_SUFFIX)
    return np.concatenate([g.permutation(space) for _ in range(n // space + 1)])[:n]


NAME_PREFIX = ("Blue", "North", "Silver", "Bright", "Iron", "Clear", "Red", "Summit", "Nova",
               "Apex", "Cedar", "Harbor", "Lumen", "Quantum", "Vertex", "Pioneer", "Granite",
               "Swift", "Atlas", "Orbit", "Evergreen", "Polar", "Crescent", "Sterling", "Cobalt",
               "Maple", "Falcon", "Beacon", "Horizon", "Delta", "Zenith", "Aurora", "Crimson",
               "Golden", "Prairie", "Coastal", "Meridian", "Everest", "Riverstone", "Sable")
NAME_CORE = ("wave", "point", "stack", "forge", "bridge", "field", "line", "works", "path",
             "grid", "logic", "cloud", "signal", "craft", "scale", "leaf", "gate", "peak",
             "stream", "ware", "mark", "sphere", "dock", "bay", "vista", "core", "loop", "hub",
             "nest", "spark")
NAME_SUFFIX = ("Inc", "Labs", "Systems", "Group", "Corp", "Technologies", "Health", "Capital",
               "Logistics", "Media", "Partners", "Industries")


@dataclass
class People:
    """Column arrays of the people table, sorted by created day (person_id order)."""

    created: np.ndarray
    channel: np.ndarray
    account: np.ndarray  # -1 = unmatched lead
    role: np.ndarray
    title: np.ndarray  # index into ALL_TITLES
    junk: np.ndarray  # a low-fit lead of the paid-search push
    mql: np.ndarray  # day offset or -1
    dq: np.ndarray  # day offset or -1
    dq_reason: np.ndarray  # index into DQ_REASONS or -1

    @property
    def n(self) -> int:
        return len(self.created)


def monthly_lead_counts(n_accounts: int) -> tuple[np.ndarray, np.ndarray]:
    """(ordinary leads per month x channel, push leads per month): ~20 people/account."""
    months = np.arange(N_MONTHS)
    cal_month = (10 + months) % 12 + 1
    curve = GROWTH ** months * np.array([SEASON.get(int(c), 1.0) for c in cal_month])
    push = np.zeros(N_MONTHS)
    push[list(PUSH_MONTHS)] = 0.5 * curve[list(PUSH_MONTHS)]  # 1.5 ordinary months extra
    scale = 20 * n_accounts / (curve.sum() + push.sum())
    ordinary = np.round(np.outer(curve * scale, LEAD_SHARE)).astype(np.int64)
    return ordinary, np.round(push * scale).astype(np.int64)


def _days_in_months(month: np.ndarray, g: np.random.Generator) -> np.ndarray:
    length = MONTH_START[month + 1] - MONTH_START[month]
    return MONTH_START[month] + np.floor(g.random(len(month)) * length).astype(np.int64)


def _pick_accounts(acc: Accounts, channel: int, month: np.ndarray, g) -> np.ndarray:
    """Accounts for one channel's matched leads. Target accounts get people only in the
    months they are in play (LEADS_PER_PLAY a month, by TARGET_MIX channel); the other
    leads go to other accounts, bigger accounts getting more."""
    n_play = acc.plan.active.sum(axis=0)  # target accounts in play, per month
    count = np.bincount(month, minlength=N_MONTHS)
    want = LEADS_PER_PLAY * TARGET_MIX[channel] * n_play
    to_target = g.random(len(month)) < np.minimum(0.9, want / np.maximum(count, 1))[month]
    out = np.empty(len(month), dtype=np.int64)
    w = _other_weights(acc, channel) * ~acc.is_target
    out[~to_target] = g.choice(acc.n, int((~to_target).sum()), p=w / w.sum())
    out[to_target] = in_play(acc.plan, month[to_target], g)
    return out


def _other_weights(acc: Accounts, channel: int) -> np.ndarray:
    volume = np.array([1.0, 2.0, 3.5])[acc.segment]
    if CHANNELS[channel] in ("paid_search", "paid_social"):
        return np.array([2.0, 1.5, 1.0])[acc.segment]
    if CHANNELS[channel] == "outbound":
        return volume * (acc.latent_fit / 50)
    return volume


def make_people(acc: Accounts, seed: int) -> People:
    """Leads by month and channel, plus the Q3 2025 paid-search push of junk leads."""
    g = rng(seed, acc.n, 2)
    ordinary, push = monthly_lead_counts(acc.n)
    month = np.repeat(np.repeat(np.arange(N_MONTHS), len(CHANNELS)), ordinary.ravel())
    channel = np.repeat(np.tile(np.arange(len(CHANNELS)), N_MONTHS), ordinary.ravel())
    account = np.full(len(month), -1, dtype=np.int64)
    for c in range(len(CHANNELS)):  # a loop over channels, not rows
        rows = np.flatnonzero((channel == c) & (g.random(len(channel)) >= UNMATCHED[c]))
        account[rows] = _pick_accounts(acc, c, month[rows], g)
    role = g.choice(len(BUYING_ROLES), len(month), p=ROLE_P)
    title = TITLE_OFFSET[role] + np.floor(g.random(len(month)) * TITLE_COUNT[role]).astype(int)
    junk = _push_people(acc, push, g)
    people = _concat(month, channel, account, role, title, junk, g)
    _score_and_disqualify(people, acc, g)
    return people


def _push_people(acc: Accounts, push: np.ndarray, g) -> dict:
    """Cheap paid-search leads: unmatched or small non-target accounts, many students."""
    month = np.repeat(np.arange(N_MONTHS), push)
    pool = np.flatnonzero((acc.segment == 0) & ~acc.is_target & (acc.latent_fit < 45))
    account = np.where(g.random(len(month)) < 0.45, -1, g.choice(pool, len(month)))
    title_name = g.choice(len(JUNK_TITLES), len(month), p=[0.35, 0.15, 0.2, 0.2, 0.1])
    title = np.array([ALL_TITLES.index(t) for t in JUNK_TITLES])[title_name]
    role = np.array(JUNK_ROLES)[g.choice(3, len(month), p=[0.5, 0.35, 0.15])]
    return {"month": month, "account": account, "title": title, "role": role}


def _concat(month, channel, account, role, title, junk: dict, g) -> People:
    n_junk = len(junk["month"])
    month = np.concatenate([month, junk["month"]])
    created = _days_in_months(month, g)
    order = np.lexsort((g.random(len(created)), created))
    empty = np.full(len(created), -1, dtype=np.int64)
    return People(
        created=created[order],
        channel=np.concatenate([channel, np.full(n_junk, CH["paid_search"])])[order],
        account=np.concatenate([account, junk["account"]])[order],
        role=np.concatenate([role, junk["role"]])[order],
        title=np.concatenate([title, junk["title"]])[order],
        junk=np.concatenate([np.zeros(len(channel), bool), np.ones(n_junk, bool)])[order],
        mql=empty.copy(), dq=empty.copy(), dq_reason=empty.copy(),
    )


def _score_and_disqualify(p: People, acc: Accounts, g) -> None:
    """Legacy MQL scoring (form fills score high) and fast disqualification."""
    n = p.n
    mql_rate = np.where(p.junk, 0.72, MQL_RATE[p.channel])
    mql_day = p.created + np.floor(g.exponential(4.0, n)).astype(np.int64)
    p.mql[:] = np.where((g.random(n) < mql_rate) & (mql_day <= LAST_DAY), mql_day, -1)
    matched = p.account >= 0
    target = matched & acc.is_target[np.maximum(p.account, 0)]
    student = np.isin(p.title, [ALL_TITLES.index(t) for t in STUDENT_TITLES])
    dq_rate = np.select([student, p.junk, ~matched, target], [0.9, 0.55, 0.3, 0.03], 0.12)
    reason = g.choice(len(DQ_REASONS), n, p=[0.3, 0.3, 0.0, 0.03, 0.3, 0.07])
    reason = np.where(student, DQ["Student / job seeker"], reason)
    slow = reason == DQ["No response"]
    start = np.where(p.mql >= 0, p.mql, p.created)
    lag = np.where(slow, 20 + g.integers(0, 100, n), np.floor(g.exponential(3.0, n)))
    day = start + lag.astype(np.int64)
    hit = (g.random(n) < dq_rate) & (day <= LAST_DAY)
    p.dq[:] = np.where(hit, day, -1)
    p.dq_reason[:] = np.where(hit, reason, -1)
