"""Errors of the service layer: configuration, durations, windows, sources and columns.

Each exception subclasses the built-in a caller would expect (ValueError for bad input,
ConnectionError for an unreachable database, FileNotFoundError for a missing file, LookupError
for a missing column) and builds its own message from the offending key and value, so the
text is the same wherever it is raised. Messages never contain secrets: sources are named by
their redacted description (password hidden) and config values that came from environment
variables are scrubbed before they reach a message.

DriftmonError is the base of every error driftmon raises, here and in the other packages
(store, alerts, metrics, scheduler, http, pages, rules, core): the command line catches it
as the one type of failure it reports as a message. It is defined in driftmon.core.errors,
the layer every other may import, and re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from driftmon.core.errors import DriftmonError

__all__ = [
    "AmbiguousDurationError",
    "ColumnError",
    "ColumnReadError",
    "ColumnTypeChangedError",
    "ColumnTypeError",
    "ConfigError",
    "ConfigFileError",
    "ConfigProblem",
    "ConfigSyntaxError",
    "ConfigValidationError",
    "CorruptFileError",
    "DriftmonError",
    "DuplicateMonitorError",
    "DurationError",
    "EmptyReferenceError",
    "InvalidTextError",
    "MissingColumnError",
    "NonNumericColumnError",
    "SourceError",
    "SourceFileNotFoundError",
    "SourceQueryError",
    "SourceSchemaError",
    "SourceTimeoutError",
    "SourceUnreachableError",
    "UnknownMonitorError",
    "UnsetVariableError",
    "WindowError",
]


@dataclass(frozen=True)
class ConfigProblem:
    """One problem in a config file: where (file, line, path inside it) and what was expected."""

    file: str | None
    line: int | None
    location: str
    message: str

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}: " if self.line is not None else f"{self.file}: "
        path = f"{self.location}: " if self.location else ""
        return f"{where}{path}{self.message}"


class ConfigError(DriftmonError, ValueError):
    """The configuration is invalid; `problems` lists every problem found, each with its place."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        if len(self.problems) == 1:
            message = f"invalid configuration: {self.problems[0]}"
        else:
            lines = "\n".join(f"  {p}" for p in self.problems)
            message = f"invalid configuration ({len(self.problems)} problems):\n{lines}"
        super().__init__(message)


class ConfigFileError(ConfigError, OSError):
    """A config file that cannot be read (missing, a directory, unreadable)."""

    def __init__(self, file: str, reason: str) -> None:
        self.file = file
        super().__init__([ConfigProblem(file, None, "", f"cannot read the config file: {reason}")])


class ConfigSyntaxError(ConfigError):
    """A config file that is not valid YAML, or whose top level is not a mapping."""

    def __init__(self, file: str, line: int | None, reason: str) -> None:
        self.file = file
        self.line = line
        super().__init__([ConfigProblem(file, line, "", reason)])


class UnsetVariableError(ConfigError):
    """`${NAME}` references to environment variables that are not set."""

    def __init__(self, references: Iterable[tuple[str, str | None, int | None, str]]) -> None:
        refs = list(references)
        self.variables = tuple(dict.fromkeys(name for name, *_ in refs))
        super().__init__(
            [
                ConfigProblem(
                    file,
                    line,
                    location,
                    f"environment variable {name} is not set (referenced as ${{{name}}}); "
                    f"export it, or give a default with ${{{name}:-default}}",
                )
                for name, file, line, location in refs
            ]
        )


class DuplicateMonitorError(ConfigError):
    """Two monitors with one name in the same file (across files, a later one overrides instead)."""

    def __init__(self, name: str, file: str | None, lines: Sequence[int | None], location: str) -> None:
        self.name = name
        known = [str(line) for line in lines if line is not None]
        shown = " and ".join(known) if len(known) <= 2 else ", ".join(known[:-1]) + f" and {known[-1]}"
        at = f" (lines {shown})" if known else ""
        super().__init__(
            [
                ConfigProblem(
                    file,
                    lines[-1] if lines else None,
                    location,
                    f"monitor name {name!r} is used twice in this file{at}; monitor names must be unique "
                    "(to change a monitor from another file, repeat its name in a later file)",
                )
            ]
        )


class ConfigValidationError(ConfigError):
    """Values that do not fit the schema (wrong type, unknown key, out of range)."""


