"""Onboarding through the onboard topic and through a Firestore write event, and an alert's life: opened
once by a permanent failure (one alert mail), resolved by the next nightly run, and both digests say so."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from google.events.cloud.firestore import ArrayValue, Document, DocumentEventData, Value

from portalsync import names
from tests.e2e.conftest import Stack
from tests.e2e.stack import docs, http, records, wait_for
from tests.e2e.test_nightly import ACCOUNTS, OPS, PEOPLE, converged, outbox_idle, seed

pytestmark = pytest.mark.e2e


def sent_to(stack: Stack, address: str) -> list[dict[str, Any]]:
    return [m for m in stack.control.get("mail") if m["to"] == [address]]


def onboarding_mails(stack: Stack, address: str) -> list[dict[str, Any]]:
    return [m for m in sent_to(stack, address) if "Customer Care Portal" in m["subject"]]


def onboard_done(stack: Stack) -> list[dict[str, Any]]:
    return [e for e in docs(stack.db, names.COL_EVENTS) if e.get("flow") == "onboard"]


def test_onboard_message_provisions_one_person_with_one_mail_in_their_language(stack: Stack) -> None:
    seed(stack)
    stack.pubsub.publish(names.TOPIC_ONBOARD, {"person": "aiko.sato@corp.example"})
    wait_for("aiko's three portal accounts", lambda: converged(stack, ["a", "b"], 3))
    mails = wait_for("the onboarding mail", lambda: onboarding_mails(stack, "aiko.sato@corp.example"))
    wait_for("the onboard event recorded as done", lambda: onboard_done(stack))
    wait_for("the outbox to settle", lambda: outbox_idle(stack))  # anything sent twice has been by now
    assert len(onboarding_mails(stack, "aiko.sato@corp.example")) == 1
    assert mails[0]["subject"] == "Customer Care Portal 用アカウントのご案内（3 件）"
    passwords = [m for m in sent_to(stack, "aiko.sato@corp.example") if "初期パスワード" in m["subject"]]
    assert len(passwords) == 3
    assert stack.control.calls()["directory.users.insert"] == 3  # ben, also on the roster, is left alone
    assert {r["person_id"] for r in records(stack.db, ["a", "b"])} == {"aiko"}
    assert not docs(stack.db, names.COL_CREDENTIALS_DUE)


def _value(item: Any) -> Value:
    if isinstance(item, bool):
        return Value(boolean_value=item)
    if isinstance(item, list):
        return Value(array_value=ArrayValue(values=[_value(x) for x in item]))
    return Value(string_value=str(item))


def write_event(stack: Stack, person_id: str, fields: dict[str, Any] | None) -> int:
    """What Eventarc delivers for a write to people/{personId}: binary mode, protobuf DocumentEventData."""
    database = f"projects/{stack.project}/databases/(default)"
    name = f"{database}/documents/{names.COL_PEOPLE}/{person_id}"
    if fields is None:  # a delete: only old_value is set
        data = DocumentEventData(old_value=Document(name=name))
    else:
        data = DocumentEventData(value=Document(name=name, fields={k: _value(v) for k, v in fields.items()}))
    headers = {
        "ce-id": uuid.uuid4().hex,
        "ce-specversion": "1.0",
        "ce-type": "google.cloud.firestore.document.v1.written",
        "ce-source": f"//firestore.googleapis.com/{database}",
        "ce-subject": f"documents/{names.COL_PEOPLE}/{person_id}",
        "ce-time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "Content-Type": "application/protobuf",
    }
    status, _ = http(
        "POST", stack.functions["onboard_on_roster_write"], DocumentEventData.serialize(data), headers
    )
    return status


def test_roster_write_event_onboards_the_written_person(stack: Stack) -> None:
    seed(stack, people={})
    person = {
        "given_name": "Ken",
        "family_name": "Ito",
        "workspace_email": "ken@corp.example",
        "accounts": ["a"],
    }
    stack.db.collection(names.COL_PEOPLE).document("ken").set(person)
    written = stack.db.collection(names.COL_PEOPLE).document("ken").get().to_dict()
    assert write_event(stack, "ken", written) == 200
    assert converged(stack, ["a"], 2)
    mails = wait_for("the onboarding mail", lambda: onboarding_mails(stack, "ken@corp.example"))
    assert [m["subject"] for m in mails] == ["Your Customer Care Portal accounts (2)"]

    # a leaver and a delete change nothing here: removals only go through the guarded nightly run
    before = stack.control.calls()
    assert write_event(stack, "ken", {**written, "active": False}) == 200
    assert write_event(stack, "ken", None) == 200
    assert stack.control.calls() == before


def groups_done(stack: Stack, count: int) -> list[dict[str, Any]] | None:
    groups = docs(stack.db, names.COL_RUN_GROUPS)
    done = [g for g in groups if set(g["expected"]) <= set(g["done"])]
    return sorted(done, key=lambda g: g["started_at"]) if len(done) == count else None


def summaries(stack: Stack, count: int) -> list[str] | None:
    found = [m["subject"] for m in sent_to(stack, OPS) if "Daily summary" in m["subject"]]
    return found if len(found) == count else None


def test_permanent_failure_opens_one_alert_and_the_next_run_resolves_it(stack: Stack) -> None:
    seed(stack, accounts={"a": ACCOUNTS["a"]}, people={"aiko": PEOPLE["aiko"]})
    stack.control.post(
        "faults",
        {
            "method": "directory.roles.list",
            "count": 1000,
            "status": 403,
            "reason": "forbidden",
            "message": "Not Authorized to access this resource/api",
        },
    )
    stack.pubsub.publish(names.TOPIC_NIGHTLY, {})
    wait_for("the first nightly run", lambda: groups_done(stack, 1))
    first = wait_for("the first digest", lambda: summaries(stack, 1))
    assert first == ["[portalsync] Daily summary: 1 new, 0 still open, 0 resolved"]
    wait_for("the outbox to settle", lambda: outbox_idle(stack))
    alerts = docs(stack.db, names.COL_ALERTS)
    assert [(a["kind"], a["status"]) for a in alerts] == [("account_unreachable", "open")]
    alert_mails = [m for m in sent_to(stack, OPS) if "Daily summary" not in m["subject"]]
    assert len(alert_mails) == 1

    stack.control.delete("faults")
    stack.pubsub.publish(names.TOPIC_NIGHTLY, {})
    wait_for("the second nightly run", lambda: groups_done(stack, 2))
    second = wait_for("the second digest", lambda: summaries(stack, 2))
    assert "[portalsync] Daily summary: 0 new, 0 still open, 1 resolved" in second
    wait_for("the outbox to settle", lambda: outbox_idle(stack))
    assert [a["status"] for a in docs(stack.db, names.COL_ALERTS)] == ["resolved"]
    assert len([m for m in sent_to(stack, OPS) if "Daily summary" not in m["subject"]]) == 1
    assert converged(stack, ["a"], 2)


def alert_mails(stack: Stack) -> list[dict[str, Any]]:
    return [m for m in sent_to(stack, OPS) if "Daily summary" not in m["subject"]]


def test_an_alert_first_raised_by_onboarding_is_mailed_once_and_not_again_by_the_nightly_run(
    stack: Stack,
) -> None:
    ken: dict[str, Any] = {"given_name": "Ken", "family_name": "Ito", "workspace_email": "ken@corp.example"}
    ken["accounts"] = ["a"]
    seed(stack, accounts={"a": ACCOUNTS["a"]}, people={"ken": ken})
    name = {"givenName": "Ken", "familyName": "Other"}
    stack.control.post("users", {"primaryEmail": "ken@a.example", "name": name})  # not portalsync's
    stack.pubsub.publish(names.TOPIC_ONBOARD, {"person": "ken"})
    [mail] = wait_for("the conflict's alert mail", lambda: alert_mails(stack))
    assert "does not manage" in mail["subject"]

    stack.pubsub.publish(names.TOPIC_NIGHTLY, {})
    wait_for("the nightly run", lambda: groups_done(stack, 1))
    wait_for("the digest", lambda: summaries(stack, 1))
    wait_for("the outbox to settle", lambda: outbox_idle(stack))
    assert len(alert_mails(stack)) == 1
    assert [(a["kind"], a["status"]) for a in docs(stack.db, names.COL_ALERTS)] == [
        ("account_conflict", "open")
    ]
