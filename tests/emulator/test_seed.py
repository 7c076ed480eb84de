"""`python -m workspace_emulator --seed FILE`: every POST control route in a seed reaches the served state."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory, licensing
from tests.support.processes import Server, free_port
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

A, B = "C01aaaaaa", "C02bbbbbb"
SEED: dict[str, Any] = {
    # Deliberately out of order: the loader applies routes in its own order.
    "faults": [{"method": "directory.domains.list", "count": 1, "status": 500, "reason": "backendError"}],
    "quotas": {"licensingPerMinute": 1},
    "consistency": [{"listLagSeconds": 600}],
    "users": [
        {
            "primaryEmail": "staff@a.example",
            "name": {"givenName": "Sam", "familyName": "Staff"},
            "license": None,
        }
    ],
    "customers": [
        {"customerId": A, "domains": ["a.example"], "superAdmin": "admin@a.example"},
        {"customerId": B, "domains": ["b.example"], "superAdmin": "admin@b.example"},
    ],
    "subscription": [{"customerId": B, "cloudIdentityFree": False}],
    "latency": [{"method": "directory.customers.get", "ms": 1}],
    "clock": [{"advanceSeconds": 5}],
}


def start(seed: dict[str, Any], tmp_path: Path) -> tuple[Server, str]:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    argv = [sys.executable, "-m", "workspace_emulator", "--port", str(port), "--seed", str(path)]
    return Server(argv, url, tmp_path / "seeded.log"), url


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[str]:
    server, url = start(SEED, tmp_path)
    yield url
    server.stop()


def status(request: Any) -> int:
    with pytest.raises(HttpError) as caught:
        request.execute()
    return int(caught.value.resp.status)


def test_a_seed_applies_every_route_it_names(seeded: str) -> None:
    svc_a = directory(seeded, "admin@a.example")
    # customers and users: the seeded accounts exist
    assert svc_a.users().get(userKey="admin@a.example").execute()["isAdmin"] is True
    assert svc_a.users().get(userKey="staff@a.example").execute()["name"]["givenName"] == "Sam"
    # consistency: every account was just created, so the seeded list lag still hides them all
    assert "users" not in svc_a.users().list(customer="my_customer").execute()
    # faults: the first domains.list fails, the next succeeds
    assert status(svc_a.domains().list(customer="my_customer")) == 500
    assert svc_a.domains().list(customer="my_customer").execute()["domains"]
    # subscription: customer B is really unsubscribed from Cloud Identity Free
    lic_b = licensing(seeded, "admin@b.example").licenseAssignments()
    assert status(lic_b.listForProduct(productId="101001", customerId=B)) == 403
    # quotas: one Licensing call a minute for A's admin, so the second is refused
    lic_a = licensing(seeded, "admin@a.example").licenseAssignments()
    holders = lic_a.listForProduct(productId="101001", customerId=A).execute()["items"]
    assert [h["userId"] for h in holders] == ["staff@a.example"]  # seeded before any auto rule
    assert status(lic_a.listForProduct(productId="101001", customerId=A)) == 503
    # latency and clock, read back through the control API
    control = ControlClient(seeded)
    assert control.post("latency", {"method": "x", "ms": 0})["directory.customers.get"] == 1.0
    assert control.post("clock", {"advanceSeconds": 0})["offsetSeconds"] == 5.0


def test_an_unknown_seed_key_stops_the_emulator_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"customers": [], "quota": {"directoryPerMinute": 1}}), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "workspace_emulator", "--port", str(free_port()), "--seed", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown seed key(s) 'quota'" in done.stderr
