"""onboard_latency_seconds: a publish on the onboard topic until the person's portal accounts are recorded as
provisioned (user, Cloud Identity Free license and portal role, as re-observed), on the local stack: Pub/Sub
emulator push → functions-framework → Workspace and Firestore emulators. The first delivery pays the
function's cold start (clients built on the first event), reported separately."""

from __future__ import annotations

import statistics
import time
import urllib.request
from typing import Any

import pytest

from portalsync import names
from tests.bench.results import record
from tests.conftest import FIRESTORE_PROJECT
from tests.e2e.conftest import Stack
from tests.e2e.stack import wait_for
from tests.e2e.test_nightly import converged, outbox_idle, seed
from tests.e2e.test_onboarding_alerts import onboard_done

pytestmark = [pytest.mark.bench, pytest.mark.e2e]
ROUNDS = 5


def _fresh(stack: Stack, firestore_host: str) -> None:
    url = f"http://{firestore_host}/emulator/v1/projects/{FIRESTORE_PROJECT}/databases/(default)/documents"
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"), timeout=30):
        pass
    stack.control.reset()
    stack.control.add_customer("C01aaaaaa", ["a.example", "a2.example"], "admin@a.example")
    stack.control.add_customer("C02bbbbbb", ["b.example"], "admin@b.example")
    seed(stack)


def test_onboard_latency(stack: Stack, firestore_host: str) -> None:
    seconds: list[float] = []
    for _ in range(ROUNDS):
        _fresh(stack, firestore_host)
        started = time.perf_counter()
        stack.pubsub.publish(names.TOPIC_ONBOARD, {"person": "aiko"})
        found: Any = wait_for("aiko provisioned", lambda: converged(stack, ["a", "b"], 3), timeout=60)
        seconds.append(round(time.perf_counter() - started, 3))
        assert len(found) == 3
        # the function finishes its mail before the next round wipes the state
        wait_for("the onboard event recorded as done", lambda: onboard_done(stack), timeout=60)
        wait_for("the outbox to settle", lambda: outbox_idle(stack), timeout=60)
    record(
        onboard_latency_seconds=statistics.median(seconds[1:]),
        onboard_latency_cold_seconds=seconds[0],
        onboard_latency_rounds=seconds,
    )
