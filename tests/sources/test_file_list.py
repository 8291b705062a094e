"""Which files a window opens: hidden files skipped, date partitions outside the window pruned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from driftmon.config import FileSourceConfig
from driftmon.core import NumericBins
from driftmon.errors import CorruptFileError, SourceFileNotFoundError
from driftmon.sources import FileSource
from driftmon.sources.file_list import list_files
from driftmon.windows import Span, TimeRange, Window


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def _tree(root: Path) -> None:
    for day in ("2024-05-01", "2024-05-02", "2024-05-03"):
        for region in ("eu", "us"):
            path = root / f"date={day}" / f"region={region}" / "part.parquet"
            path.parent.mkdir(parents=True)
            path.write_bytes(b"x")
    (root / "date=2024-05-02" / "_SUCCESS").write_bytes(b"")
    (root / "date=2024-05-02" / ".part.parquet.crc").write_bytes(b"")
    (root / "_temporary" / "0").mkdir(parents=True)
    (root / "_temporary" / "0" / "part.parquet").write_bytes(b"")
    (root / "date=not-a-date").mkdir()
    (root / "date=not-a-date" / "part.parquet").write_bytes(b"x")


def _names(root: Path, span: Span | None, path: str | None = None) -> list[str]:
    listed = list_files("src", path or str(root), span)
    return [str(Path(p).relative_to(root)) for p in listed.files]


def test_date_partitions_outside_the_span_are_pruned_and_hidden_files_skipped(tmp_path: Path) -> None:
    _tree(tmp_path)
    every = _names(tmp_path, None)
    assert len(every) == 7  # 3 days x 2 regions, and the directory that is not a date
    assert not any("_SUCCESS" in n or ".crc" in n or "_temporary" in n for n in every)
    day2 = _names(tmp_path, Window(utc(2024, 5, 2, 10), utc(2024, 5, 2, 11)))
    assert day2 == [
        "date=2024-05-02/region=eu/part.parquet",
        "date=2024-05-02/region=us/part.parquet",
        "date=not-a-date/part.parquet",  # not a date: never pruned
    ]
    across = _names(tmp_path, Window(utc(2024, 5, 1, 23), utc(2024, 5, 2, 1)))
    assert [n.split("/")[0] for n in across] == ["date=2024-05-01"] * 2 + ["date=2024-05-02"] * 2 + [
        "date=not-a-date"
    ]
    # Half-open: a window ending at midnight does not meet the next day.
    assert "date=2024-05-02" not in {
        n.split("/")[0] for n in _names(tmp_path, Window(utc(2024, 5, 1), utc(2024, 5, 2)))
    }
    open_ended = _names(tmp_path, TimeRange(utc(2024, 5, 3), None))
    assert [n.split("/")[0] for n in open_ended] == ["date=2024-05-03"] * 2 + ["date=not-a-date"]
    globbed = _names(tmp_path, Window(utc(2024, 5, 3), utc(2024, 5, 4)), str(tmp_path / "**" / "*.parquet"))
    assert globbed == [
        "date=2024-05-03/region=eu/part.parquet",
        "date=2024-05-03/region=us/part.parquet",
        "date=not-a-date/part.parquet",
    ]


def test_no_file_at_all_is_an_error_and_a_window_without_files_counts_nothing(tmp_path: Path) -> None:
    with pytest.raises(SourceFileNotFoundError):
        list_files("src", str(tmp_path / "none"), None)
    day = tmp_path / "date=2024-05-01"
    day.mkdir()
    pq.write_table(
        pa.table({"ts": pa.array([utc(2024, 5, 1, 1)], pa.timestamp("us", tz="UTC")), "x": [1.0]}),
        day / "a.parquet",
    )
    (tmp_path / "date=2024-05-02").mkdir()
    (tmp_path / "date=2024-05-02" / "a.parquet").write_bytes(b"PAR1 truncated")  # being written
    with FileSource(FileSourceConfig(path=str(tmp_path)), "ts") as source:
        counted = source.count({"x": NumericBins((0.0,))}, Window(utc(2024, 5, 1), utc(2024, 5, 1, 2)))
        assert counted.rows == 1
        assert counted.histograms["x"].counts.tolist() == [0, 1, 0]
        empty = source.count({"x": NumericBins((0.0,))}, Window(utc(2024, 6, 1), utc(2024, 6, 2)))
        assert empty.rows == 0
        assert empty.histograms["x"].counts.tolist() == [0, 0, 0]
        assert source.first_timestamp(Window(utc(2024, 6, 1), utc(2024, 6, 2))) is None
        assert source.first_timestamp(Window(utc(2024, 5, 1), utc(2024, 5, 2))) == utc(2024, 5, 1, 1)
        with pytest.raises(CorruptFileError) as bad:
            source.count({"x": NumericBins((0.0,))}, Window(utc(2024, 5, 2), utc(2024, 5, 3)))
        assert bad.value.file == str(tmp_path / "date=2024-05-02" / "a.parquet")
