"""The soak (perf/soak.py) in the suite: every hostile variant once, between good loads.

The 200-load run is by hand (`python -m perf.soak`, figures in the README); here 16 loads
(8 good, each of perf/hostile.py's 8 variants once) against one database on a small demo
company must leave the history, the report and the version folder intact.
"""

import pytest

from perf import hostile, soak

pytestmark = pytest.mark.slow


def test_sixteen_loads_good_and_hostile_in_turn(tmp_path):
    out = soak.soak(2 * len(hostile.VARIANTS), accounts=50, work=tmp_path, log=lambda m: None)
    assert out["figures"]["wrong"] == []
    assert all(out["checks"].values()), {k: v for k, v in out["checks"].items() if not v}
    assert out["history_entries"] == 17