class UnknownMonitorError(DriftmonError, LookupError):
    """A monitor name that the configuration does not define."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        listing = ", ".join(repr(n) for n in self.known) if self.known else "none"
        super().__init__(f"no monitor named {name!r} in the configuration; monitors: {listing}")


class DurationError(DriftmonError, ValueError):
    """A duration that is not a number followed by a unit (`30s`, `10m`, `1h`, `7d`, `2w`).

    With `calendar` the value was a window size, which may also be `1mo`, `1q` or `1y`. A
    `hint` (the unit to write instead) replaces the general explanation.
    """

    def __init__(
        self, value: object, reason: str | None = None, *, calendar: bool = False, hint: str | None = None
    ) -> None:
        self.value = value
        detail = f": {reason}" if reason else ""
        if hint is not None:
            super().__init__(f"invalid duration {value!r}{detail}; {hint}")
            return
        units = "s, m, h, d or w, or for a window size mo, q or y" if calendar else "s, m, h, d or w"
        examples = "'1h', '7d', '1mo'" if calendar else "'1h', '7d'"
        super().__init__(
            f"invalid duration {value!r}{detail}; expected a whole number followed by a unit "
            f"{units}, e.g. '30s', '10m', {examples} (parts may be combined: '1h30m')"
        )


class AmbiguousDurationError(DurationError):
    """A duration with the unit `M`: minutes to some tools, months to others."""

    def __init__(self, value: object, number: str, *, calendar: bool = False) -> None:
        self.value = value
        if calendar:
            advice = f"write {number}mo for a month or {number}m for a minute"
        else:
            advice = f"write {number}m for a minute (a month, {number}mo, is a window size only)"
        ValueError.__init__(self, f"{value!r} is ambiguous: {advice}")


class WindowError(DriftmonError, ValueError):
    """A time window or range that makes no sense (end not after start, a cron that never fires)."""


class SourceError(DriftmonError):
    """A data source could not be read; `source` is its description with any password hidden."""

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"source {source}: {reason}")


class SourceUnreachableError(SourceError, ConnectionError):
    """The database behind a source cannot be reached (down, wrong host, refused credentials)."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(source, f"database unreachable: {reason}")


class SourceTimeoutError(SourceError, TimeoutError):
    """A source query ran longer than the monitor's timeout."""

    def __init__(self, source: str, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(source, f"query cancelled after the monitor's timeout of {seconds:g}s")


class SourceFileNotFoundError(SourceError, FileNotFoundError):
    """A file source path or glob that matches no file."""

    def __init__(self, source: str, path: str) -> None:
        self.path = path
        super().__init__(source, f"no such file: {path} (a path, a glob or a Parquet dataset directory)")


class CorruptFileError(SourceError, ValueError):
    """A data file that cannot be decoded (not Parquet, truncated, unparseable CSV)."""

    def __init__(self, source: str, file: str, reason: str) -> None:
        self.file = file
        super().__init__(source, f"cannot read {file}: {reason}")


class SourceQueryError(SourceError, RuntimeError):
    """The database rejected a query for reasons that are not one column's (missing table, bad SQL)."""


class SourceSchemaError(SourceError, LookupError):
    """The source lacks what every column needs (its timestamp column, the table itself)."""


class ColumnError(DriftmonError):
    """One column could not be counted; the other columns of the same read are unaffected."""

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"column {column!r}: {reason}")


class MissingColumnError(ColumnError, LookupError):
    """A configured column is absent from the data."""

    def __init__(self, column: str, where: str, available: Sequence[str] = ()) -> None:
        self.where = where
        self.available = tuple(available)
        shown = ", ".join(repr(c) for c in self.available[:20])
        more = f" (and {len(self.available) - 20} more)" if len(self.available) > 20 else ""
        listing = f"; it has {shown}{more}" if self.available else ""
        super().__init__(column, f"not found in {where}{listing}")


class ColumnTypeError(ColumnError, TypeError):
    """A column declared numeric whose database type is not a number type."""

    def __init__(self, column: str, found: str, expected: str = "numeric") -> None:
        self.found = found
        super().__init__(
            column,
            f"declared {expected} but its type in the source is {found}; "
            "declare the column categorical or cast it in a query source",
        )


class NonNumericColumnError(ColumnError, ValueError):
    """Values in a numeric column that are not numbers (strings in a text-typed column)."""


class InvalidTextError(ColumnError, ValueError):
    """A text value that is not valid UTF-8 (a Parquet string column, a CSV field)."""

    def __init__(self, column: str, file: str, value: bytes) -> None:
        self.file = file
        self.value = value
        shown = repr(value if len(value) <= 40 else value[:37] + b"...")
        super().__init__(
            column,
            f"value {shown} in {file} is not valid UTF-8 text; re-encode the file as UTF-8 "
            "(only this column fails; the others are still counted)",
        )


class ColumnTypeChangedError(ColumnError, TypeError):
    """A categorical column whose live values have a type its baseline's categories cannot match."""

    def __init__(self, column: str, description: str) -> None:
        super().__init__(column, description)


class ColumnReadError(ColumnError, RuntimeError):
    """The source failed on this column alone (the database rejected its expression)."""


class EmptyReferenceError(ColumnError, ValueError):
    """A reference with no rows for a column: there is nothing to fit bins on or compare with."""

    def __init__(self, column: str, where: str) -> None:
        super().__init__(column, f"the reference ({where}) has no rows; choose a reference with data")
