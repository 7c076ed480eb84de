"""Quotas, concurrency, faults, latency, call counters and reset, as google-api-python-client sees them."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory, keyed, licensing, service_with
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

CUSTOMER_A = "C01aaaaaa"


def error_of(call: Any) -> tuple[int, str, str]:
    """(status, reason, error domain) of a call that must fail."""
    with pytest.raises(HttpError) as caught:
        call.execute()
    first = json.loads(caught.value.content)["error"]["errors"][0]
    return caught.value.resp.status, first["reason"], first["domain"]


def get_admin(svc: Any) -> Any:
    return svc.users().get(userKey="admin@a.example")


def test_directory_quota_exhausts_per_user_then_recovers(control: ControlClient, emulator_url: str) -> None:
    # 6 a minute, a burst of one: a spent call comes back after 10 s, far longer than any pause under load
    control.post("quotas", {"directoryPerMinute": 6})
    svc = directory(emulator_url, "admin@a.example")
    get_admin(svc).execute()
    assert error_of(get_admin(svc)) == (403, "userRateLimitExceeded", "usageLimits")
    # the quota is per user: another admin still has its own
    directory(emulator_url, "admin@b.example").users().get(userKey="admin@b.example").execute()
    control.post("clock", {"advanceSeconds": 11})
    assert get_admin(svc).execute()["primaryEmail"] == "admin@a.example"


def project_directory(control: ControlClient, url: str, project: str, client_id: str) -> Any:
    """Directory as admin@a.example through domain-wide delegation by one project's service account."""
    email = f"portalsync@{project}.iam.gserviceaccount.com"
    account = control.post("service-accounts", {"email": email, "clientId": client_id})
    scope = "https://www.googleapis.com/auth/admin.directory.user"
    control.post("dwd", {"customerId": CUSTOMER_A, "clientId": client_id, "scopes": [scope]})
    info = {
        "type": "service_account",
        "client_email": email,
        "client_id": client_id,
        "private_key": account["privateKeyPem"],
        "private_key_id": account["privateKeyId"],
        "token_uri": url + "token",
    }
    return service_with(url, keyed(info, [scope], "admin@a.example"))


def test_directory_quota_is_per_user_per_project(control: ControlClient, emulator_url: str) -> None:
    """Two projects delegating as the same admin do not share a budget, as on Google."""
    control.post("quotas", {"directoryPerMinute": 6})  # a burst of one, then one per 10 s
    first = project_directory(control, emulator_url, "project-one", "111111111111111111111")
    second = project_directory(control, emulator_url, "project-two", "222222222222222222222")
    get_admin(first).execute()
    assert error_of(get_admin(first)) == (403, "userRateLimitExceeded", "usageLimits")
    assert get_admin(second).execute()["primaryEmail"] == "admin@a.example"
    assert error_of(get_admin(second))[:2] == (403, "userRateLimitExceeded")
    # an emulator: token for the same admin is a budget of its own too
    get_admin(directory(emulator_url, "admin@a.example")).execute()


def test_licensing_quota_answers_503(control: ControlClient, emulator_url: str) -> None:
    control.post("quotas", {"licensingPerMinute": 6})
    svc = licensing(emulator_url, "admin@a.example")

    def list_free() -> Any:
        return svc.licenseAssignments().listForProduct(productId="101001", customerId=CUSTOMER_A)

    list_free().execute()
    assert error_of(list_free())[:2] == (503, "backendError")
    control.post("clock", {"advanceSeconds": 11})
    list_free().execute()


