"""The use cases on in-memory fakes: converge, stay quiet when converged, guard, onboard, import."""

from __future__ import annotations

import itertools

import pytest

from portalsync.actions import CreateCustomRole, CreateOrgUnit, CreateUser, FindingKind
from portalsync.errors import AlreadyExistsError, AuthError, PermanentError
from portalsync.mail.message import MailKind
from portalsync.model import Person, ResellerAccount, Settings
from portalsync.notify import Notifier
from portalsync.ports import ValidationIssue
from portalsync.records import AccountObservation, AccountStatus, Wanted
from portalsync.service import Service
from tests.unit.builders import account, person
from tests.unit.fakes import FakeClock, FakeWorkspace
from tests.unit.fakes_flows import FakeAlertBook, FakeOutbox
from tests.unit.fakes_store import FakeStore

WRITE_METHODS = {
    "create_org_unit",
    "create_role",
    "insert_user",
    "update_user",
    "insert_license",
    "assign_role",
    "revoke_role",
}


class Passwords:
    def __init__(self) -> None:
        self.made: list[str] = []
        self._n = itertools.count(1)

    def __call__(self) -> str:
        self.made.append(f"Initial-Secret-{next(self._n)}!")
        return self.made[-1]


class World:
    """Two reseller accounts (acme with a secondary domain) and their fake tenants."""

    def __init__(self, people: list[Person], accounts: list[ResellerAccount] | None = None) -> None:
        self.clock = FakeClock()
        self.accounts = accounts or [
            account("acme", ["a.example", "a2.example"]),
            account("beta", ["b.example"], customer_id="C02bbbbbb"),
        ]
        self.store = FakeStore(
            accounts=self.accounts,
            people={p.person_id: p for p in people},
            settings=Settings(notify_recipients=["ops@corp.example"]),
        )
        self.tenants = {a.account_id: FakeWorkspace(self.clock) for a in self.accounts}
        self.passwords = Passwords()
        self.alerts = FakeAlertBook()
        self.outbox = FakeOutbox()
        self.notifier = Notifier(self.alerts, self.outbox, self.store, self.clock)
        self.service = Service(
            self.store,
            lambda a: self.tenants[a.account_id],
            self.clock,
            self.passwords,
            findings=self.notifier,
        )

    def writes_to_google(self) -> list[str]:
        return [c for t in self.tenants.values() for c in t.calls if c in WRITE_METHODS]

    def reset_calls(self) -> None:
        for tenant in self.tenants.values():
            tenant.calls.clear()
        self.store.writes.clear()
        self.alerts.writes = 0

    def alert_mails(self) -> list[str]:
        return [m.message_id for m in self.outbox.of_kind(MailKind.ALERT)]


def roster() -> list[Person]:
    return [
        person("yamada", "taro@corp.example", "太郎", "山田", locale="ja"),
        person("anna", "anna@a.example", "Anna", "Smith"),  # her own address is on a reseller domain
        person("bob", "bob@corp.example", "Bob", "Brown", accounts=["beta"]),
    ]


def test_empty_tenants_converge_and_a_second_sync_changes_nothing() -> None:
    world = World(roster())
    world.tenants["acme"].add_user("anna@a.example", managed=False)

    reports = world.service.sync_all()

    assert [r.run.account_id for r in reports] == ["acme", "beta"]
    assert world.store.status_of("acme") == {
        "yamada@a.example": "provisioned",
        "yamada@a2.example": "provisioned",
        "anna@a.example": "provisioned",  # her own account: only the role
        "anna@a2.example": "provisioned",
    }
    assert world.store.status_of("beta") == {
        "yamada@b.example": "provisioned",
        "anna@b.example": "provisioned",
        "bob@b.example": "provisioned",
    }
    acme = world.tenants["acme"]
    assert "taro@a.example" in acme.users
    assert acme.users["taro@a.example"].family_name == "山田"
    assert acme.users["anna@a.example"].managed is False  # never taken over
    assert reports[0].run.counts["CreateUser:done"] == 3
    assert reports[0].run.api_calls > 0

    world.reset_calls()
    again = world.service.sync_all()
    assert world.writes_to_google() == []
    assert world.store.writes["records"] == 0
    assert world.alerts.writes == 0
    assert all(r.run.counts == {} and r.record_writes == 0 for r in again)


