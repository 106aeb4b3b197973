"""Every metric of the spec, computed by SQL in DuckDB over the loaded dataset.

Public entry points are re-exported here so pages, the report and tests import
`gtm.metrics` only.
"""

from gtm.db import query, scalar  # noqa: F401
from gtm.metrics.base import (  # noqa: F401
    QualifiedStage,
    dataset_info,
    params,
    resolve_qualified_stage,
    run,
)
from gtm.metrics.compute import compute  # noqa: F401, E402
