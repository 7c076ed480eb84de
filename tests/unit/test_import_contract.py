"""The import contract covers every module docs/architecture.md calls core."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _core_modules() -> set[str]:
    """Module names from the architecture table's rows whose layer is `core`."""
    modules: set[str] = set()
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or cells[1] != "core":
            continue
        for name in re.findall(r"`([a-z_]+)(?:\.py|/)`", cells[0]):
            modules.add(f"portalsync.{name}")
    return modules


def test_every_core_module_is_in_the_import_contract() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    core = next(c for c in contracts if "portalsync.adapters" in c.get("forbidden_modules", []))
    documented = _core_modules()
    assert {"portalsync.apply_steps", "portalsync.results", "portalsync.roles"} <= documented
    assert documented - set(core["source_modules"]) == set()