def test_records_hold_desired_observed_last_action_attempts_and_timestamps() -> None:
    world = World(roster()[:1], [account("acme", ["a.example"])])
    world.service.sync_all()
    [record] = world.store.records["acme"].values()
    assert record.desired is Wanted.ACTIVE
    assert record.observed == AccountObservation(exists=True, suspended=False, licensed=True, has_role=True)
    assert record.last_action == "AssignRole:done"
    assert record.first_seen_at == record.last_attempt_at == record.updated_at is not None
    first = record

    world.clock.now += 5
    world.service.sync_all()  # converged: the record stays exactly as it was
    assert world.store.records["acme"][first.key] == first

    world.store.people.clear()
    world.clock.now += 5
    world.service.sync_all()
    gone = world.store.records["acme"][first.key]
    assert gone.status is AccountStatus.SUSPENDED
    assert gone.desired is Wanted.REMOVED
    assert gone.observed == AccountObservation(exists=True, suspended=True, licensed=True, has_role=False)
    assert gone.last_action == "SuspendUser:done"
    assert gone.first_seen_at == first.first_seen_at
    assert gone.last_attempt_at == gone.updated_at != first.last_attempt_at


def test_initial_passwords_are_not_stored_or_reported() -> None:
    world = World(roster())
    reports = world.service.sync_all()
    assert world.passwords.made
    dump = repr((world.store, reports))
    assert not any(p in dump for p in world.passwords.made)


def test_disabled_account_is_skipped_and_unreachable_one_does_not_stop_the_others() -> None:
    world = World(
        roster(),
        [
            account("acme", ["a.example"]),
            account("beta", ["b.example"], customer_id="C02bbbbbb"),
            account("gamma", ["c.example"], customer_id="C03cccccc", enabled=False),
        ],
    )
    world.tenants["acme"].fail("observe", AuthError("unauthorized_client: Client is unauthorized", 401))

    reports = world.service.sync_all()

    assert [r.run.account_id for r in reports] == ["acme", "beta"]
    assert world.tenants["gamma"].calls == []
    assert reports[0].run.error
    assert [f.kind for f in reports[0].findings] == [FindingKind.ACCOUNT_UNREACHABLE]
    assert "acme/account_unreachable" not in world.alerts.alerts  # keyed kind first
    assert "account_unreachable/acme" in world.alerts.alerts
    assert set(world.store.status_of("beta").values()) == {"provisioned"}
    assert world.service.sync_account("gamma") is None


def test_mass_removal_is_held_until_approved() -> None:
    staff = [person(f"p{i}", f"p{i}@corp.example", accounts=["acme"]) for i in range(8)]
    world = World(staff, [account("acme", ["a.example"])])
    world.service.sync_all()
    assert len(world.store.status_of("acme")) == 8

    world.store.people = {"p0": staff[0]}  # a truncated roster
    world.reset_calls()
    report = world.service.sync_account("acme")

    assert report is not None
    assert report.run.quarantined
    assert world.writes_to_google() == []
    assert not any(u.suspended for u in world.tenants["acme"].users.values())
    assert any(f.kind is FindingKind.REMOVAL_GUARD for f in report.findings)
    assert sorted(set(world.store.status_of("acme").values())) == ["held", "provisioned"]

    world.service.approve("acme", 7, "boss@a.example")
    report = world.service.sync_account("acme")
    assert report is not None
    assert not report.run.quarantined
    suspended = sorted(e for e, u in world.tenants["acme"].users.items() if u.suspended)
    assert suspended == [f"p{i}@a.example" for i in range(1, 8)]
    assert world.store.approvals == {}  # used up
    assert list(world.store.status_of("acme").values()).count("suspended") == 7


