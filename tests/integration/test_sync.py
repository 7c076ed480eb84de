"""The whole pipeline through the real adapters: Firestore emulator + Workspace emulator."""

from __future__ import annotations

import io
import itertools
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from portalsync import names
from portalsync.actions import FindingKind
from portalsync.adapters.auth import WORKSPACE_SCOPES
from portalsync.adapters.retry import RetryPolicy
from portalsync.bootstrap import Config, GoogleWorkspaces, SystemClock, build_service
from portalsync.cli import app
from portalsync.logs import JsonFormatter
from portalsync.results import Outcome
from portalsync.service import Service
from tests.conftest import FIRESTORE_PROJECT
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.integration

WRITE_VERBS = ("insert", "update", "patch", "delete")
FAST_RETRY = RetryPolicy(base=0.01, cap=0.05, jitter=0.01)
SERVICE_ACCOUNT = "portalsync@demo-portalsync-test.iam.gserviceaccount.com"
ACCOUNTS = {
    "acme": {
        "customer_id": "C01aaaaaa",
        "admin_subject": "admin@a.example",
        "domains": ["a.example", "a2.example"],
    },
    "beta": {"customer_id": "C02bbbbbb", "admin_subject": "admin@b.example", "domains": ["b.example"]},
}
PEOPLE: dict[str, dict[str, Any]] = {
    "yamada": {
        "given_name": "太郎",
        "family_name": "山田",
        "workspace_email": "taro@corp.example",
        "locale": "ja",
    },
    "anna": {"given_name": "Anna", "family_name": "Smith", "workspace_email": "anna@a.example"},
    "bob": {
        "given_name": "Bob",
        "family_name": "Brown",
        "workspace_email": "bob@corp.example",
        "accounts": ["beta"],
    },
}


class Passwords:
    def __init__(self) -> None:
        self.made: list[str] = []
        self._n = itertools.count(1)

    def __call__(self) -> str:
        self.made.append(f"Pw-{next(self._n):04d}-Xq9!zZ")
        return self.made[-1]


def keyless_environment(url: str, host: str) -> dict[str, str]:
    """What a deployed function is configured with, pointed at the emulators (as `portalsync demo` does)."""
    return {
        "GOOGLE_CLOUD_PROJECT": FIRESTORE_PROJECT,
        "FIRESTORE_EMULATOR_HOST": host,
        "PORTALSYNC_WORKSPACE_ENDPOINT": url,
        "PORTALSYNC_AUTH_MODE": "keyless",
        "PORTALSYNC_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
    }


def grant_delegation(control: ControlClient) -> None:
    """Register the service account and grant it, in every customer, exactly the scopes the code requests:
    a call needing a scope missing from `WORKSPACE_SCOPES` then fails here as it would against Google."""
    client = control.post("service-accounts", {"email": SERVICE_ACCOUNT})
    for account in ACCOUNTS.values():
        grant = {"customerId": account["customer_id"], "clientId": client["clientId"]}
        control.post("dwd", {**grant, "scopes": list(WORKSPACE_SCOPES)})


class Stack:
    """The production composition (keyless delegation signed through IAM, real adapters) on the emulators."""

    def __init__(
        self,
        control: ControlClient,
        db: Any,
        url: str,
        host: str,
        *,
        clock: Any = None,
        retry: RetryPolicy = FAST_RETRY,
    ) -> None:
        self.control, self.db, self.url = control, db, url
        self.passwords = Passwords()
        grant_delegation(control)
        self.config = Config.from_env(keyless_environment(url, host))
        assert self.config.auth.mode == "keyless"
        workspaces = GoogleWorkspaces(self.config, retry=retry)
        self.service: Service = build_service(
            self.config, workspaces=workspaces, clock=clock, passwords=self.passwords
        )
        self.store: Any = self.service.store

    def seed(self, people: dict[str, dict[str, Any]] = PEOPLE) -> None:
        for account_id, account in ACCOUNTS.items():
            self.db.collection(names.COL_ACCOUNTS).document(account_id).set(account)
        for person_id, person in people.items():
            self.db.collection(names.COL_PEOPLE).document(person_id).set(person)

    def admin_writes(self) -> dict[str, int]:
        return {m: n for m, n in self.control.calls().items() if m.rsplit(".", 1)[-1] in WRITE_VERBS}

    def tenant(self, customer_id: str) -> dict[str, Any]:
        state: dict[str, Any] = self.control.get("state")["customers"][customer_id]
        return state

    def statuses(self) -> dict[str, str]:
        return {r.key: r.status.value for rs in self.service.status().values() for r in rs}

    def documents(self) -> dict[str, Any]:
        """Every document in the database, subcollections included, by path: its snapshot, as Firestore has
        it (`update_time` moves on every write, even one that rewrites the same data)."""
        found: dict[str, Any] = {}

        def walk(collections: Any) -> None:
            for collection in collections:
                for ref in collection.list_documents():  # also parents that only hold subcollections
                    snap = ref.get()
                    if snap.exists:
                        found[ref.path] = snap
                    walk(ref.collections())

        walk(self.db.collections())
        return found

    def all_documents(self) -> list[dict[str, Any]]:
        return [snap.to_dict() or {} for snap in self.documents().values()]


