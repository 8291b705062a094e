"""Where a monitor reads: a SQL database, files or Spark, and where its reference comes from."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from driftmon.config.types import DatabaseURL, PositiveDuration, Timestamp, redact_url

# Rows per record batch read from files: memory per column stays near 1 MB (float64).
DEFAULT_BATCH_ROWS = 131_072
DEFAULT_SPARK_MASTER = "local[*]"
# percentile_approx's accuracy: an edge's rank is within rows / accuracy of the exact quantile's.
DEFAULT_SPARK_ACCURACY = 10_000
# Formats a Spark `path` is read with; delta and iceberg need their packages in the session.
SparkFormat = Literal["parquet", "delta", "iceberg", "orc"]
_SECRET_WORDS = ("password", "secret", "token", "credential", "key")
_SPARK_MASTER = re.compile(
    r"(local(\[(\*|\d+)(,\d+)?\])?|local-cluster\[\d+,\d+,\d+\]|yarn|k8s://\S+|(spark|sc)://\S+)"
)


class SqlSourceConfig(BaseModel):
    """A table or a query in any database SQLAlchemy can reach."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: Literal["sql"] = "sql"
    url: DatabaseURL = Field(description="SQLAlchemy URL; put passwords in ${ENV_VARS}")
    table: str | None = Field(None, min_length=1)
    table_schema: str | None = Field(None, alias="schema", min_length=1)
    query: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_target(self) -> SqlSourceConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("a sql source needs exactly one of 'table' or 'query'")
        if self.query is not None and self.table_schema is not None:
            raise ValueError("'schema' applies to 'table' only; qualify names inside the query instead")
        return self

    @property
    def description(self) -> str:
        """Name the source for messages and logs, password hidden."""
        what = f"query {_shorten(self.query)!r}" if self.query else f"table {self.qualified_table!r}"
        return f"{redact_url(self.url.get_secret_value())} {what}"

    @property
    def qualified_table(self) -> str:
        return f"{self.table_schema}.{self.table}" if self.table_schema else str(self.table)

    def with_target(self, table: str | None, schema: str | None, query: str | None) -> SqlSourceConfig:
        """Return this connection pointed at another table or query."""
        return self.model_copy(update={"table": table, "table_schema": schema, "query": query})


class FileSourceConfig(BaseModel):
    """Parquet or CSV files: one path, a glob, or a (hive-partitioned) Parquet dataset directory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["file"] = "file"
    path: str = Field(min_length=1, description="file, glob or directory; relative to the config file")
    format: Literal["parquet", "csv"] | None = Field(None, description="default: from the file extension")
    batch_rows: int = Field(DEFAULT_BATCH_ROWS, ge=1024, description="rows per record batch")

    @property
    def file_format(self) -> Literal["parquet", "csv"]:
        """Return the format given, else `csv` for *.csv / *.csv.gz paths and `parquet` otherwise."""
        if self.format is not None:
            return self.format
        lower = self.path.lower()
        return "csv" if lower.endswith((".csv", ".csv.gz", ".csv.bz2")) else "parquet"

    @property
    def description(self) -> str:
        return f"{self.file_format} files {self.path}"

    def with_path(self, path: str, format: Literal["parquet", "csv"] | None) -> FileSourceConfig:
        """Return these settings pointed at other files."""
        return self.model_copy(update={"path": path, "format": format or self.format})


def redact_spark_master(master: str) -> str:
    """Return a Spark master URL with Spark Connect parameters such as `;token=...` hidden."""
    if not master.startswith("sc://"):
        return master
    head, *params = master.split(";")
    shown = [p.split("=")[0] + "=***" if secret_conf_key(p.split("=")[0]) else p for p in params]
    return ";".join([head, *shown])


def secret_conf_key(key: str) -> bool:
    """True for Spark conf keys whose values are credentials (hidden from hashes and messages)."""
    return any(word in key.lower() for word in _SECRET_WORDS)


class SparkSourceConfig(BaseModel):
    """A table, query or path read by Spark; windows are counted inside Spark (see driftmon.sources.spark)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["spark"] = "spark"
    master: str = Field(
        DEFAULT_SPARK_MASTER,
        min_length=1,
        description="local[*], spark://host:7077, yarn, k8s://..., or Spark Connect sc://host:15002",
    )
    conf: dict[str, str] = Field(
        default_factory=dict, description="Spark settings (key: value); put secrets in ${ENV_VARS}"
    )
    table: str | None = Field(None, min_length=1, description="a catalog name: db.table or catalog.db.table")
    query: str | None = Field(None, min_length=1, description="Spark SQL returning the rows")
    path: str | None = Field(
        None, min_length=1, description="files or a table directory; relative to the config file"
    )
    format: SparkFormat = Field("parquet", description="how `path` is read")
    accuracy: int = Field(
        DEFAULT_SPARK_ACCURACY,
        ge=1,
        le=1_000_000,
        description="percentile_approx accuracy for large references",
    )

    @field_validator("master")
    @classmethod
    def _known_master(cls, master: str) -> str:
        if _SPARK_MASTER.fullmatch(master) is None:
            raise ValueError(
                f"Spark master {redact_spark_master(master)!r} is not one Spark knows; expected local[*], "
                "local[N], spark://host:port, yarn, k8s://https://host:port or sc://host:port"
            )
        return master

    @field_validator("conf", mode="before")
    @classmethod
    def _text_values(cls, conf: Any) -> Any:
        # YAML reads `spark.sql.shuffle.partitions: 8` as a number; Spark takes every setting as text.
        if isinstance(conf, dict):
            return {
                k: (str(v).lower() if isinstance(v, bool) else str(v))
                if isinstance(v, int | float | bool)
                else v
                for k, v in conf.items()
            }
        return conf

    @model_validator(mode="after")
    def _one_target(self) -> SparkSourceConfig:
        targets = [k for k in ("table", "query", "path") if getattr(self, k) is not None]
        if len(targets) != 1:
            got = f"got {' and '.join(targets)}" if targets else "got none"
            raise ValueError(f"a spark source needs exactly one of 'table', 'query' or 'path', {got}")
        if self.format != "parquet" and self.path is None:
            raise ValueError("'format' applies to 'path' only")
        return self

    @property
    def connect(self) -> bool:
        """True for a Spark Connect server (sc://), False for a classic driver in this process."""
        return self.master.startswith("sc://")

    @property
    def description(self) -> str:
        """Name the source for messages and logs, Spark Connect tokens hidden."""
        if self.table is not None:
            what = f"table {self.table!r}"
        elif self.query is not None:
            what = f"query {_shorten(self.query)!r}"
        else:
            what = f"{self.format} {self.path}"
        return f"spark {redact_spark_master(self.master)} {what}"

    def with_target(
        self, table: str | None, query: str | None, path: str | None, format: str | None
    ) -> SparkSourceConfig:
        """Return this session pointed at another table, query or path."""
        update: dict[str, Any] = {"table": table, "query": query, "path": path}
        update["format"] = format if path is not None and format is not None else "parquet"
        return self.model_validate({**self.model_dump(), **update})


