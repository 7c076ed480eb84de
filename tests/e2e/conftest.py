"""The e2e stack: Pub/Sub emulator and one functions-framework server per entry point, for the session;
topics, push subscriptions and all three emulators' state fresh for every test (and Pub/Sub reset after it,
since the emulator retries a failed push every second forever)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from portalsync import names
from tests.conftest import FIRESTORE_PROJECT
from tests.e2e.stack import PubSub, start_function, start_pubsub_emulator
from tests.support.processes import Server
from workspace_emulator.client import ControlClient

SENDER = "admin@a.example"
#: entry point -> server name; sync_account twice, so two processes can race for one account
SERVERS = {
    "nightly_sync": "nightly_sync",
    "sync_account": "sync_account",
    "sync_account_2": "sync_account",
    "onboard": "onboard",
    "onboard_on_roster_write": "onboard_on_roster_write",
    "status": "status",
}


@pytest.fixture(scope="session")
def pubsub_host(run_dir: Path) -> Iterator[str]:
    server, host = start_pubsub_emulator(run_dir)
    yield host
    server.stop()


@pytest.fixture(scope="session")
def functions(
    run_dir: Path, firestore_host: str, pubsub_host: str, emulator_url: str
) -> Iterator[dict[str, str]]:
    """name -> base URL of a functions-framework server, environment as the deployed functions get it."""
    env = {
        "GOOGLE_CLOUD_PROJECT": FIRESTORE_PROJECT,
        "FIRESTORE_EMULATOR_HOST": firestore_host,
        "PUBSUB_EMULATOR_HOST": pubsub_host,
        "PORTALSYNC_WORKSPACE_ENDPOINT": emulator_url,
        "PORTALSYNC_AUTH_MODE": "emulator",
        "PORTALSYNC_MAIL_TRANSPORT": "gmail",
        "PORTALSYNC_MAIL_SENDER": SENDER,
    }
    with ThreadPoolExecutor(len(SERVERS)) as pool:
        started = {
            name: pool.submit(start_function, target, run_dir, env, name) for name, target in SERVERS.items()
        }
        servers: dict[str, tuple[Server, str]] = {name: f.result() for name, f in started.items()}
    yield {name: url for name, (_, url) in servers.items()}
    for server, _ in servers.values():
        server.stop()


@dataclass
class Stack:
    db: Any
    pubsub: PubSub
    control: ControlClient
    functions: dict[str, str]
    project: str = FIRESTORE_PROJECT


@pytest.fixture
def stack(
    firestore_client: Any, pubsub_host: str, control: ControlClient, functions: dict[str, str]
) -> Iterator[Stack]:
    pubsub = PubSub(pubsub_host, FIRESTORE_PROJECT)
    pubsub.reset()
    pubsub.push(names.TOPIC_NIGHTLY, functions["nightly_sync"])
    pubsub.push(names.TOPIC_SYNC_ACCOUNT, functions["sync_account"])
    pubsub.push(names.TOPIC_ONBOARD, functions["onboard"])
    try:
        yield Stack(firestore_client, pubsub, control, functions)
    finally:
        pubsub.reset()
