"""Session-wide servers: the Workspace emulator (and, where marked, Google's emulators)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import start_workspace_emulator
from workspace_emulator.client import ControlClient


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def emulator_url(run_dir: Path) -> Iterator[str]:
    server, url = start_workspace_emulator(run_dir)
    yield url
    server.stop()


@pytest.fixture
def control(emulator_url: str) -> ControlClient:
    """A freshly reset emulator with two customers: A (two domains) and B."""
    client = ControlClient(emulator_url)
    client.reset()
    client.add_customer("C01aaaaaa", ["a.example", "a2.example"], "admin@a.example")
    client.add_customer("C02bbbbbb", ["b.example"], "admin@b.example")
    return client
