"""Session-wide servers: the Workspace emulator (and, where marked, Google's emulators)."""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import start_firestore_emulator, start_workspace_emulator
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


FIRESTORE_PROJECT = "demo-portalsync-test"


@pytest.fixture(scope="session")
def firestore_host(run_dir: Path) -> Iterator[str]:
    """Google's Firestore emulator for the session; `FIRESTORE_EMULATOR_HOST` points the client at it."""
    server, host = start_firestore_emulator(run_dir)
    saved = {k: os.environ.get(k) for k in ("FIRESTORE_EMULATOR_HOST", "GOOGLE_CLOUD_PROJECT")}
    os.environ["FIRESTORE_EMULATOR_HOST"] = host
    os.environ["GOOGLE_CLOUD_PROJECT"] = FIRESTORE_PROJECT
    yield host
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    server.stop()


@pytest.fixture
def firestore_client(firestore_host: str) -> Any:
    """An empty database: every test starts from the emulator's DELETE-all-documents endpoint."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    url = f"http://{firestore_host}/emulator/v1/projects/{FIRESTORE_PROJECT}/databases/(default)/documents"
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30):
        pass
    anonymous = AnonymousCredentials()  # type: ignore[no-untyped-call]  # google-auth: unannotated
    return firestore.Client(project=FIRESTORE_PROJECT, credentials=anonymous)