def test_a_person_whose_document_became_invalid_is_held_not_suspended() -> None:
    world = World(roster())
    world.service.sync_all()
    before = world.store.status_of("acme")
    yamada = world.store.people.pop("yamada")  # the document no longer parses
    issue = ValidationIssue("people/yamada", "workspace_email", "not an e-mail address")
    world.store.desired_issues = [issue]
    world.reset_calls()

    reports = world.service.sync_all()

    assert world.writes_to_google() == []
    assert not any(u.suspended for t in world.tenants.values() for u in t.users.values())
    assert not any(r.run.quarantined for r in reports)  # not the guard: nothing to approve
    held = {k: v for k, v in world.store.status_of("acme").items() if v == "held"}
    assert held == {"yamada@a.example": "held", "yamada@a2.example": "held"}
    assert world.store.status_of("beta")["yamada@b.example"] == "held"
    record = world.store.records["acme"]["yamada@a.example"]
    assert "people/yamada is invalid" in (record.last_error or "")
    why = [f for r in reports for f in r.findings if f.kind is FindingKind.INVALID_INPUT]
    assert {f.email for f in why} == {"taro@a.example", "taro@a2.example", "taro@b.example"}
    assert all(f.person_id == "yamada" for f in why)

    world.store.people["yamada"] = yamada  # fixed
    world.store.desired_issues = []
    world.service.sync_all()
    assert world.writes_to_google() == []
    assert world.store.status_of("acme") == before

    del world.store.people["yamada"]  # really gone: removed as usual
    world.service.sync_all()
    assert world.tenants["acme"].users["taro@a.example"].suspended


def test_an_address_passed_to_a_newcomer_never_reactivates_the_leavers_account() -> None:
    world = World([person("taro1", "taro@corp.example", accounts=["acme"])], [account("acme", ["a.example"])])
    world.service.sync_all()
    del world.store.people["taro1"]
    world.service.sync_all()
    acme = world.tenants["acme"]
    assert acme.users["taro@a.example"].suspended

    world.store.people["taro2"] = person("taro2", "taro@corp2.example", "Taro", "Sato", accounts=["acme"])
    world.reset_calls()
    report = world.service.sync_account("acme")

    assert report is not None
    assert world.writes_to_google() == []
    assert acme.users["taro@a.example"].suspended
    assert acme.users["taro@a.example"].person_id == "taro1"
    assert world.store.status_of("acme") == {"taro1@a.example": "suspended", "taro2@a.example": "conflict"}
    [conflict] = [f for f in report.findings if f.kind is FindingKind.ACCOUNT_CONFLICT]
    assert (conflict.person_id, conflict.suggestion) == ("taro2", "taro.ccp")


def test_a_leaver_loses_the_role_portalsync_gave_their_own_account_and_nothing_else() -> None:
    world = World(roster())
    acme = world.tenants["acme"]
    acme.add_user("anna@a.example", managed=False)
    acme.add_user("boss@a.example", managed=False)
    world.store.people["boss"] = person("boss", "boss@a.example", accounts=["acme"], domains=["a.example"])
    boss_id = acme.users["boss@a.example"].id
    acme._assign(acme.role_id("_RESELLER_ADMIN_ROLE"), boss_id)  # held the role before portalsync
    world.service.sync_all()
    anna_id = acme.users["anna@a.example"].id
    assert any(a.user_id == anna_id for a in acme.assignments.values())

    del world.store.people["anna"]
    del world.store.people["boss"]
    world.reset_calls()
    report = world.service.sync_account("acme")

    assert report is not None
    for_anna = [
        type(r.action).__name__
        for r in report.results
        if not isinstance(r.action, (CreateOrgUnit, CreateCustomRole)) and r.action.email == "anna@a.example"
    ]
    assert for_anna == ["RevokeRole"]
    assert not any(a.user_id == anna_id for a in acme.assignments.values())
    assert not acme.users["anna@a.example"].suspended
    assert acme.users["anna@a2.example"].suspended  # the account portalsync made for her
    assert any(a.user_id == boss_id for a in acme.assignments.values())  # not portalsync's grant
    assert world.store.records["acme"]["anna@a.example"].last_action == "RevokeRole:done"

    world.reset_calls()
    world.service.sync_account("acme")
    assert world.writes_to_google() == []
    assert world.store.writes["records"] == 0


