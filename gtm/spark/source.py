"""A canonical extract on Spark: read it, check it, build the intermediate tables.

The input is what `python -m gtm export-parquet` writes (one folder of Parquet files per
canonical table, `DIR/people/`, `DIR/touches/`, ...; a single `DIR/people.parquet` file
works too, and so does any Spark path such as s3a://bucket/crm), or the tables of a Spark
catalog database (`catalog:NAME`). Each table is checked against the data contract like
the loader checks a file: a missing required table or column is refused with its name, a
column of the wrong type too; a missing optional table is empty, a missing optional column
NULL. The values are expected canonical (as the loader wrote them); this path does not
re-run the loader's per-row checks.

Then staging's own SQL (gtm/load/staging.py STEPS) builds the same intermediate tables on
Spark, cached, and dataset_meta gets the as-of date from the loader's own query.
"""

from __future__ import annotations

import re
from pathlib import Path

from gtm.contract import TABLES, Table
from gtm.db import bind
from gtm.load import staging
from gtm.load.loader import AS_OF_SQL
from gtm.load.validate import Message
from gtm.spark.connection import SparkConnection

# The canonical tables whose DuckDB rowid staging reads (the account and person keys).
ROWID_TABLES = ("accounts", "people")

# Contract type -> (Spark type it is read as, Spark types accepted in the input).
_INTEGERS = ("tinyint", "smallint", "int", "bigint")
_NUMBERS = (*_INTEGERS, "float", "double", "decimal")
SPARK_TYPES = {
    "text": ("string", ("string", *_INTEGERS)),
    "date": ("date", ("date", "timestamp", "timestamp_ntz")),
    "timestamp": ("timestamp", ("timestamp", "timestamp_ntz", "date")),
    "integer": ("bigint", _INTEGERS),
    "number": ("double", _NUMBERS),
    "money": ("double", _NUMBERS),
    "boolean": ("boolean", ("boolean",)),
}
_CREATE = re.compile(r"^\s*create table (\w+) as\s+(.*)$", re.IGNORECASE | re.DOTALL)


class SourceError(Exception):
    """The extract was refused: `messages` say which table and column, and why."""

    def __init__(self, messages: list[Message]):
        self.messages = messages
        super().__init__("; ".join(str(m) for m in messages))


def open_source(spark, source: str, report=lambda message: None) -> SparkConnection:
    """A SparkConnection over `source` with every table the metrics read (SourceError when
    the extract is refused)."""
    con = SparkConnection(spark)
    frames, provided = read_tables(spark, source)
    for name, frame in frames.items():
        con.register(name, frame, cache=name in ROWID_TABLES)
    build_staging(con, report)
    _write_meta(con, source, provided)
    return con


def read_tables(spark, source: str) -> tuple[dict, dict[str, str | None]]:
    """{table: typed DataFrame} for every contract table, and where each was found (None:
    not provided, read as empty)."""
    messages: list[Message] = []
    frames, provided = {}, {}
    for table in TABLES.values():
        raw, where = _find(spark, source, table.name)
        provided[table.name] = where
        if raw is None:
            if table.required:
                messages.append(_missing_table(source, table))
            frames[table.name] = _empty(spark, table)
            continue
        found = {f.name.lower(): f for f in raw.schema.fields}
        problems = _column_problems(where, table, found)
        messages += problems
        if not problems:
            frames[table.name] = _typed(raw, table, found)
    if messages:
        raise SourceError(messages)
    for name in ROWID_TABLES:
        frames[name] = with_rowid(frames[name])
    return frames, provided


def _find(spark, source: str, name: str):
    """(DataFrame, where) of table `name` in source, (None, None) when it has none."""
    if source.startswith("catalog:"):
        full = f"{source.removeprefix('catalog:')}.{name}"
        return (spark.table(full), full) if spark.catalog.tableExists(full) else (None, None)
    if "://" in source:
        return _read_uri(spark, source.rstrip("/") + "/" + name)
    root = Path(source)
    for path in (root / name, root / f"{name}.parquet"):
        if path.exists():
            return spark.read.parquet(str(path)), f"{name}/" if path.is_dir() else path.name
    return None, None


def _read_uri(spark, path: str):
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(path), path
    except AnalysisException as exc:
        if "PATH_NOT_FOUND" in str(exc) or "does not exist" in str(exc):
            return None, None
        raise


def _missing_table(source: str, table: Table) -> Message:
    where = ("a table " + source.removeprefix("catalog:") + "." + table.name
             if source.startswith("catalog:") else f"a folder {table.name}/ of Parquet files "
             f"(or {table.name}.parquet) in {source}")
    return Message("error", f"{table.name}/", None, None,
                   f"required table is missing; expected {where} with columns "
                   f"{', '.join(table.column_names)}")