def test_per_customer_concurrency_answers_429(control: ControlClient, emulator_url: str) -> None:
    control.post("quotas", {"concurrentPerCustomer": 2})
    control.post("latency", {"method": "directory.users.get", "ms": 400})
    outcomes: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(5)

    def call(subject: str) -> None:
        svc = directory(emulator_url, subject)  # one client per thread: httplib2 is not thread-safe
        start.wait()
        try:
            svc.users().get(userKey=subject).execute()
            result = "200" if subject.endswith("a.example") else "b-ok"
        except HttpError as error:
            result = f"{error.resp.status} {json.loads(error.content)['error']['errors'][0]['reason']}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=call, args=("admin@a.example",)) for _ in range(4)]
    threads.append(threading.Thread(target=call, args=("admin@b.example",)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["200", "200", "429 rateLimitExceeded", "429 rateLimitExceeded", "b-ok"]
    # the slots are free again afterwards
    get_admin(directory(emulator_url, "admin@a.example")).execute()


def test_queued_faults_fail_the_next_calls_then_clear(control: ControlClient, emulator_url: str) -> None:
    control.post(
        "faults",
        {"method": "directory.users.get", "count": 2, "status": 412, "reason": "conditionNotMet"},
    )
    svc = directory(emulator_url, "admin@a.example")
    svc.domains().list(customer="my_customer").execute()  # other methods are untouched
    assert error_of(get_admin(svc)) == (412, "conditionNotMet", "global")
    assert error_of(get_admin(svc))[:2] == (412, "conditionNotMet")
    assert get_admin(svc).execute()["isAdmin"] is True
    assert control.post("faults", {})["pending"] == []


def test_random_5xx_rate(control: ControlClient, emulator_url: str) -> None:
    control.post("faults", {"random5xxRate": 0.5, "seed": 7})
    svc = directory(emulator_url, "admin@a.example")
    statuses = []
    for _ in range(40):
        try:
            get_admin(svc).execute()
            statuses.append(200)
        except HttpError as error:
            statuses.append(error.resp.status)
    assert set(statuses) == {200, 503}
    assert 8 <= statuses.count(503) <= 32
    control.delete("faults")
    get_admin(svc).execute()


def test_added_latency_delays_the_call_by_at_least_that_long(
    control: ControlClient, emulator_url: str
) -> None:
    latencies = control.post("latency", {"method": "directory.users.get", "ms": 300})
    assert latencies == {"directory.users.get": 300.0}  # only that method is delayed
    svc = directory(emulator_url, "admin@a.example")
    started = time.monotonic()
    get_admin(svc).execute()
    assert time.monotonic() - started >= 0.3


def test_calls_are_counted_by_method_id_and_can_be_cleared(control: ControlClient, emulator_url: str) -> None:
    control.delete("calls")
    svc = directory(emulator_url, "admin@a.example")
    get_admin(svc).execute()
    get_admin(svc).execute()
    svc.domains().list(customer="my_customer").execute()
    error_of(svc.users().get(userKey="nobody@a.example"))  # failures count too
    assert control.calls() == {"directory.users.get": 3, "directory.domains.list": 1}
    assert control.batches() == 0
    control.delete("calls")
    assert control.calls() == {}


def test_reset_forgets_tenants_policies_and_counters(control: ControlClient, emulator_url: str) -> None:
    control.post("quotas", {"directoryPerMinute": 1})
    control.post("faults", {"method": "*", "count": 5})
    control.post("latency", {"ms": 50})
    control.reset()
    assert control.calls() == {}
    assert control.get("state")["customers"] == {}
    assert control.post("faults", {}) == {"pending": [], "random5xxRate": 0.0}
    # the latency set before the reset is gone: setting another leaves it the only one
    assert control.post("latency", {"method": "directory.domains.list", "ms": 0}) == {
        "directory.domains.list": 0.0
    }
    control.add_customer(CUSTOMER_A, ["a.example"], "admin@a.example")
    svc = directory(emulator_url, "admin@a.example")
    for _ in range(3):  # no quota (1 a minute) and no faults any more
        get_admin(svc).execute()


def test_the_clock_only_moves_forward(control: ControlClient) -> None:
    first = control.post("clock", {"advanceSeconds": 5})["offsetSeconds"]
    assert control.post("clock", {"advanceSeconds": 0})["offsetSeconds"] == first
    with pytest.raises(RuntimeError, match="400"):
        control.post("clock", {"advanceSeconds": -1})
    assert control.post("clock", {"advanceSeconds": 0})["offsetSeconds"] == first