@pytest.fixture
def stack(control: ControlClient, firestore_client: Any, emulator_url: str, firestore_host: str) -> Stack:
    seed_own_accounts(control)
    return Stack(control, firestore_client, emulator_url, firestore_host)


def seed_own_accounts(control: ControlClient) -> None:
    """Anna's own Workspace account is on a reseller domain: she only gets the role there."""
    control.post(
        "users", {"primaryEmail": "anna@a.example", "name": {"givenName": "Anna", "familyName": "Smith"}}
    )


def assert_no_duplicates(stack: Stack) -> None:
    for customer in ("C01aaaaaa", "C02bbbbbb"):
        tenant = stack.tenant(customer)
        emails = Counter(u["primaryEmail"] for u in tenant["users"])
        assert max(emails.values()) == 1
        pairs = Counter((a["roleId"], a["assignedTo"]) for a in tenant["roleAssignments"])
        assert max(pairs.values()) == 1


def test_empty_to_converged_then_a_second_run_writes_nothing(stack: Stack) -> None:
    # beside the roster: a settings document, a person document that does not validate (an issue
    # document) and one whose address would be bob's (an open alert), so the no-op run below has every
    # kind of document to leave alone
    carol = {"given_name": "Carol", "family_name": "White", "workspace_email": "bob@other.example"}
    broken = {"given_name": "X", "family_name": "Y", "workspace_email": "nope"}
    stack.seed({**PEOPLE, "carol": {**carol, "accounts": ["beta"]}, "broken": broken})
    stack.db.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).set(
        {"notify_recipients": ["ops@corp.example"]}
    )
    reports = stack.service.sync_all()
    assert all(r.run.counts for r in reports)
    assert set(stack.statuses().values()) == {"provisioned"}
    assert len(stack.statuses()) == 7  # yamada, anna on 3 domains; bob on b.example
    alerts = [d.to_dict() for d in stack.db.collection(names.COL_ALERTS).stream()]
    assert [(a["kind"], a["status"]) for a in alerts] == [("invalid_input", "open")]
    assert len(list(stack.db.collection(names.COL_VALIDATION).stream())) == 1
    users = {u["primaryEmail"]: u for u in stack.tenant("C01aaaaaa")["users"]}
    assert users["taro@a2.example"]["name"]["familyName"] == "山田"
    assert users["taro@a2.example"]["orgUnitPath"] == "/Customer Care Portal"
    assert_no_duplicates(stack)
    calls = stack.control.calls()
    assert calls["iamcredentials.projects.serviceAccounts.signBlob"] >= 2  # one grant per account
    assert calls["oauth2.token"] >= 2

    stack.control.delete("calls")
    stack.store.writes_by_collection.clear()
    before = stack.documents()
    kept = {
        names.COL_ACCOUNT_STATE,
        names.COL_ALERTS,
        names.COL_VALIDATION,
        names.COL_PEOPLE,
        names.COL_ACCOUNTS,
        names.COL_SETTINGS,
    }
    assert kept <= {path.split("/")[0] for path in before}
    assert any(path.startswith(f"{names.COL_ACCOUNT_STATE}/beta/") for path in before)
    again = stack.service.sync_all()
    assert stack.admin_writes() == {}
    assert all(r.record_writes == 0 and r.run.counts == {} for r in again)
    assert stack.store.writes_by_collection == Counter({names.COL_RUNS: 2})
    # ... and as Firestore itself saw it: nothing rewritten (records, alerts, issues, roster, accounts,
    # settings), nothing deleted, and the only new documents are the two run records
    after = stack.documents()
    changed = [path for path, snap in before.items() if after[path].update_time != snap.update_time]
    assert changed == []
    assert set(before) <= set(after)
    added = set(after) - set(before)
    assert {path.split("/")[0] for path in added} == {names.COL_RUNS}
    assert len(added) == 2
    runs = stack.store.recent_runs("acme")
    assert len(runs) == 2
    assert runs[0].api_calls > 0


