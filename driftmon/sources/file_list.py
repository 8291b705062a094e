"""The files a file source reads for one span: listed, hidden ones left out, date partitions pruned.

A window opens only the files that may hold its rows, so a corrupt, truncated or half-written
file elsewhere (tomorrow's partition, still being written) does not fail it:

- Hidden files are skipped, as Spark, Hive and pyarrow writers expect: any file or directory
  below the source's base directory whose name starts with `.` or `_` (`_SUCCESS`,
  `_temporary/`, `.part-0.parquet.crc`).
- A hive partition directory whose value is a date, `date=2024-05-01/` (any key, the value
  exactly YYYY-MM-DD), holds the rows of that UTC day: a span that does not meet the day
  [2024-05-01T00:00Z, 2024-05-02T00:00Z) leaves every file under it unopened. Several date
  keys on one path must all meet the span.

A single file path is always read. Nothing else about a file is known before it is opened: a
file that may hold rows of the span is opened and a bad one fails the read, naming the file.
"""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from driftmon.errors import SourceFileNotFoundError
from driftmon.windows import Span

_GLOB_CHARS = ("*", "?", "[")
_HIDDEN_PREFIXES = (".", "_")
_DATE_PARTITION = re.compile(r"^[^=]+=(\d{4})-(\d{2})-(\d{2})$")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class FileList:
    """The files to read, sorted, and the directory hive partitions are read from (None: no base)."""

    files: tuple[str, ...]
    base: str | None


def _base_of_glob(pattern: str) -> str:
    head = pattern
    for char in _GLOB_CHARS:
        head = head.split(char, 1)[0]
    return os.path.dirname(head) or "."


def _hidden(relative: str) -> bool:
    return any(part.startswith(_HIDDEN_PREFIXES) for part in relative.split(os.sep) if part)


def _partition_day(part: str) -> datetime | None:
    match = _DATE_PARTITION.match(part)
    if match is None:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:  # date=2024-13-40 is not a date: the directory is not pruned
        return None


def _meets(relative: str, span: Span) -> bool:
    for part in os.path.dirname(relative).split(os.sep):
        day = _partition_day(part)
        if day is None:
            continue
        if span.start is not None and day + _DAY <= span.start:
            return False
        if span.end is not None and day >= span.end:
            return False
    return True


def _walk(root: str) -> list[str]:
    out: list[str] = []
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(_HIDDEN_PREFIXES))
        out.extend(os.path.join(directory, n) for n in names if not n.startswith(_HIDDEN_PREFIXES))
    return sorted(out)


def list_files(source: str, path: str, span: Span | None) -> FileList:
    """Return the files of `path` (a file, a glob or a directory) that may hold rows of `span`.

    Raises SourceFileNotFoundError when `path` matches no file at all (before any pruning).
    """
    if any(c in path for c in _GLOB_CHARS):
        base = _base_of_glob(path)
        matches = sorted(p for p in glob.glob(path, recursive=True) if os.path.isfile(p))
        files = [p for p in matches if not _hidden(os.path.relpath(p, base))]
        if not matches:
            raise SourceFileNotFoundError(source, path)
    elif os.path.isdir(path):
        base = path
        files = _walk(path)
        if not files:
            raise SourceFileNotFoundError(source, path)
    elif os.path.exists(path):
        return FileList((path,), None)
    else:
        raise SourceFileNotFoundError(source, path)
    if span is None:
        return FileList(tuple(files), base)
    return FileList(tuple(p for p in files if _meets(os.path.relpath(p, base), span)), base)
