"""Nightly: a Scheduler-equivalent publish fans out through push subscriptions to every account converged,
with the digest mailed once all accounts finished; duplicate and concurrent deliveries do no double work."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from portalsync import names
from tests.e2e.conftest import Stack
from tests.e2e.stack import deliver, docs, http, push_envelope, records, wait_for

pytestmark = pytest.mark.e2e

ACCOUNTS = {
    "a": {
        "customer_id": "C01aaaaaa",
        "admin_subject": "admin@a.example",
        "domains": ["a.example", "a2.example"],
    },
    "b": {"customer_id": "C02bbbbbb", "admin_subject": "admin@b.example", "domains": ["b.example"]},
}
PEOPLE = {
    "aiko": {
        "given_name": "愛子",
        "family_name": "佐藤",
        "workspace_email": "aiko.sato@corp.example",
        "locale": "ja",
    },
    "ben": {
        "given_name": "Ben",
        "family_name": "Miller",
        "workspace_email": "ben@corp.example",
        "accounts": ["b"],
    },
}
PORTAL_ACCOUNTS = 4  # aiko on a.example, a2.example, b.example; ben on b.example
OPS = "ops@corp.example"


def seed(stack: Stack, accounts: dict[str, Any] = ACCOUNTS, people: dict[str, Any] = PEOPLE) -> None:
    db = stack.db
    for account_id, account in accounts.items():
        db.collection(names.COL_ACCOUNTS).document(account_id).set(account)
    for person_id, person in people.items():
        db.collection(names.COL_PEOPLE).document(person_id).set(person)
    db.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).set({"notify_recipients": [OPS]})


def mail(stack: Stack, kind: str | None = None) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = stack.control.get("mail")
    return [m for m in sent if kind is None or kind in m["subject"].lower() or kind in m["raw"]]


def digests(stack: Stack) -> list[dict[str, Any]]:
    return [m for m in stack.control.get("mail") if m["to"] == [OPS] and "Daily summary" in m["subject"]]


def converged(stack: Stack, account_ids: list[str], expected: int) -> list[dict[str, Any]] | None:
    found = records(stack.db, account_ids)
    ready = [r for r in found if r["status"] == "provisioned"]
    return ready if len(ready) == expected else None


def group_done(stack: Stack) -> dict[str, Any] | None:
    groups = docs(stack.db, names.COL_RUN_GROUPS)
    done = [g for g in groups if set(g["expected"]) <= set(g["done"])]
    return done[0] if len(groups) == 1 and done else None


def outbox_idle(stack: Stack) -> bool:
    """Nothing queued or being sent (mail is sent after the run group completes, and counts as calls)."""
    return not {d.get("state") for d in docs(stack.db, names.COL_OUTBOX)} & {"queued", "sending"}


def test_scheduler_publish_converges_every_account_and_mails_one_digest(stack: Stack) -> None:
    seed(stack)
    stack.pubsub.publish(names.TOPIC_NIGHTLY, {})
    group = wait_for("the nightly run group to complete", lambda: group_done(stack))
    assert sorted(group["expected"]) == ["a", "b"]
    wait_for("every portal account provisioned", lambda: converged(stack, ["a", "b"], PORTAL_ACCOUNTS))
    wait_for("the digest mail", lambda: digests(stack))
    calls = stack.control.calls()
    assert calls["directory.users.insert"] == PORTAL_ACCOUNTS
    assert calls["directory.roleAssignments.insert"] == PORTAL_ACCOUNTS
    runs = docs(stack.db, names.COL_RUNS)
    assert sorted(r["account_id"] for r in runs) == ["a", "b"]
    assert {r["trigger"] for r in runs} == {"nightly"}

    # a redelivery of a finished message is acked without any call to Workspace
    events = {e["account_id"]: e["event_id"] for e in docs(stack.db, names.COL_EVENTS) if "account_id" in e}
    wait_for("the outbox to settle", lambda: outbox_idle(stack))
    # one onboarding mail per person for the night, listing every reseller account's domains
    [aiko] = [m for m in mail(stack) if m["to"] == ["aiko.sato@corp.example"] and "ご案内" in m["subject"]]
    assert aiko["subject"] == "Customer Care Portal 用アカウントのご案内（3 件）"
    assert (
        len([m for m in mail(stack) if m["to"] == ["ben@corp.example"] and "accounts" in m["subject"]]) == 1
    )
    before = stack.control.calls()
    payload = {"account_id": "a", "group_id": group["group_id"], "trigger": "nightly"}
    assert (
        deliver(
            stack.functions["sync_account"], stack.project, names.TOPIC_SYNC_ACCOUNT, payload, events["a"]
        )
        == 200
    )
    assert stack.control.calls() == before
    assert len(digests(stack)) == 1

    status, body = http("GET", stack.functions["status"])
    assert status == 200
    report = json.loads(body)
    assert report["states"] == {"provisioned": PORTAL_ACCOUNTS}
    assert report["accounts"]["a"]["last_run"]["trigger"] == "nightly"


def test_concurrent_deliveries_for_one_account_sync_each_message_once(stack: Stack) -> None:
    seed(stack)
    stack.control.post("latency", {"method": "*", "ms": 40})  # long enough for the two to overlap
    urls = [stack.functions["sync_account"], stack.functions["sync_account_2"]]
    # the same message to two instances at once, then a different message for the same account
    with ThreadPoolExecutor(2) as pool:
        same = list(
            pool.map(
                lambda url: deliver(url, stack.project, names.TOPIC_SYNC_ACCOUNT, {"account_id": "a"}, "m-1"),
                urls,
            )
        )
    assert sorted(same) in ([200, 200], [200, 500])  # the loser is a duplicate, or busy (redelivered later)
    if 500 in same:  # what Pub/Sub's redelivery would do: acked as a duplicate, no second run
        assert deliver(urls[0], stack.project, names.TOPIC_SYNC_ACCOUNT, {"account_id": "a"}, "m-1") == 200
    assert len(docs(stack.db, names.COL_RUNS)) == 1  # one sync for one message, however delivered
    assert stack.control.calls()["directory.users.insert"] == 2
    with ThreadPoolExecutor(2) as pool:
        other = list(
            pool.map(
                lambda pair: deliver(
                    pair[0], stack.project, names.TOPIC_SYNC_ACCOUNT, {"account_id": "a"}, pair[1]
                ),
                [(urls[0], "m-2"), (urls[1], "m-3")],
            )
        )
    for message_id, status in zip(("m-2", "m-3"), other, strict=True):  # what Pub/Sub's redelivery would do
        if status != 200:
            assert (
                deliver(urls[0], stack.project, names.TOPIC_SYNC_ACCOUNT, {"account_id": "a"}, message_id)
                == 200
            )
    assert converged(stack, ["a"], 2)
    assert len(docs(stack.db, names.COL_RUNS)) == 3  # m-1, m-2, m-3: one run each
    assert sorted(e["event_id"] for e in docs(stack.db, names.COL_EVENTS)) == ["m-1", "m-2", "m-3"]
    calls = stack.control.calls()
    assert calls["directory.users.insert"] == 2
    assert calls["directory.roleAssignments.insert"] == 2
    assert not docs(stack.db, names.COL_LEASES)


def test_a_message_whose_data_is_not_base64_is_acked_not_retried_forever(stack: Stack) -> None:
    base = stack.functions["sync_account"].rstrip("/")
    url = f"{base}/projects/{stack.project}/topics/{names.TOPIC_SYNC_ACCOUNT}"
    body = push_envelope(names.TOPIC_SYNC_ACCOUNT, stack.project, {}, "bad-1")
    body["message"]["data"] = "%%% not base64 %%%"
    status, _ = http("POST", url, body)
    assert status == 200
    assert docs(stack.db, names.COL_RUNS) == []
