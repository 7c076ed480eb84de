"""Handlers, one module per API resource; importing them registers them by discovery method id."""

from __future__ import annotations

import importlib

MODULES = (
    "users",
    "orgunits",
    "roles",
    "tenant",
    "licensing",
    "gmail",
    "iam",
    "sheets",
)


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(f"{__name__}.{name}")