def _column_problems(where: str, table: Table, found: dict) -> list[Message]:
    messages = []
    for col in table.columns:
        field = found.get(col.name)
        if field is None:
            if col.required:
                messages.append(Message("error", where, None, col.name,
                                        f"required column {col.name} is missing; the table "
                                        f"has: {', '.join(found) or 'no columns'}"))
            continue
        spark_type = field.dataType.simpleString()
        accepted = SPARK_TYPES[col.type][1]
        if spark_type.split("(")[0] not in accepted:
            messages.append(Message("error", where, None, col.name,
                                    f"column {col.name} is {spark_type}; expected {col.type} "
                                    f"(Parquet {' or '.join(accepted)})"))
    return messages


def _typed(raw, table: Table, found: dict):
    """The contract's columns in order, cast to their Spark type; a missing one NULL (an
    opportunity's missing type: new business, as the loader)."""
    from pyspark.sql import functions as F

    cols = []
    for col in table.columns:
        spark_type = SPARK_TYPES[col.type][0]
        if col.name in found:
            value = F.col(_quoted(found[col.name].name)).cast(spark_type)
        elif (table.name, col.name) == ("opportunities", "type"):
            value = F.lit("new_business")
        else:
            value = F.lit(None).cast(spark_type)
        cols.append(value.alias(col.name))
    return raw.select(*cols)


def _empty(spark, table: Table):
    ddl = ", ".join(f"{c.name} {SPARK_TYPES[c.type][0]}" for c in table.columns)
    return spark.createDataFrame([], ddl)


def with_rowid(frame):
    """frame plus `rowid`: 0, 1, 2, ... in scan order, as DuckDB numbers a table's rows
    (monotonically_increasing_id is unique but jumps between partitions; each partition's
    count turns it into a dense number without moving the rows to one partition)."""
    from pyspark.sql import functions as F

    tagged = (frame.withColumn("_part", F.spark_partition_id())
              .withColumn("_mono", F.monotonically_increasing_id())
              .localCheckpoint(eager=True))
    counts = sorted(tuple(r) for r in tagged.groupBy("_part").count().collect())
    offsets, total = [], 0
    for part, n in counts:
        offsets += [F.lit(part), F.lit(total)]
        total += n
    if not offsets:
        return frame.withColumn("rowid", F.lit(None).cast("bigint"))
    start = F.create_map(*offsets)[F.col("_part")]
    first_id = F.shiftleft(F.col("_part").cast("bigint"), 33)
    rowid = (start + F.col("_mono") - first_id).cast("bigint")
    return tagged.withColumn("rowid", rowid).drop("_part", "_mono")


def build_staging(con: SparkConnection, report=lambda message: None) -> None:
    """staging.STEPS on Spark: each `create table int_x as <select>` becomes a cached view.
    Under the v1 target rules (no target definition: export-parquet carries the canonical
    tables, not the definition history) and over the contract's account fields."""
    kinds = {c.name: "number" if c.type in staging.NUMBER_TYPES else "text"
             for c in TABLES["accounts"].columns}
    p = staging.step_params(None, kinds)
    for label, table, step in staging.STEPS:
        report(f"preparing {label}")
        sql = staging.account_fields_sql(kinds) if table == "int_account_fields" else step
        match = _CREATE.match(sql)
        if match is None:
            raise ValueError(f"staging step {label} is not `create table X as select`")
        body = match.group(2)  # the select of a staging step: staging's own constant text
        con.register(match.group(1), con.sql(body, bind(body, p), inline=True), cache=True)


def _write_meta(con: SparkConnection, source: str, provided: dict) -> None:
    """dataset_meta (as-of date from the loader's own query) and dataset_tables."""
    as_of = con.sql(AS_OF_SQL).collect()[0][0]
    meta = {"as_of": as_of.isoformat() if as_of else None, "contract_version": "2",
            "staging_version": staging.STAGING_VERSION, "source": source, "engine": "spark"}
    spark = con.spark
    con.register("dataset_meta", spark.createDataFrame(list(meta.items()),
                                                        "key string, value string"))
    rows = [(name, where is not None, spark.table(name).count() if where else 0, where)
            for name, where in provided.items()]
    con.register("dataset_tables", spark.createDataFrame(
        rows, "`table` string, provided boolean, rows bigint, source_file string"))


def _quoted(name: str) -> str:
    """A column reference for a name read from the input's schema (backticks doubled)."""
    return "`" + name.replace("`", "``") + "`"
