"""FirestoreStore on Google's Firestore emulator: validation, change-only writes, alerts, approvals."""

from __future__ import annotations

from typing import Any

import pytest

from portalsync import names
from portalsync.actions import Finding, FindingKind
from portalsync.adapters.firestore_flows import FirestoreAlertBook
from portalsync.adapters.firestore_outbox import FirestoreOutbox
from portalsync.adapters.firestore_store import FirestoreStore
from portalsync.alerts import Scope
from portalsync.notify import Notifier
from portalsync.ports import Approval, ValidationIssue
from portalsync.records import AccountObservation, AccountStatus, ProvisioningRecord, RunRecord, Wanted

pytestmark = pytest.mark.integration

ACCOUNT = {"customer_id": "C01aaaaaa", "admin_subject": "admin@a.example", "domains": ["a.example"]}
PERSON = {"given_name": "太郎", "family_name": "山田", "workspace_email": "taro@corp.example"}


class Day:
    def __init__(self) -> None:
        self.value = "2030-01-01T00:00:00+00:00"

    def __call__(self) -> str:
        return self.value


@pytest.fixture
def store(firestore_client: Any) -> FirestoreStore:
    return FirestoreStore(firestore_client, now=Day())


def test_desired_state_is_validated_and_bad_documents_are_reported(
    store: FirestoreStore, firestore_client: Any
) -> None:
    db = firestore_client
    db.collection(names.COL_ACCOUNTS).document("acme").set(
        {**ACCOUNT, "removal_approval": {"max_removals": 3, "approved_by": "boss@a.example"}}
    )
    db.collection(names.COL_ACCOUNTS).document("broken").set({**ACCOUNT, "customer_id": "nope"})
    db.collection(names.COL_PEOPLE).document("taro").set(PERSON)
    db.collection(names.COL_PEOPLE).document("bad").set({**PERSON, "workspace_email": "not-mail"})
    db.collection(names.COL_PEOPLE).document("other").set({**PERSON, "person_id": "someone-else"})
    db.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).set({"guard_max_count": 2})

    desired = store.load_desired()

    assert [a.account_id for a in desired.accounts] == ["acme"]
    assert [p.person_id for p in desired.people] == ["taro"]
    assert desired.people[0].family_name == "山田"
    assert desired.settings.guard_max_count == 2
    found = {(i.source, i.field) for i in desired.issues}
    assert found == {
        ("reseller_accounts/broken", "customer_id"),
        ("people/bad", "workspace_email"),
        ("people/other", "person_id"),
    }
    assert store.writes == 0  # loading is read-only


def test_records_are_written_only_when_changed(store: FirestoreStore, firestore_client: Any) -> None:
    record = ProvisioningRecord("acme", "taro", "a.example", "taro@a.example", AccountStatus.PENDING)
    assert store.save_records("acme", [record]) == 1
    assert store.save_records("acme", [record]) == 0
    fresh = FirestoreStore(firestore_client)
    assert fresh.load_records("acme") == {"taro@a.example": record}
    later = ProvisioningRecord(
        "acme", "taro", "a.example", "taro@a.example", AccountStatus.PENDING, updated_at="later"
    )
    assert fresh.save_records("acme", [later]) == 0  # only the timestamp differs
    done = ProvisioningRecord(
        "acme", "taro", "a.example", "taro@a.example", AccountStatus.PROVISIONED, user_id="u1"
    )
    assert fresh.save_records("acme", [done]) == 1
    assert fresh.writes_by_collection[names.COL_ACCOUNT_STATE] == 1


def test_records_keep_desired_observed_and_timestamps(store: FirestoreStore, firestore_client: Any) -> None:
    record = ProvisioningRecord(
        "acme",
        "taro",
        "a.example",
        "taro@a.example",
        AccountStatus.SUSPENDED,
        user_id="u1",
        last_action="SuspendUser:done",
        desired=Wanted.REMOVED,
        observed=AccountObservation(exists=True, suspended=True, licensed=True),
        first_seen_at="2026-01-01T00:00:00Z",
        last_attempt_at="2026-02-01T00:00:00Z",
        updated_at="2026-02-01T00:00:00Z",
    )
    store.save_records("acme", [record])
    ref = firestore_client.collection(names.COL_ACCOUNT_STATE).document("acme")
    doc = ref.collection(names.SUB_PROVISIONING).document(record.key).get().to_dict()
    assert doc["desired"] == "removed"
    assert doc["observed"] == {"exists": True, "suspended": True, "licensed": True, "has_role": False}
    assert FirestoreStore(firestore_client).load_records("acme") == {record.key: record}

    older = {"account_id": "acme", "person_id": "old", "domain": "a.example", "email": "old@a.example"}
    ref.collection(names.SUB_PROVISIONING).document("old@a.example").set({**older, "status": "provisioned"})
    loaded = FirestoreStore(firestore_client).load_records("acme")["old@a.example"]
    assert (loaded.desired, loaded.observed, loaded.first_seen_at) == (
        Wanted.ACTIVE,
        AccountObservation(),
        None,
    )


def test_many_records_go_in_batches(store: FirestoreStore) -> None:
    records = [
        ProvisioningRecord("acme", f"p{i}", "a.example", f"p{i}@a.example", AccountStatus.PENDING)
        for i in range(1100)
    ]
    assert store.save_records("acme", records) == 1100
    assert len(store.load_records("acme")) == 1100


class DayClock:
    def __init__(self, day: Day) -> None:
        self.day = day

    def now_iso(self) -> str:
        return self.day()

    def monotonic(self) -> float:
        return 0.0

    def sleep(self, seconds: float) -> None:
        pass