def test_a_conflict_once_recorded_is_not_rewritten(stack: Stack) -> None:
    carol = {"given_name": "Carol", "family_name": "White", "workspace_email": "carol@corp.example"}
    stack.seed({"carol": {**carol, "accounts": ["beta"]}})
    stack.control.post(
        "users", {"primaryEmail": "carol@b.example", "name": {"givenName": "Carol", "familyName": "W"}}
    )
    first = stack.service.sync_account("beta")
    assert first is not None
    assert first.run.counts["CreateUser:conflict"] == 1  # found by the insert's 409, not by observing
    assert stack.statuses() == {"carol@b.example": "conflict"}
    [found] = [f for f in first.findings if f.kind is FindingKind.ACCOUNT_CONFLICT]
    assert stack.store.load_records("beta")["carol@b.example"].last_error == found.detail
    again = stack.service.sync_account("beta")
    assert again is not None
    assert again.record_writes == 0
    assert [f for f in again.findings if f.kind is FindingKind.ACCOUNT_CONFLICT] == [found]


def test_automatic_paid_licensing_is_reported_after_creating_and_not_paid_for_otherwise(stack: Stack) -> None:
    stack.seed()
    stack.control.post("auto-license", {"customerId": "C01aaaaaa", "orgUnitPath": "/Customer Care Portal"})
    acme = stack.service.sync_account("acme")
    assert acme is not None
    [paid] = [f for f in acme.findings if f.kind is FindingKind.PAID_LICENSE_ASSIGNED]
    assert "taro@a.example" in paid.detail
    assert stack.control.calls()["licensing.licenseAssignments.listForProduct"] >= 1

    stack.control.delete("calls")
    stack.service.sync_account("acme")
    assert "licensing.licenseAssignments.listForProduct" not in stack.control.calls()


#: the emulator's quota clock runs this much faster than the wall clock; the retry policy is Google's recipe
#: (1 s, 2 s, 4 s ... plus jitter) at the same speed, with a time budget a loaded machine does not run out
SCALE = 20.0
SCALED_RETRY = RetryPolicy(base=1 / SCALE, cap=32 / SCALE, jitter=1 / SCALE, max_elapsed=30.0)


class EmulatorClock(SystemClock):
    """The service's waits (consistency) move the emulator's clock on instead of sleeping: its consistency
    windows and quota buckets see the time pass, the test does not wait for it."""

    def __init__(self, control: ControlClient) -> None:
        self.control = control
        self.slept = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.slept

    def sleep(self, seconds: float) -> None:
        self.control.post("clock", {"advanceSeconds": seconds})
        self.slept += seconds


