"""The SparkSession the Spark engine runs on: local mode here, any cluster elsewhere.

`SPARK_REMOTE` (e.g. sc://host:15002) connects through Spark Connect; under `spark-submit`
the session the launcher configured is used as it is; otherwise a local session with one
worker thread per core. Local sessions are tuned for a laptop or CI: few shuffle
partitions (a metric query shuffles kilobytes), no web UI, no progress bar, and UTC, so a
touch timestamp falls on the same day as in DuckDB (the loader sets UTC too).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

LOG_CONFIG = Path(__file__).with_name("log4j2.properties")
# The engine reads results as rows (collect), never through pandas conversion, so PySpark's
# notice about pandas 3 does not apply to it.
warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                        category=FutureWarning)


def spark_conf(master: str, partitions: int | None = None,
               memory: str | None = None) -> dict[str, str]:
    """Session settings: UTC and quiet everywhere; a local session also keeps its driver on
    the loopback address, logs errors only and gets its memory and shuffle partitions."""
    conf = {
        "spark.master": master,
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
    }
    if partitions:
        conf["spark.sql.shuffle.partitions"] = str(partitions)
    if master.startswith("local"):
        cores = os.cpu_count() or 2
        conf.update({
            "spark.sql.shuffle.partitions": str(partitions or 2 * cores),
            "spark.default.parallelism": str(partitions or 2 * cores),
            "spark.driver.memory": memory or os.environ.get("TARGETLINE_SPARK_MEMORY", "4g"),
            "spark.ui.enabled": "false",
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.extraJavaOptions": "-Duser.timezone=UTC "
                                             f"-Dlog4j2.configurationFile=file:{LOG_CONFIG} "
                                             + os.environ.get("TARGETLINE_SPARK_JAVA_OPTIONS",
                                                              ""),
        })
    return conf


def get_session(master: str | None = None, partitions: int | None = None,
                memory: str | None = None):
    """The active SparkSession, or a new one (see the module docstring): Spark Connect when
    SPARK_REMOTE is set, `master` when given (default local[<cores>])."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = SparkSession.builder.appName("targetline")
    if os.environ.get("SPARK_REMOTE") and master is None:
        builder = builder.remote(os.environ["SPARK_REMOTE"])
    elif master is not None or not os.environ.get("PYSPARK_GATEWAY_PORT"):
        master = master or f"local[{os.cpu_count() or 2}]"
        for key, value in spark_conf(master, partitions, memory).items():
            builder = builder.config(key, value)
        if master.startswith("local"):
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    _quiet(spark)
    return spark


def _quiet(spark) -> None:
    """Errors only in the JVM log (Spark Connect sessions have no SparkContext)."""
    try:
        spark.sparkContext.setLogLevel("ERROR")
    except Exception:  # Spark Connect: no SparkContext to quiet
        pass
