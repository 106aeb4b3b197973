"""Turns the demo generator's numpy arrays into contract tables (pyarrow).

One place for the contract's text forms: ids, ISO dates, timestamps, labels, null
handling. Column order and names come from gtm.contract, so a demo file always has
exactly the contract header.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gtm.contract import BUYING_ROLES, TABLES
from gtm.demo.activity import TOUCH_TYPES, Campaigns, Signups, Spend, TouchBlock
from gtm.demo.arr import Customers
from gtm.demo.deals import (
    LOST_REASONS,
    OPEN_STAGES,
    PROCESS,
    RENEWAL,
    STAGES,
    TYPES,
    WINBACK,
    WON_COL,
    AccountIndex,
    Opps,
    first_wins,
)
from gtm.demo.world import (
    ALL_TITLES,
    CHANNELS,
    DEMO_START,
    DQ_REASONS,
    INDUSTRIES,
    MONTH_START,
    N_MONTHS,
    NAME_CORE,
    NAME_PREFIX,
    NAME_SUFFIX,
    REGIONS,
    SEGMENTS,
    Accounts,
    People,
    month_of,
)

EPOCH_DAYS = (DEMO_START - date(1970, 1, 1)).days
QUALIFIED_DATE_SUPPLIED = 0.7  # share of qualified deals whose extract has qualified_date


# --- column helpers --------------------------------------------------------------
def ids(prefix: str, n: int, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def dates(days: np.ndarray) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    return pa.array((days + EPOCH_DAYS).astype(np.int32), mask=days < 0).cast(pa.date32())


def labels(vocab, index: np.ndarray) -> pa.Array:
    index = np.asarray(index, dtype=np.int64)
    return pa.array(list(vocab)).take(pa.array(index, mask=index < 0))


def pick(values: pa.Array, index: np.ndarray) -> pa.Array:
    index = np.asarray(index, dtype=np.int64)
    return values.take(pa.array(index, mask=index < 0))


def table(name: str, columns: dict) -> pa.Table:
    """Columns in contract order; fails loudly if the generator forgot one."""
    names = TABLES[name].column_names
    if "currency" in names and "currency" not in columns:  # one currency: the dataset's
        columns = {**columns, "currency": pa.nulls(len(next(iter(columns.values()))),
                                                   pa.string())}
    assert set(columns) == set(names), (name, set(columns) ^ set(names))
    return pa.table({c: columns[c] for c in names})


# --- opportunities -----------------------------------------------------------------
def assemble_opps(process: Opps, customers: Customers,
                  n_accounts: int) -> tuple[Opps, np.ndarray]:
    """All deals in created order, with their type (index into TYPES)."""
    opps = Opps.concat([process, customers.renewals, customers.winbacks])
    opps = opps.take(np.lexsort((opps.account, opps.kind, opps.created)))
    first = first_wins(process, n_accounts)
    row = np.full(n_accounts, -1, dtype=np.int64)
    row[customers.account] = np.arange(len(customers.account))
    r = row[opps.account]
    month = np.minimum(month_of(opps.created), N_MONTHS - 1)
    active = (r >= 0) & (customers.arr[np.maximum(r, 0), month] > 0)
    later = opps.created > first[opps.account]
    typ = np.where(opps.kind == RENEWAL, 2, np.where((opps.kind == PROCESS) & later & active,
                                                     1, 0))
    return opps, typ


def buying_groups(opps: Opps, idx: AccountIndex, g: np.random.Generator) -> dict:
    """The people on each deal: the source person first, then colleagues of the same
    account who were already in the CRM when the deal was created."""
    known = idx.count_before(opps.account, opps.created)
    k = np.minimum(opps.k, known)
    first = np.where(opps.first_pos >= 0, opps.first_pos,
                     np.floor(g.random(opps.n) * known).astype(np.int64))
    opp = np.repeat(np.arange(opps.n), k)
    j = np.arange(len(opp)) - np.repeat(np.cumsum(k) - k, k)
    pos = (first[opp] + j) % np.maximum(known[opp], 1)
    person = idx.order[idx.start[opps.account[opp]] + pos]
    end = np.where(opps.closed, opps.days[:, WON_COL], MONTH_START[N_MONTHS] - 1)
    return {"opp": opp, "person": person, "primary": j == 0,
            "start": opps.created[opp], "end": end[opp]}


def opportunities_table(opps: Opps, typ: np.ndarray, groups: dict, person_ids: pa.Array,
                        account_ids: pa.Array, g: np.random.Generator) -> pa.Table:
    source = opps.source.copy()
    primary = groups["opp"][groups["primary"]]
    winback = primary[opps.kind[primary] == WINBACK]
    source[winback] = groups["person"][groups["primary"]][opps.kind[primary] == WINBACK]
    last_col = np.where(opps.days >= 0, np.arange(6), -1).max(axis=1)
    stage = np.where(last_col == WON_COL, np.where(opps.won, 5, 6), last_col)
    qualified = _first_day(opps.days[:, 2:OPEN_STAGES])
    supplied = g.random(opps.n) < QUALIFIED_DATE_SUPPLIED
    closed = opps.closed
    return table("opportunities", {
        "opportunity_id": ids("OPP-", opps.n, 7),
        "account_id": account_ids.take(pa.array(opps.account)),
        "created_date": dates(opps.created),
        "type": labels(TYPES, typ),
        "stage": labels(STAGES, stage),
        "amount": pa.array(opps.amount),
        "close_date": dates(opps.close),
        "is_closed": pa.array(closed),
        "is_won": pa.array(closed & opps.won),
        "channel": labels(CHANNELS, opps.channel),
        "source_person_id": pick(person_ids, source),
        "qualified_date": dates(np.where(supplied, qualified, -1)),
        "lost_reason": labels(LOST_REASONS, np.where(closed & ~opps.won, opps.lost_reason, -1)),
    })


def _first_day(days: np.ndarray) -> np.ndarray:
    big = np.where(days >= 0, days, 10**6).min(axis=1)
    return np.where(big < 10**6, big, -1)


def stage_history_table(opps: Opps, opp_ids: pa.Array) -> pa.Table:
    rows, cols = np.nonzero(opps.days >= 0)
    day = opps.days[rows, cols]
    stage = np.where(cols == WON_COL, np.where(opps.won[rows], 5, 6), cols)
    order = np.lexsort((cols, day, rows))
    return table("opportunity_stages", {
        "opportunity_id": opp_ids.take(pa.array(rows[order])),
        "stage": labels(STAGES, stage[order]),
        "entered_date": dates(day[order]),
    })


def stages_table() -> pa.Table:
    return table("stages", {
        "stage": pa.array(list(STAGES)),
        "sort_order": pa.array(np.arange(1, len(STAGES) + 1)),
        "is_closed": pa.array([s.startswith("Closed") for s in STAGES]),
        "is_won": pa.array([s == "Closed Won" for s in STAGES]),
    })


def contacts_table(groups: dict, p: People, opp_ids: pa.Array, person_ids: pa.Array):
    return table("opportunity_contacts", {
        "opportunity_id": opp_ids.take(pa.array(groups["opp"])),
        "person_id": person_ids.take(pa.array(groups["person"])),
        "role": labels(BUYING_ROLES, p.role[groups["person"]]),
        "is_primary": pa.array(groups["primary"]),
    })


# --- the rest ----------------------------------------------------------------------
def accounts_table(acc: Accounts) -> pa.Table:
    n_core, n_suf = len(NAME_CORE), len(NAME_SUFFIX)
    code = acc.name_code
    head = pc.binary_join_element_wise(labels(NAME_PREFIX, code // (n_core * n_suf)),
                                       labels(NAME_CORE, (code // n_suf) % n_core), "")
    block = np.arange(acc.n) // (len(NAME_PREFIX) * n_core * n_suf)
    numeral = labels(("", " II", " III", " IV", " V", " VI", " VII", " VIII", " IX", " X"),
                     np.minimum(block, 9))
    name = pc.binary_join_element_wise(head, labels(NAME_SUFFIX, code % n_suf), " ")
    return table("accounts", {
        "account_id": ids("ACC-", acc.n, 6),
        "name": pc.binary_join_element_wise(name, numeral, ""),
        "industry": labels(INDUSTRIES, acc.industry),
        "employees": pa.array(acc.employees),
        "annual_revenue": pa.array(acc.revenue),
        "region": labels(REGIONS, acc.region),
        "segment": labels(SEGMENTS, acc.segment),
        "is_target": pa.array(acc.is_target),
        "fit_score": pa.array(acc.latent_fit, mask=acc.fit_missing),
    })


def people_table(p: People, person_ids: pa.Array, account_ids: pa.Array) -> pa.Table:
    return table("people", {
        "person_id": person_ids,
        "account_id": pick(account_ids, p.account),
        "created_date": dates(p.created),
        "channel": labels(CHANNELS, p.channel),
        "title": labels(ALL_TITLES, p.title),
        "buying_role": labels(BUYING_ROLES, p.role),
        "mql_date": dates(p.mql),
        "disqualified_date": dates(p.dq),
        "disqualified_reason": labels(DQ_REASONS, p.dq_reason),
    })


def touches_table(block: TouchBlock, person_ids: pa.Array, campaign_ids: pa.Array):
    stamp = pa.array(block.second + EPOCH_DAYS * 86400, type=pa.timestamp("s"))
    return table("touches", {
        "person_id": person_ids.take(pa.array(block.person)),
        # cast gives "2025-03-31 14:05:00"; the contract's ISO form has a "T"
        "touch_date": pc.utf8_replace_slice(pc.cast(stamp, pa.string()), 10, 11, "T"),
        "channel": labels(CHANNELS, block.channel),
        "campaign_id": pick(campaign_ids, block.campaign),
        "touch_type": labels(TOUCH_TYPES, block.touch_type),
    })


def campaigns_table(camps: Campaigns, campaign_ids: pa.Array) -> pa.Table:
    return table("campaigns", {
        "campaign_id": campaign_ids,
        "name": pa.array(camps.name),
        "channel": labels(CHANNELS, camps.channel),
        "demand_type": pa.array(camps.demand_type()),
        "start_date": dates(MONTH_START[camps.start]),
        "end_date": dates(MONTH_START[camps.end] - 1),
    })


def spend_table(spend: Spend, campaign_ids: pa.Array) -> pa.Table:
    return table("spend", {
        "month": dates(MONTH_START[np.array(spend.month)]),
        "function": pa.array(spend.function),
        "channel": labels(CHANNELS, np.array(spend.channel)),
        "campaign_id": pick(campaign_ids, np.array(spend.campaign)),
        "amount": pa.array(spend.amount, type=pa.float64()),
    })


def arr_table(customers: Customers, account_ids: pa.Array) -> pa.Table:
    rows, months = np.nonzero(customers.arr > 0)
    order = np.lexsort((months, customers.account[rows]))
    rows, months = rows[order], months[order]
    return table("arr", {
        "account_id": account_ids.take(pa.array(customers.account[rows])),
        "month": dates(MONTH_START[months]),
        "arr": pa.array(customers.arr[rows, months]),
    })


def signups_table(s: Signups, p: People, person_ids: pa.Array, account_ids: pa.Array):
    order = np.lexsort((s.person, s.day))
    person = s.person[order]
    return table("signups", {
        "signup_id": ids("SU-", len(person), 7),
        "signup_date": dates(s.day[order]),
        "activated_date": dates(s.activated[order]),
        "account_id": pick(account_ids, p.account[person]),
        "person_id": person_ids.take(pa.array(person)),
        "channel": labels(CHANNELS, p.channel[person]),
    })
