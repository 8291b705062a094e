"""driftmon.pages: server-rendered pages of `driftmon serve`, on the API's port and token setting.

`/` lists every monitor (stale or failing first); `/monitors/{m}` has a row per column;
`/monitors/{m}/columns/{c}` overlays one window's reference and live distributions, lists each
bin's contribution and charts the statistic's history with its levels and noise band;
`/runs/{id}` shows one run. HTML with inline SVG and inline styles, no script and no file
from elsewhere, so the pages work offline and without JavaScript. `add_pages(app, clock)` mounts them.
"""

from __future__ import annotations

from driftmon.pages.bins import BinRow, distribution_rows
from driftmon.pages.history import HistoryPoint, history_points
from driftmon.pages.load import ColumnPage, load_column_page
from driftmon.pages.routes import add_pages
from driftmon.pages.urls import column_path, format_instant, monitor_path, parse_instant, run_path

__all__ = [
    "BinRow",
    "ColumnPage",
    "HistoryPoint",
    "add_pages",
    "column_path",
    "distribution_rows",
    "format_instant",
    "history_points",
    "load_column_page",
    "monitor_path",
    "parse_instant",
    "run_path",
]