def _source_tag(value: Any) -> str | None:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return f"<{kind}>" if kind in ("sql", "file", "spark") else None


SourceConfig = Annotated[
    Annotated[SqlSourceConfig, Tag("<sql>")]
    | Annotated[FileSourceConfig, Tag("<file>")]
    | Annotated[SparkSourceConfig, Tag("<spark>")],
    Discriminator(
        _source_tag,
        custom_error_type="source_kind",
        custom_error_message=(
            "expected 'kind: sql' (with url and table or query), 'kind: file' (with path) "
            "or 'kind: spark' (with table, query or path)"
        ),
    ),
]


class ReferenceConfig(BaseModel):
    """What live windows are compared with; one of three forms.

    - a fixed time range of the monitor's own data: `{start, end}`;
    - other data of the same source: `{table | query | path}` with an optional `{start, end}`;
      without them every row is the reference (a training set) and needs no timestamp column;
    - a rolling period before now: `{previous: 7d, refit_every: 1d}`, refitted on its schedule.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    start: Timestamp | None = None
    end: Timestamp | None = None
    table: str | None = Field(None, min_length=1)
    table_schema: str | None = Field(None, alias="schema", min_length=1)
    query: str | None = Field(None, min_length=1)
    path: str | None = Field(None, min_length=1)
    format: Literal["parquet", "csv", "delta", "iceberg", "orc"] | None = None
    previous: PositiveDuration | None = None
    refit_every: PositiveDuration | None = Field(None, description="default: the `previous` period")

    @model_validator(mode="after")
    def _one_form(self) -> ReferenceConfig:
        targets = [k for k in ("table", "query", "path") if getattr(self, k) is not None]
        if len(targets) > 1:
            raise ValueError(f"reference takes one of table, query or path, got {' and '.join(targets)}")
        if self.previous is not None:
            clash = [k for k in ("start", "end", *targets) if getattr(self, k) is not None]
            if clash:
                raise ValueError(
                    f"a rolling reference ('previous') cannot also set {', '.join(clash)}: "
                    "it always reads the monitor's own data before now"
                )
        elif self.refit_every is not None:
            raise ValueError("'refit_every' applies to a rolling reference only; set 'previous' too")
        elif not targets and (self.start is None or self.end is None):
            raise ValueError(
                "reference needs a fixed range {start, end}, other data {table | query | path}, "
                "or a rolling period {previous: 7d}"
            )
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(
                f"reference start {self.start.isoformat()} is not before end {self.end.isoformat()}"
            )
        if self.table_schema is not None and self.table is None:
            raise ValueError("reference 'schema' applies to 'table' only")
        if self.format is not None and self.path is None:
            raise ValueError("reference 'format' applies to 'path' only")
        return self

    @property
    def mode(self) -> Literal["fixed", "separate", "rolling"]:
        if self.previous is not None:
            return "rolling"
        if self.table or self.query or self.path:
            return "separate"
        return "fixed"

    @property
    def whole_source(self) -> bool:
        """True for other data without a time range: every row is the reference, no timestamp needed."""
        return self.previous is None and self.start is None and self.end is None

    @property
    def refit_interval(self) -> timedelta | None:
        """How often a rolling reference is refitted (None for the other forms)."""
        if self.previous is None:
            return None
        return self.refit_every or self.previous


def _shorten(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 60 else flat[:57] + "..."
