"""The core figures: what a no-op sync costs in Admin API calls and memory, how much of the Directory quota
provisioning uses, and how long a cold start spends importing.

All run through the real adapters on the Firestore emulator and the Workspace emulator; the tenant is one
reseller account with three domains (tests/bench/sync_tenant.py). Only behaviour is asserted (convergence,
no writes when nothing changed), never a timing.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from portalsync.adapters.auth import AuthConfig
from portalsync.adapters.throttle import DIRECTORY_PER_MINUTE
from portalsync.adapters.workspace import ApiLimits, emulator_workspace
from portalsync.bootstrap import Config, build_service
from portalsync.model import ResellerAccount, Settings
from portalsync.records import AccountStatus
from portalsync.service import Service
from tests.bench import sync_tenant
from tests.bench.results import record
from tests.conftest import FIRESTORE_PROJECT
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.bench

ROOT = Path(__file__).resolve().parents[2]
NOOP_PEOPLE = 1_000
QUOTA_PEOPLE = 300  # x 3 domains = 900 accounts
#: The emulator's quota clock runs this much faster than the wall clock, and so does portalsync's throttle.
TIME_SCALE = 4.0
#: Converging 3,000 accounts is set-up, not a figure: no throttle (and the emulator has no quota then).
UNTHROTTLED = ApiLimits(directory_per_minute=10_000_000, licensing_per_minute=10_000_000)


class ScaledTimer:
    """Wall time sped up by `scale`: the throttle and backoff live on the emulator's quota clock."""

    def __init__(self, scale: float) -> None:
        self.scale = scale

    def monotonic(self) -> float:
        return time.monotonic() * self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.scale)


def _service(firestore_host: str, url: str, **workspace_options: Any) -> Service:
    config = Config(
        project=FIRESTORE_PROJECT,
        firestore_emulator_host=firestore_host,
        workspace_endpoint=url,
        auth=AuthConfig(mode="emulator"),
    )

    def workspaces(account: ResellerAccount) -> Any:
        return emulator_workspace(url, account.admin_subject, **workspace_options)

    return build_service(config, workspaces=workspaces)


def _provisioned(service: Service) -> tuple[int, set[str]]:
    records = service.status()[sync_tenant.ACCOUNT_ID]
    return len(records), {r.status.value for r in records}


def test_noop_sync_api_calls_ratio_and_peak_rss(
    emulator_url: str, firestore_host: str, firestore_client: Any
) -> None:
    """noop_api_calls_ratio: Admin API calls (token and signing calls excluded) of a sync of 1,000 people on
    one reseller account with 3 domains (3,000 portal accounts) that finds nothing to do, over
    `list_page_lower_bound` of the tenant it observed; 1.0 means it costs exactly the list pages that state
    needs.

    peak_rss_mb: peak RSS of the whole child process that runs that no-op sync, composed from the environment
    as a function is (interpreter, imports, observe, plan, apply of an empty plan, records and run record).
    """
    control = ControlClient(emulator_url)
    sync_tenant.seed(control, firestore_client, NOOP_PEOPLE)
    first = _service(firestore_host, emulator_url, limits=UNTHROTTLED).sync_all("bench")
    service = _service(firestore_host, emulator_url)
    expected = NOOP_PEOPLE * len(sync_tenant.DOMAINS)
    assert sum(sum(r.run.counts.values()) for r in first) > 0
    assert _provisioned(service) == (expected, {AccountStatus.PROVISIONED.value})

    control.delete("calls")
    env = {
        **os.environ,
        "GOOGLE_CLOUD_PROJECT": FIRESTORE_PROJECT,
        "FIRESTORE_EMULATOR_HOST": firestore_host,
        "PORTALSYNC_WORKSPACE_ENDPOINT": emulator_url,
        "PORTALSYNC_AUTH_MODE": "emulator",
    }
    child = subprocess.run(
        [sys.executable, "-m", "tests.bench.noop_sync_child"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    run = json.loads(child.stdout.strip().splitlines()[-1])
    calls = sync_tenant.admin_api_calls(control.calls())
    assert run["accounts"] == 1
    assert run["errors"] == []
    assert sync_tenant.writes(calls) == {}
    assert run["changes"] == 0
    assert run["record_writes"] == 0

    tenant = control.get("state")["customers"][sync_tenant.CUSTOMER_ID]
    bound = sync_tenant.list_page_lower_bound(tenant, sync_tenant.account(), Settings())
    made = sum(calls.values())
    extra = {m: n - bound.get(m, 0) for m, n in calls.items() if n != bound.get(m, 0)}
    print(f"no-op sync calls by method: {dict(sorted(calls.items()))}; beyond the lower bound: {extra}")
    record(
        noop_api_calls=made,
        noop_api_calls_lower_bound=sum(bound.values()),
        noop_api_calls_ratio=round(made / sum(bound.values()), 3),
        peak_rss_mb=round(run["peak_rss_kb"] / 1024, 1),
    )


def test_provision_quota_utilization(emulator_url: str, firestore_host: str, firestore_client: Any) -> None:
    """provision_quota_utilization: accounts provisioned per minute under the Directory quota, over the rate
    the quota allows for the Directory calls provisioning makes per account (all calls of the run, observation
    included, over the accounts created). Both the emulator and portalsync's throttle use Google's default
    of 2,400 a minute on a clock sped up TIME_SCALE times, so the run takes seconds, not minutes. 1.0 would
    mean every call the quota allows was used.
    """
    control = ControlClient(emulator_url)
    sync_tenant.seed(control, firestore_client, QUOTA_PEOPLE)
    control.post("quotas", {"directoryPerMinute": DIRECTORY_PER_MINUTE, "timeScale": TIME_SCALE})
    control.delete("calls")
    service = _service(firestore_host, emulator_url, timer=ScaledTimer(TIME_SCALE))
    try:
        started = time.monotonic()
        reports = service.sync_all("bench")
        elapsed = time.monotonic() - started
    finally:
        control.post("quotas", {})
    calls = control.calls()
    accounts = QUOTA_PEOPLE * len(sync_tenant.DOMAINS)
    assert [r.run.error for r in reports] == [None]
    assert calls.get("directory.users.insert") == accounts  # none refused and retried
    assert calls.get("directory.roleAssignments.insert") == accounts
    assert _provisioned(service) == (accounts, {AccountStatus.PROVISIONED.value})

    directory = sum(n for m, n in calls.items() if m.startswith("directory."))
    per_account = directory / accounts
    quota_minutes = elapsed * TIME_SCALE / 60
    rate = accounts / quota_minutes
    bound = DIRECTORY_PER_MINUTE / per_account
    print(
        f"provisioned {accounts} accounts in {elapsed:.1f} s ({quota_minutes:.2f} quota minutes); "
        f"{per_account:.2f} Directory calls an account: {dict(sorted(calls.items()))}"
    )
    record(
        provision_accounts_per_minute=round(rate, 1),
        provision_quota_bound_per_minute=round(bound, 1),
        provision_quota_utilization=round(rate / bound, 3),
    )


def test_cold_import_seconds() -> None:
    """cold_import_seconds: a fresh interpreter importing the Cloud Functions entry module (what every cold
    start pays before the first event), best of 3; the interpreter's own start-up is not included."""
    module = ROOT / "functions" / "main.py"
    if module.exists():
        code = f"import sys; sys.path.insert(0, {str(module.parent)!r}); import main"
    else:
        code = "import portalsync.service, portalsync.bootstrap"
    probe = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
    best = math.inf
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
        )
        best = min(best, float(out.stdout.strip().splitlines()[-1]))
    record(cold_import_seconds=round(best, 3))
