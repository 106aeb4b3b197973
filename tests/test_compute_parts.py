"""gtm.metrics.compute in parts: a page computes only the parts its tiles need, so the
parts must add up to exactly what `compute` (and `report`) give."""

from __future__ import annotations

from datetime import date

import pytest

from gtm import registry
from gtm.filters import Filter, Settings
from gtm.metrics import compute
from gtm.metrics.compute import (
    EXTENSION_INPUTS,
    EXTENSIONS,
    PARTS,
    compute_part,
    extensions,
    parts_for,
)

YEAR = Filter(date(2025, 1, 1), date(2025, 12, 31))


@pytest.mark.parametrize("part", list(PARTS))
def test_each_part_returns_the_ids_it_declares(tiny_con, part):
    assert tuple(compute_part(tiny_con, YEAR, Settings(), part)) == PARTS[part][1]


def test_parts_and_extensions_cover_the_registry_once():
    """Every registry id in exactly one part (a part may hold helper values too, such as
    avg_first_deal for LTV)."""
    ids = [mid for _, part_ids in PARTS.values() for mid in part_ids] + list(EXTENSIONS)
    assert set(registry.METRICS) <= set(ids)
    assert len(ids) == len(set(ids))


def test_parts_add_up_to_compute(tiny_con):
    whole = compute(tiny_con, YEAR, Settings())
    values = {}
    for part in PARTS:
        values.update(compute_part(tiny_con, YEAR, Settings(), part))
    values.update(extensions(tiny_con, YEAR, Settings(),
                             *(values[m] for m in EXTENSION_INPUTS)))
    assert {mid: values[mid] for mid in registry.METRICS} == whole


def test_parts_for_names_only_what_is_needed():
    assert parts_for(["cac"]) == ["cost"]
    assert parts_for(["nrr_12m", "leads"]) == ["funnel", "arr"]
    assert parts_for(["magic_number"]) == ["cost", "arr"]  # its inputs' parts
    with pytest.raises(KeyError, match="not_a_metric"):
        parts_for(["not_a_metric"])
