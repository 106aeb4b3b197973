"""A Spark "connection" with the small DB-API surface gtm.db uses, so every metric query
function runs on Spark unchanged.

gtm.db.query takes `con.cursor()`, calls `cursor.execute(sql, params).df()` and closes the
cursor; `SparkConnection` offers exactly that over a SparkSession: `execute` transpiles the
composed DuckDB statement (gtm/spark/transpile.py) against the schema of the tables
registered here, binds the parameters as Spark named parameters and runs it; `df()` reads
the (small) result into pandas. Tables are Spark temporary views: the canonical input
(gtm/spark/source.py) and the intermediate tables built from staging's SQL, cached.
"""

from __future__ import annotations

import pandas as pd

from gtm.spark.transpile import kind, to_spark

# Spark type names the DuckDB-dialect schema of SQLGlot reads differently.
_TYPE_NAMES = {"string": "varchar", "timestamp_ntz": "timestamp", "array<string>": "varchar[]"}


class SparkConnection:
    """Tables (temporary views) of one Spark session and the statements run over them."""

    def __init__(self, spark):
        self.spark = spark
        self.schema: dict[str, dict[str, str]] = {}  # view -> {column: type}
        self._cached: list = []

    def register(self, name: str, frame, cache: bool = False):
        """Make a DataFrame readable as `name`; cache=True keeps it (an intermediate table)."""
        if cache:
            frame = frame.cache()
            frame.count()  # build it now: the load step, not the first query, pays for it
            self._cached.append(frame)
        frame.createOrReplaceTempView(name)
        self.schema[name] = {f.name: _type_name(f.dataType.simpleString())
                             for f in frame.schema.fields}
        return frame

    def sql(self, sql: str, params: dict | None = None, inline: bool = False):
        """The Spark DataFrame of a DuckDB statement (not collected); inline: CTEs written
        out (an intermediate table to cache, gtm.spark.transpile.inline_ctes)."""
        params = params or {}
        kinds = {name: kind(value) for name, value in params.items()}
        text = to_spark(sql, kinds, self.schema, inline)
        args = {name: list(v) if isinstance(v, tuple) else v for name, v in params.items()
                if f":{name}" in text}
        return self.spark.sql(text, args=args or None)

    def cursor(self) -> SparkCursor:
        return SparkCursor(self)

    def execute(self, sql: str, params: dict | None = None) -> SparkCursor:
        return self.cursor().execute(sql, params)

    def close(self) -> None:
        """Drop the cached intermediate tables and this connection's views."""
        for frame in self._cached:
            frame.unpersist()
        for name in self.schema:
            self.spark.catalog.dropTempView(name)
        self._cached.clear()
        self.schema.clear()


class SparkCursor:
    def __init__(self, con: SparkConnection):
        self._con = con
        self._frame = None

    def execute(self, sql: str, params: dict | None = None) -> SparkCursor:
        self._frame = self._con.sql(sql, params)
        return self

    def df(self) -> pd.DataFrame:
        """The whole result as pandas (metric results are a few rows)."""
        rows = self._frame.collect()
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=self._frame.columns)

    def fetchall(self) -> list[tuple]:
        return [tuple(r) for r in self._frame.collect()]

    def fetchone(self) -> tuple | None:
        rows = self._frame.take(1)
        return tuple(rows[0]) if rows else None

    def close(self) -> None:
        self._frame = None


def _type_name(spark_type: str) -> str:
    return _TYPE_NAMES.get(spark_type, spark_type)