def test_onboarding_touches_only_that_person() -> None:
    world = World(roster())
    world.service.sync_all()
    del world.store.people["bob"]  # would be a removal in a full sync
    world.store.people["new"] = person("new", "new@corp.example", "New", "Hire", accounts=["acme"])
    world.reset_calls()

    reports = world.service.onboard("new@corp.example")

    assert [r.run.account_id for r in reports] == ["acme"]
    assert world.store.status_of("acme")["new@a.example"] == "provisioned"
    assert world.store.status_of("acme")["new@a2.example"] == "provisioned"
    assert not world.tenants["beta"].users["bob@b.example"].suspended
    assert world.tenants["beta"].calls == []
    with pytest.raises(LookupError):
        world.service.onboard("nobody")


def test_plan_only_writes_nothing() -> None:
    world = World(roster())
    reports = world.service.plan_only("acme")
    assert len(reports) == 1
    assert reports[0].plan.actions
    assert world.writes_to_google() == []
    assert sum(world.store.writes.values()) == 0


def test_paid_license_after_create_becomes_a_finding() -> None:
    world = World(roster()[:1], [account("acme", ["a.example"])])
    acme = world.tenants["acme"]
    original = acme._insert_user

    def auto_license(action: CreateUser, password: str) -> str:
        user_id = original(action, password)
        acme.paid_holders.add(action.email.lower())
        return user_id

    acme._insert_user = auto_license  # type: ignore[method-assign]
    report = world.service.sync_account("acme")
    assert report is not None
    assert [f.kind for f in report.findings] == [FindingKind.PAID_LICENSE_ASSIGNED]
    assert acme.calls.count("list_paid_licenses") == 1  # in the re-observation after the create

    world.reset_calls()
    world.service.sync_account("acme")  # nothing created: the tenant-wide license lists are not read
    assert acme.calls == ["observe"]


def test_roster_import_deactivates_missing_people_only_when_every_row_was_good() -> None:
    world = World(roster())
    people = roster()[:2]
    bad = [ValidationIssue("roster.csv row 4", "workspace_email", "not an e-mail address")]

    report = world.service.import_roster(people, bad)
    assert report.deactivated == ()
    assert world.store.people["bob"].active
    assert world.store.issues == bad

    report = world.service.import_roster(people, [])
    assert report.deactivated == ("bob",)
    assert report.written == 1
    assert not world.store.people["bob"].active


def test_a_roster_warning_does_not_hold_back_deactivation() -> None:
    world = World(roster())
    ignored = [ValidationIssue("roster.csv row 1", "team", "unknown column, ignored", warning=True)]
    report = world.service.import_roster(roster()[:2], ignored)
    assert report.deactivated == ("bob",)
    assert world.store.issues == ignored


class Days(FakeClock):
    """A clock whose date can move on (the fake's default stays within one minute of one day)."""

    day = "2026-01-01"

    def now_iso(self) -> str:
        return f"{self.day}T00:00:{int(self.now) % 60:02d}Z"


