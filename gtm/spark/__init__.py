"""The same metric definitions on Apache Spark, for data that lives in a lake (issue 19).

No metric is written here: `transpile` turns the DuckDB SQL that gtm.metrics composes (and
staging's intermediate tables) into Spark SQL, `connection` offers the few DB-API calls
gtm.db makes over a SparkSession, `source` reads and checks a canonical Parquet extract,
`engine` runs the registry's queries side by side into `compute.assemble`, and `export`
writes a loaded dataset as Parquet. DECISIONS.md says why transpilation and what it costs.
"""