def test_a_faulted_sync_converges_by_itself(
    control: ControlClient, firestore_client: Any, emulator_url: str, firestore_host: str
) -> None:
    seed_own_accounts(control)
    control.post("clock", {"advanceSeconds": 3600})  # anna's own account is not new
    clock = EmulatorClock(control)
    stack = Stack(control, firestore_client, emulator_url, firestore_host, clock=clock, retry=SCALED_RETRY)
    stack.seed()
    # a Directory quota far below what the adapter's own throttle allows (403 userRateLimitExceeded), two
    # concurrent calls per customer with slow inserts (429 for a batch's parts), new users incomplete for a
    # while (412 on their role), missing from users.get and users.list for a shorter while (404); a burst of
    # 503s on the calls every run needs (IAM's signBlob included), and 10% random 5xx on top
    control.post("quotas", {"directoryPerMinute": 30, "concurrentPerCustomer": 2, "timeScale": SCALE})
    control.post("consistency", {"incompleteSeconds": 6, "getLagSeconds": 2, "listLagSeconds": 3})
    for slow in ("directory.users.insert", "directory.roleAssignments.insert"):
        control.post("latency", {"method": slow, "ms": 40})
    for method in (
        "directory.users.insert",
        "directory.users.list",
        "directory.roleAssignments.insert",
        "directory.roles.list",
        "iamcredentials.projects.serviceAccounts.signBlob",
    ):
        control.post("faults", {"method": method, "count": 2, "status": 503, "reason": "backendError"})
    control.post("faults", {"random5xxRate": 0.1, "seed": 7})

    runs = 0
    while runs < 2:  # the faulted run itself, or at most a second one with the faults still on
        runs += 1
        reports = stack.service.sync_all()
        assert [r for report in reports for r in report.results if r.outcome is Outcome.FAILED] == []
        assert "failed" not in stack.statuses().values()
        if set(stack.statuses().values()) == {"provisioned"}:
            break
        control.post("clock", {"advanceSeconds": 60})  # the next run comes later
    assert set(stack.statuses().values()) == {"provisioned"}, f"not converged after {runs} runs"
    assert len(stack.statuses()) == 7
    assert clock.slept > 0  # the consistency windows were met, and waited out
    assert_no_duplicates(stack)
    records = [r for rs in stack.service.status().values() for r in rs]
    assert [(r.key, r.attempts, r.last_error) for r in records if r.attempts or r.last_error] == []
    alerts = [d.to_dict() for d in stack.db.collection(names.COL_ALERTS).stream()]
    assert [a for a in alerts if a["status"] == "open"] == []


def test_a_nested_ou_path_is_made_with_its_missing_parents(stack: Stack) -> None:
    stack.seed()
    nested = "/Support/Customer Care Portal"
    stack.db.collection(names.COL_ACCOUNTS).document("acme").update({"ou_path": nested})
    stack.service.sync_all()
    assert set(stack.statuses().values()) == {"provisioned"}
    tenant = stack.tenant("C01aaaaaa")
    assert {"/Support", nested} <= {o["orgUnitPath"] for o in tenant["orgunits"]}
    assert {u["orgUnitPath"] for u in tenant["users"] if u["primaryEmail"].startswith("taro@")} == {nested}

    stack.control.delete("calls")
    stack.service.sync_all()
    assert stack.admin_writes() == {}


def test_truncated_roster_trips_the_guard_until_approved(stack: Stack, tmp_path: Path) -> None:
    staff = {
        f"p{i}": {
            "given_name": "Staff",
            "family_name": f"N{i}",
            "workspace_email": f"p{i}@corp.example",
            "accounts": ["beta"],
        }
        for i in range(8)
    }
    stack.seed(staff)
    stack.service.sync_all()
    assert len(stack.statuses()) == 8

    (tmp_path / "short.csv").write_text(
        "workspace_email,given_name,family_name,accounts,person_id,team\np0@corp.example,Staff,N0,beta,p0,ops\n",
        encoding="utf-8",
    )
    from portalsync.adapters.roster_csv import read_roster

    report = stack.service.import_roster(*read_roster(tmp_path / "short.csv"))
    assert len(report.deactivated) == 7  # the unknown `team` column is a warning, not a bad row
    assert [(i.field, i.warning) for i in report.issues] == [("team", True)]
    run = stack.service.sync_account("beta")
    assert run is not None
    assert run.run.quarantined
    assert not any(u.get("suspended") for u in stack.tenant("C02bbbbbb")["users"])
    assert Counter(stack.statuses().values()) == Counter({"held": 7, "provisioned": 1})
    alerts = [d.to_dict() for d in stack.db.collection(names.COL_ALERTS).stream()]
    assert [a["kind"] for a in alerts] == ["removal_guard"]

    stack.service.approve("beta", 7, "boss@b.example")
    run = stack.service.sync_account("beta")
    assert run is not None
    assert not run.run.quarantined
    suspended = sorted(u["primaryEmail"] for u in stack.tenant("C02bbbbbb")["users"] if u.get("suspended"))
    assert suspended == [f"p{i}@b.example" for i in range(1, 8)]
    tenant = stack.tenant("C02bbbbbb")
    ids = {u["id"] for u in tenant["users"] if u.get("suspended")}
    assert not [a for a in tenant["roleAssignments"] if a["assignedTo"] in ids]  # revoked in one batch
    assert stack.control.calls()["directory.roleAssignments.delete"] == 7
    assert stack.store.approval("beta") is None


