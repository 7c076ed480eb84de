"""plan_50k_seconds: planning 50,000 desired accounts (10 accounts x 5,000 people), half converged."""

from __future__ import annotations

import time
from typing import Any

import pytest

from portalsync.actions import CreateUser
from portalsync.desired import expand
from portalsync.model import Settings
from portalsync.plan import plan_account
from tests.bench.results import record
from tests.unit.builders import account, converged, person

pytestmark = pytest.mark.bench


def test_plan_fifty_thousand_desired_accounts() -> None:
    settings = Settings()
    accounts = [account(f"acct{i}", [f"d{i}.example"], customer_id=f"C{i:08d}") for i in range(10)]
    people = [person(f"p{i}", f"user{i}@home.example") for i in range(5_000)]
    started = time.perf_counter()
    wanted, _ = expand(accounts, people, settings)
    expand_seconds = time.perf_counter() - started
    assert len(wanted) == 50_000
    by_account: dict[str, list[Any]] = {}
    for d in wanted:
        by_account.setdefault(d.account_id, []).append(d)
    tenants = {
        a.account_id: converged(by_account[a.account_id][::2], account_id=a.account_id) for a in accounts
    }
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        plans = [plan_account(a, by_account[a.account_id], tenants[a.account_id], settings) for a in accounts]
        best = min(best, time.perf_counter() - started)
    assert sum(isinstance(x, CreateUser) for p in plans for x in p.actions) == 25_000
    record(plan_50k_seconds=round(best, 3), expand_50k_seconds=round(expand_seconds, 3))
