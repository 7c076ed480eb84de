"""How fast the Workspace emulator answers: listing 10,000 users with paging, and requests per second."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.bench.results import record
from tests.support.google_clients import batch, directory
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.bench

USERS = 10_000


def _seed_users(url: str, admin: str, domain: str, count: int) -> None:
    service = directory(url, admin)
    failures: list[Any] = []
    for start in range(0, count, 1000):
        request = batch(url, callback=lambda _id, _resp, exc: failures.append(exc) if exc else None)
        for n in range(start, min(start + 1000, count)):
            request.add(
                service.users().insert(
                    body={
                        "primaryEmail": f"user{n:05d}@{domain}",
                        "name": {"givenName": "Bench", "familyName": f"User{n}"},
                        "password": "bench-password-1",
                    }
                )
            )
        request.execute()
    assert not failures, failures[:3]


def test_list_10k_users_and_requests_per_second(emulator_url: str) -> None:
    control = ControlClient(emulator_url)
    control.reset()
    control.add_customer("C0bench01", ["bench.example"], "admin@bench.example", free_license_cap=20_000)
    started = time.perf_counter()
    _seed_users(emulator_url, "admin@bench.example", "bench.example", USERS)
    seed_seconds = time.perf_counter() - started

    service = directory(emulator_url, "admin@bench.example")
    started = time.perf_counter()
    seen, token, pages = 0, None, 0
    while True:
        page = service.users().list(customer="my_customer", maxResults=500, pageToken=token).execute()
        seen += len(page.get("users", []))
        pages += 1
        token = page.get("nextPageToken")
        if not token:
            break
    list_seconds = time.perf_counter() - started
    assert seen == USERS + 1  # the seeded users and the super admin

    calls = 500
    started = time.perf_counter()
    for _ in range(calls):
        service.domains().list(customer="my_customer").execute()
    sequential_rps = calls / (time.perf_counter() - started)

    def worker(_: int) -> None:
        own = directory(emulator_url, "admin@bench.example")
        for _ in range(calls // 4):
            own.users().get(userKey="user00042@bench.example").execute()

    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(worker, range(4)))
    parallel_rps = calls / (time.perf_counter() - started)

    record(
        emulator_list_10k_users_seconds=round(list_seconds, 3),
        emulator_list_10k_users_pages=pages,
        emulator_seed_10k_users_batched_seconds=round(seed_seconds, 3),
        emulator_requests_per_second_sequential=round(sequential_rps, 1),
        emulator_requests_per_second_4_clients=round(parallel_rps, 1),
    )