def test_an_alert_first_raised_by_onboarding_is_mailed_once_and_only_its_scope_resolves_it() -> None:
    world = World(roster())
    world.tenants["acme"].add_user("anna@a.example", managed=False)
    world.service.sync_all()
    world.store.people["new"] = person("new", "new@corp.example", "New", "Hire", accounts=["acme"])
    world.tenants["acme"].add_user("new@a.example", managed=False)  # someone else's account has the address
    world.reset_calls()

    world.service.onboard("new")

    [alert] = world.alerts.open_alerts()
    assert (alert.kind, alert.person_id) == (FindingKind.ACCOUNT_CONFLICT, "new")
    assert world.alert_mails() == [f"alert/{alert.key}/{alert.first_seen}"]

    world.service.sync_all()  # the nightly run sees it again (its words may change): no second mail
    world.reset_calls()
    world.service.sync_all()  # and again, the same day: no rewrite either
    world.service.onboard("new")
    assert len(world.alert_mails()) == 1
    assert world.alerts.writes == 0

    world.store.people["other"] = person("other", "other@corp.example", accounts=["acme"])
    hire = world.store.people["new"]  # the suggested fix: another username on that domain ...
    world.store.people["new"] = hire.model_copy(update={"username_overrides": {"a.example": "new2"}})
    world.service.onboard("other")  # ... but someone else's onboarding does not look at it
    assert [a.key for a in world.alerts.open_alerts()] == [alert.key]
    world.service.onboard("new")
    assert world.alerts.open_alerts() == []
    assert world.alerts.alerts[alert.key].resolved_at is not None
    assert len(world.alert_mails()) == 1


def test_an_alert_still_open_is_rewritten_at_most_once_a_day() -> None:
    world = World(roster())
    clock = Days()
    world.clock = world.notifier.clock = world.service.clock = clock
    world.tenants["acme"].fail("observe", *[AuthError("unauthorized_client", 401)] * 4)
    world.service.sync_account("acme")
    assert world.alerts.writes == 1
    world.service.sync_account("acme")  # the same day, the same words: nothing to write
    world.service.sync_account("acme")
    assert world.alerts.writes == 1

    clock.day = "2026-01-02"
    world.service.sync_account("acme")
    assert world.alerts.writes == 2
    [alert] = world.alerts.open_alerts()
    assert (alert.count, alert.first_seen[:10], alert.last_seen[:10]) == (2, "2026-01-01", "2026-01-02")
    assert len(world.alert_mails()) == 1


def test_a_conflict_found_while_applying_is_recorded_and_reported_as_every_later_run_sees_it() -> None:
    """The address is taken outside the OU, so only the insert's 409 reveals it: that run must record and
    report what the next run, which knows the conflict from its record, records and reports."""
    carol = person("carol", "carol@corp.example", "Carol", "White", accounts=["beta"])
    world = World([carol])
    world.tenants["beta"].add_user("carol@b.example", managed=False)  # not in the OU: not observed

    first = world.service.sync_account("beta")

    assert first is not None
    assert [r.count_key for r in first.results] == [
        "CreateOrgUnit:done",
        "CreateUser:conflict",
        "AssignRole:skipped",
    ]
    [found] = [f for f in first.findings if f.kind is FindingKind.ACCOUNT_CONFLICT]
    assert (found.email, found.suggestion) == ("carol@b.example", "carol.ccp")
    record = world.store.records["beta"]["carol@b.example"]
    assert (record.status, record.last_error) == (AccountStatus.CONFLICT, found.detail)
    assert not found.detail.startswith("CreateUser failed")  # the planner's words, not apply's
    [alert] = world.alerts.open_alerts()

    world.reset_calls()
    again = world.service.sync_account("beta")

    assert again is not None
    assert world.writes_to_google() == []
    assert (again.record_writes, world.store.writes["records"], world.alerts.writes) == (0, 0, 0)
    assert [f for f in again.findings if f.kind is FindingKind.ACCOUNT_CONFLICT] == [found]
    assert world.store.records["beta"]["carol@b.example"] == record
    assert world.alerts.open_alerts() == [alert]


