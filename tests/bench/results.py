"""Benchmark figures go to `.bench/results.json` (merged, so each benchmark adds its own) and are printed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / ".bench" / "results.json"


def record(**figures: Any) -> None:
    RESULTS.parent.mkdir(exist_ok=True)
    current: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    current.update(figures)
    RESULTS.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    for name, value in figures.items():
        print(f"bench {name} = {value}")