def test_bad_documents_are_reported_and_skipped(stack: Stack) -> None:
    stack.seed({**PEOPLE, "broken": {"given_name": "X", "family_name": "Y", "workspace_email": "nope"}})
    stack.db.collection(names.COL_ACCOUNTS).document("gamma").set({"customer_id": "bad", "domains": []})
    stack.service.sync_all()
    issues = {d.id: d.to_dict() for d in stack.db.collection(names.COL_VALIDATION).stream()}
    assert set(issues) == {"people%2Fbroken", "reseller_accounts%2Fgamma"}
    assert issues["people%2Fbroken"]["issues"][0]["field"] == "workspace_email"
    assert set(stack.statuses().values()) == {"provisioned"}

    # a person whose document turns invalid is not taken for a leaver: nothing of theirs is suspended
    stack.db.collection(names.COL_PEOPLE).document("bob").update({"workspace_email": "nope"})
    stack.service.sync_all()
    assert not any(u.get("suspended") for u in stack.tenant("C02bbbbbb")["users"])
    assert stack.statuses()["bob@b.example"] == "held"


#: every logger that might see a request body: ours, the API client, HTTP and auth libraries
NOISY = ("", "portalsync", "googleapiclient", "google", "google_auth_httplib2", "httplib2", "urllib3")


def test_initial_passwords_appear_in_no_document_and_no_log(stack: Stack) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    levels = {name: logging.getLogger(name).level for name in NOISY}
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        stack.seed()
        reports = stack.service.sync_all()
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert len(stack.passwords.made) == 6
    logged = buffer.getvalue()
    assert '"severity"' in logged
    assert "URL being requested: POST" in logged  # the client's own debug log was captured too
    documents = json.dumps(list(stack.all_documents()), ensure_ascii=False, default=str)
    assert "taro@a.example" in documents
    returned = repr(reports)
    for password in stack.passwords.made:
        assert password not in logged
        assert password not in documents
        assert password not in returned


def test_cli_plan_status_and_roster_import(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name, value in keyless_environment(stack.url, stack.config.firestore_emulator_host or "").items():
        monkeypatch.setenv(name, value)
    stack.seed({})
    runner = CliRunner()

    csv = "person_id,given_name,family_name,workspace_email,accounts\r\n"
    csv += "yamada,太郎,山田,taro@corp.example,acme\r\nbad,,X,x@corp.example,acme\r\n"
    (tmp_path / "roster.csv").write_bytes(csv.encode("cp932"))
    result = runner.invoke(app, ["roster", "import", str(tmp_path / "roster.csv")])
    assert result.exit_code == 0, result.output
    assert "roster.csv row 3" in result.output
    assert stack.db.collection(names.COL_PEOPLE).document("yamada").get().to_dict()["family_name"] == "山田"

    result = runner.invoke(app, ["plan", "--json"])
    assert result.exit_code == 0, result.output
    plans = {p["account_id"]: p for p in json.loads(result.output)}
    created = [a["email"] for a in plans["acme"]["actions"] if a["type"] == "CreateUser"]
    assert created == ["taro@a.example", "taro@a2.example"]
    assert [a["type"] for a in plans["beta"]["actions"]] == ["CreateOrgUnit"]  # nobody is on beta yet
    assert stack.admin_writes() == {}

    result = runner.invoke(app, ["apply", "--account", "acme"])
    assert result.exit_code == 0, result.output
    # the functions' onboarding steps ran too: no sender here, so the passwords stay due (only the
    # addresses) and the welcome is queued, for the functions' drain
    due = {d.id for d in stack.db.collection(names.COL_CREDENTIALS_DUE).stream()}
    assert due == {"taro@a.example", "taro@a2.example"}
    queued = [d.to_dict() for d in stack.db.collection(names.COL_OUTBOX).stream()]
    assert [m["kind"] for m in queued] == ["onboarding"]
    assert "drain_outbox" in " ".join(result.output.split())
    result = runner.invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {(r["email"], r["status"]) for r in rows} == {
        ("taro@a.example", "provisioned"),
        ("taro@a2.example", "provisioned"),
    }
    result = runner.invoke(app, ["status"])
    assert "provisioned" in result.output
    result = runner.invoke(app, ["approve", "acme", "--max-removals", "3", "--by", "boss@a.example"])
    assert result.exit_code == 0, result.output
    assert stack.store.approval("acme") is not None
    assert runner.invoke(app, ["plan", "--account", "nope"]).exit_code == 2