def test_the_suggested_override_creates_the_account_and_the_conflict_resolves_in_one_write() -> None:
    carol = person("carol", "carol@corp.example", "Carol", "White", accounts=["beta"])
    world = World([carol])
    world.tenants["beta"].add_user("carol@b.example", managed=False)
    world.service.sync_account("beta")
    [alert] = world.alerts.open_alerts()
    assert alert.suggestion == "carol.ccp"

    world.store.people["carol"] = carol.model_copy(update={"username_overrides": {"b.example": "carol.ccp"}})
    world.reset_calls()
    report = world.service.sync_account("beta")

    assert report is not None
    assert [r.count_key for r in report.results] == ["CreateUser:done", "AssignRole:done"]
    assert world.store.writes["records"] == 1
    record = world.store.records["beta"]["carol@b.example"]
    assert (record.email, record.status, record.last_error) == (
        "carol.ccp@b.example",
        AccountStatus.PROVISIONED,
        None,
    )
    assert world.alerts.open_alerts() == []
    assert world.alerts.alerts[alert.key].resolved_at is not None
    assert world.tenants["beta"].users["carol@b.example"].managed is False  # never touched

    world.reset_calls()
    world.service.sync_account("beta")
    assert world.writes_to_google() == []
    assert (world.store.writes["records"], world.alerts.writes) == (0, 0)


def _lose_license(world: World, email: str) -> None:
    """A managed portal account that has lost Cloud Identity Free since it was provisioned."""
    world.service.sync_all()
    world.tenants["acme"].ci_free_holders.discard(email)
    world.reset_calls()


def test_a_license_that_cannot_be_assigned_for_good_raises_ci_free_missing_once() -> None:
    world = World(roster())
    world.tenants["acme"].add_user("anna@a.example", managed=False)
    _lose_license(world, "taro@a2.example")
    world.tenants["acme"].fail("insert_license", PermanentError("Invalid license for user", 400, "invalid"))

    [report] = [r for r in world.service.sync_all() if r.run.account_id == "acme"]

    assert [(f.kind, f.email) for f in report.findings] == [(FindingKind.CI_FREE_MISSING, "taro@a2.example")]
    [alert] = world.alerts.open_alerts("acme")
    assert alert.kind == FindingKind.CI_FREE_MISSING.value
    assert "Assign licenses" in world.outbox.of_kind(MailKind.ALERT)[-1].text


def test_a_license_still_missing_after_applying_raises_ci_free_missing() -> None:
    """Google answered that the license is there, yet the re-observation does not list it."""
    world = World(roster())
    world.tenants["acme"].add_user("anna@a.example", managed=False)
    _lose_license(world, "taro@a2.example")
    world.tenants["acme"].fail("insert_license", AlreadyExistsError("User already has a license", 412))

    [report] = [r for r in world.service.sync_all() if r.run.account_id == "acme"]

    assert [(f.kind, f.email) for f in report.findings] == [(FindingKind.CI_FREE_MISSING, "taro@a2.example")]
    assert world.store.status_of("acme")["yamada@a2.example"] == "pending"

    world.tenants["acme"].ci_free_holders.add("taro@a2.example")  # an admin assigned it
    world.service.sync_all()
    assert world.alerts.open_alerts("acme") == []


def test_a_run_records_only_its_own_api_calls_when_the_adapter_is_reused() -> None:
    """The factory keeps one adapter per account, whose counter spans runs: each run records its share."""
    world = World(roster(), [account("acme", ["a.example"])])
    world.service.sync_all()
    tenant = world.tenants["acme"]
    tenant.calls.clear()
    world.service.sync_all()
    first = len(tenant.calls)
    world.service.sync_all()  # the same adapter, its calls not cleared

    assert [r.api_calls for r in world.store.runs[-2:]] == [first, len(tenant.calls) - first]
    assert first > 0