def test_findings_become_alerts_written_once_a_day(store: FirestoreStore, firestore_client: Any) -> None:
    """The notifier on Firestore is the only writer of alert documents: opened once, bumped once a day."""
    assert isinstance(store._now, Day)
    notifier = Notifier(
        FirestoreAlertBook(firestore_client), FirestoreOutbox(firestore_client), store, DayClock(store._now)
    )
    finding = Finding(
        FindingKind.ACCOUNT_CONFLICT, "acme", "taken", domain="a.example", person_id="taro", suggestion="t2"
    )
    doc_id = "account_conflict%2Facme%2Fa.example%2Ftaro"
    ref = firestore_client.collection(names.COL_ALERTS).document(doc_id)
    notifier.report(Scope("acme"), [finding, finding])
    written = ref.get()
    notifier.report(Scope("acme"), [finding])
    assert ref.get().update_time == written.update_time
    alert = written.to_dict()
    assert (alert["status"], alert["count"], alert["suggestion"]) == ("open", 1, "t2")
    store._now.value = "2030-01-02T00:00:00+00:00"
    notifier.report(Scope("acme"), [finding])
    alert = ref.get().to_dict()
    assert (alert["count"], alert["first_seen"][:10], alert["last_seen"][:10]) == (
        2,
        "2030-01-01",
        "2030-01-02",
    )


def test_issues_runs_and_approvals(store: FirestoreStore, firestore_client: Any) -> None:
    issues = [ValidationIssue("roster.csv row 3", "workspace_email", "not an e-mail address")]
    store.record_issues(issues)
    store.record_issues(issues)
    assert store.writes_by_collection[names.COL_VALIDATION] == 1

    store.save_run(RunRecord("r1", "cli", "acme", "2030-01-01T00:00:00+00:00"))
    store.save_run(RunRecord("r2", "cli", "acme", "2030-01-02T00:00:00+00:00"))
    assert [r.run_id for r in store.recent_runs("acme")] == ["r2", "r1"]

    firestore_client.collection(names.COL_ACCOUNTS).document("acme").set(ACCOUNT)
    assert store.approval("acme") is None
    store.save_approval(Approval("acme", 4, "boss@a.example"))
    assert store.approval("acme") == Approval("acme", 4, "boss@a.example")
    assert len(store.load_desired().accounts) == 1  # the approval is not desired state
    store.consume_approval("acme")
    assert store.approval("acme") is None


class _NoAlerts:
    def report(self, scope: Any, findings: Any) -> None:
        return None

    def raise_findings(self, findings: Any) -> None:
        return None


def _issue_sources(db: Any) -> set[str]:
    return {(d.to_dict() or {})["source"] for d in db.collection(names.COL_VALIDATION).stream()}


def test_issues_of_fixed_documents_and_rows_are_deleted(store: FirestoreStore, firestore_client: Any) -> None:
    from portalsync.service import Service
    from tests.unit.builders import person
    from tests.unit.fakes import FakeClock, FakeWorkspace

    db = firestore_client
    db.collection(names.COL_ACCOUNTS).document("acme").set(ACCOUNT)
    db.collection(names.COL_PEOPLE).document("taro").set(PERSON)
    db.collection(names.COL_PEOPLE).document("bad").set({**PERSON, "workspace_email": "not-mail"})
    db.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).set({"guard_max_count": -1})
    clock = FakeClock()
    tenant = FakeWorkspace(clock)
    service = Service(store, lambda a: tenant, clock, findings=_NoAlerts())
    bad_rows = [
        ValidationIssue("staff.csv row 3", "workspace_email", "not an e-mail address"),
        ValidationIssue("staff.csv row 4", "family_name", "must not be empty"),
    ]
    other_source = [ValidationIssue("group portal@a.example member x@a.example", "email", "not a user")]
    service.import_roster([person("taro", "taro@corp.example")], bad_rows, origin="staff.csv")
    service.import_roster(
        [person("taro", "taro@corp.example")], other_source, origin="group portal@a.example"
    )
    service.sync_account("acme")
    assert _issue_sources(db) == {
        "people/bad",
        "settings/global",
        "staff.csv row 3",
        "staff.csv row 4",
        "group portal@a.example member x@a.example",
    }

    # a converged sync with the same bad documents writes (and deletes) nothing
    store.writes_by_collection.clear()
    service.sync_account("acme")
    assert store.writes_by_collection[names.COL_VALIDATION] == 0

    # the documents are fixed: their issues go; the roster rows were not re-read, so theirs stay
    db.collection(names.COL_PEOPLE).document("bad").set({**PERSON, "workspace_email": "bad@corp.example"})
    db.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).set({"guard_max_count": 2})
    service.sync_account("acme")
    assert _issue_sources(db) == {
        "staff.csv row 3",
        "staff.csv row 4",
        "group portal@a.example member x@a.example",
    }
    assert store.writes_by_collection[names.COL_VALIDATION] == 2  # two deletions

    # the same file again with row 3 fixed: row 4 stays, the group's issue is another source's
    service.import_roster([person("taro", "taro@corp.example")], bad_rows[1:], origin="staff.csv")
    assert _issue_sources(db) == {"staff.csv row 4", "group portal@a.example member x@a.example"}
    # an import that does not say where it came from deletes nothing
    service.import_roster([person("taro", "taro@corp.example")], [])
    assert _issue_sources(db) == {"staff.csv row 4", "group portal@a.example member x@a.example"}
