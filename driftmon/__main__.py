from __future__ import annotations

from driftmon.cli import main

main()
