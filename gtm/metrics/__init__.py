"""Every metric of the spec, computed by SQL in DuckDB over the loaded dataset.

Public entry points are re-exported here so pages, the report and tests import
`gtm.metrics` only.
"""

from gtm.metrics.base import (  # noqa: F401
    FILTERED,
    QualifiedStage,
    dataset_info,
    params,
    query,
    resolve_qualified_stage,
    run,
    scalar,
)
from gtm.metrics.compute import compute  # noqa: F401, E402
