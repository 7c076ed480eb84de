"""apply_plan against the in-memory tenant: order, batching, 409s, conflicts, consistency waits, secrets."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import pytest

from portalsync.actions import (
    Action,
    AssignRole,
    CreateCustomRole,
    CreateOrgUnit,
    CreateUser,
    EnsureLicense,
    FindingKind,
    Plan,
    RevokeRole,
    SuspendUser,
    UpdateUserName,
)
from portalsync.apply import apply_plan
from portalsync.errors import AlreadyExistsError, PermanentError, WorkspaceError
from portalsync.results import ActionResult, Outcome, random_password
from tests.unit.fakes import FakeClock, FakeWorkspace

OU = "/Customer Care Portal"
ROLE = "Customer Care Portal"
PASSWORD = "Initial-Secret-123!"


def create(email: str, person: str = "p1") -> CreateUser:
    return CreateUser("acct", person, email.rsplit("@", 1)[1], email, "Aiko", "Sato", "aiko@corp.example", OU)


def assign(email: str, role_id: str | None = None, user_id: str | None = None) -> AssignRole:
    return AssignRole(
        "acct", "p1", email, user_id, role_id, ROLE if role_id is None else "_RESELLER_ADMIN_ROLE"
    )


def run(ws: FakeWorkspace, *actions: Action, deadline: float = 180.0) -> list[ActionResult]:
    plan = Plan("acct", tuple(actions))
    return apply_plan(plan, ws, ws.clock, lambda: PASSWORD, consistency_deadline=deadline)


def outcomes(results: Sequence[ActionResult]) -> list[str]:
    return [r.outcome.value for r in results]


def test_fresh_tenant_full_plan_in_order() -> None:
    ws = FakeWorkspace()
    actions = (
        CreateOrgUnit("acct", OU),
        CreateCustomRole("acct", ROLE, ("VIEW_CUSTOMERS", "ACCESS_CUSTOMER_SUPPORT_CASES")),
        create("aiko@a.example"),
        create("aiko@a2.example"),
        EnsureLicense("acct", "p1", "aiko@a.example"),
        assign("aiko@a.example"),
        assign("aiko@a2.example"),
    )
    results = run(ws, *actions)
    assert [r.action for r in results] == list(actions)
    assert outcomes(results) == ["done", "done", "done", "done", "already", "done", "done"]
    role_id = ws.role_id(ROLE)
    assert ws.roles[role_id].privilege_names == {"VIEW_CUSTOMERS", "ACCESS_CUSTOMER_SUPPORT_CASES"}
    assigned = {(a.role_id, a.user_id) for a in ws.assignments.values()}
    assert assigned == {(role_id, ws.users["aiko@a.example"].id), (role_id, ws.users["aiko@a2.example"].id)}
    assert results[2].user_id == ws.users["aiko@a.example"].id
    assert "get_user" not in ws.calls  # ids came from the inserts


def test_consecutive_actions_of_a_kind_go_in_one_batch() -> None:
    batches: list[int] = []

    class Counting(FakeWorkspace):
        def insert_users(self, users: Sequence[tuple[CreateUser, str]]) -> list[str | WorkspaceError]:
            batches.append(len(users))
            return super().insert_users(users)

    ws = Counting()
    ws.org_units.add(OU)
    run(ws, *(create(f"u{i}@a.example", f"p{i}") for i in range(5)))
    assert batches == [5]


def test_suspends_reactivations_renames_and_revokes_go_in_batches() -> None:
    batches: list[tuple[str, int]] = []

    class Counting(FakeWorkspace):
        def update_users(
            self, updates: Sequence[tuple[str, Mapping[str, object]]]
        ) -> list[WorkspaceError | None]:
            batches.append(("update", len(updates)))
            return super().update_users(updates)

        def revoke_roles(self, assignment_ids: Sequence[str]) -> list[WorkspaceError | None]:
            batches.append(("revoke", len(assignment_ids)))
            return super().revoke_roles(assignment_ids)

    ws = Counting()
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    ids = [ws.add_user(f"u{i}@a.example", managed=True) for i in range(4)]
    run(ws, *(assign(f"u{i}@a.example", role, ids[i]) for i in range(4)))
    held = {a.user_id: a.assignment_id for a in ws.assignments.values()}
    results = run(
        ws,
        *(UpdateUserName("acct", "p", f"u{i}@a.example", ids[i], "New", "Name") for i in range(4)),
        *(RevokeRole("acct", "p", f"u{i}@a.example", ids[i], held[ids[i]]) for i in range(4)),
        RevokeRole("acct", "p", "u0@a.example", ids[0], "already-gone"),
        *(SuspendUser("acct", "p", f"u{i}@a.example", ids[i]) for i in range(4)),
    )
    assert batches == [("update", 4), ("revoke", 5), ("update", 4)]
    assert outcomes(results) == ["done"] * 8 + ["already"] + ["done"] * 4
    assert all(u.suspended and u.family_name == "Name" for u in ws.users.values())
    assert not ws.assignments


def test_conflict_409_on_a_managed_account_is_already_done() -> None:
    ws = FakeWorkspace()
    ws.org_units.add(OU)
    uid = ws.add_user("aiko@a.example", managed=True, ou=OU)
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    results = run(ws, create("aiko@a.example"), assign("aiko@a.example", role_id=role))
    assert outcomes(results) == ["already", "done"]
    assert results[0].user_id == uid
    assert ws.calls.count("insert_user") == 1


def test_409_on_an_unmanaged_account_is_a_conflict_the_planner_reports() -> None:
    ws = FakeWorkspace()
    uid = ws.add_user("aiko@a.example", managed=False)
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    results = run(
        ws,
        create("aiko@a.example"),
        EnsureLicense("acct", "p1", "aiko@a.example"),
        assign("aiko@a.example", role),
    )
    assert outcomes(results) == ["conflict", "skipped", "skipped"]
    assert (results[0].user_id, results[0].finding) == (uid, None)  # worded by the re-plan, not here
    assert "does not manage" in results[0].detail
    assert not ws.assignments


def test_409_on_a_managed_account_of_another_person_is_a_conflict() -> None:
    ws = FakeWorkspace()
    ws.org_units.add(OU)
    ws.add_user("aiko@a.example", managed=True, ou=OU, person_id="p-left")
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    results = run(ws, create("aiko@a.example", "p-new"), assign("aiko@a.example", role))
    assert outcomes(results) == ["conflict", "skipped"]
    assert "made for p-left" in results[0].detail
    assert not ws.assignments


def test_consistency_windows_are_waited_out_not_reported() -> None:
    ws = FakeWorkspace(incomplete_seconds=20.0, get_lag_seconds=5.0)
    ws.org_units.add(OU)
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    results = run(ws, create("aiko@a.example"), assign("aiko@a.example", role))
    assert outcomes(results) == ["done", "done"]
    assert ws.clock.slept  # it waited, with the clock, not the wall
    assert sum(ws.clock.slept) >= 20.0
    assert len(ws.assignments) == 1


def test_update_on_a_fresh_user_waits_for_creation_to_complete() -> None:
    ws = FakeWorkspace(incomplete_seconds=12.0)
    ws.org_units.add(OU)
    [created] = run(ws, create("aiko@a.example"))
    assert created.user_id is not None
    [renamed] = run(ws, UpdateUserName("acct", "p1", "aiko@a.example", created.user_id, "Aiko", "Suzuki"))
    assert renamed.outcome is Outcome.DONE
    assert ws.users["aiko@a.example"].family_name == "Suzuki"
    assert ws.clock.slept == [2.0, 4.0, 8.0]


def test_consistency_deadline_turns_into_a_failure() -> None:
    ws = FakeWorkspace(incomplete_seconds=10_000.0)
    ws.org_units.add(OU)
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    results = run(ws, create("aiko@a.example"), assign("aiko@a.example", role), deadline=60.0)
    assert outcomes(results) == ["done", "failed"]
    assert "not complete" in results[1].detail
    assert sum(ws.clock.slept) == pytest.approx(60.0)


def test_cap_and_subscription_failures_carry_their_finding() -> None:
    ws = FakeWorkspace(cap=0)
    ws.org_units.add(OU)
    [capped] = run(ws, create("aiko@a.example"))
    assert capped.outcome is Outcome.FAILED
    assert capped.finding is FindingKind.CI_FREE_CAP_REACHED
    assert "Domain user limit exceeded" in capped.detail

    unsubscribed = FakeWorkspace(subscribed=False)
    unsubscribed.add_user("own@a.example")
    [license_] = run(unsubscribed, EnsureLicense("acct", "p1", "own@a.example"))
    assert license_.finding is FindingKind.CI_FREE_NOT_SUBSCRIBED


def test_unresolvable_privileges_fail_the_role_and_skip_its_assignments() -> None:
    ws = FakeWorkspace()
    ws.org_units.add(OU)
    results = run(
        ws,
        CreateCustomRole("acct", ROLE, ("VIEW_CUSTOMERS", "NO_SUCH_PRIVILEGE")),
        create("aiko@a.example"),
        assign("aiko@a.example"),
    )
    assert outcomes(results) == ["failed", "done", "skipped"]
    assert results[0].finding is FindingKind.PRIVILEGES_UNRESOLVABLE
    assert "NO_SUCH_PRIVILEGE" in results[0].detail


def test_existing_custom_role_is_found_by_name_after_409() -> None:
    ws = FakeWorkspace()
    role = ws.add_role(ROLE, ["VIEW_CUSTOMERS"])
    uid = ws.add_user("own@a.example")
    results = run(ws, CreateCustomRole("acct", ROLE, ("VIEW_CUSTOMERS",)), assign("own@a.example"))
    assert outcomes(results) == ["already", "done"]
    assert {(a.role_id, a.user_id) for a in ws.assignments.values()} == {(role, uid)}


def test_assign_role_looks_up_an_existing_users_id() -> None:
    ws = FakeWorkspace()
    uid = ws.add_user("own@a.example")
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    results = run(ws, assign("own@a.example", role), assign("nobody@a.example", role))
    assert outcomes(results) == ["done", "failed"]
    assert results[0].user_id == uid
    assert "Resource Not Found" in results[1].detail


def test_409_on_assignment_and_404_on_revoke_are_already_done() -> None:
    ws = FakeWorkspace()
    uid = ws.add_user("own@a.example", managed=True)
    role = ws.role_id("_RESELLER_ADMIN_ROLE")
    run(ws, assign("own@a.example", role, uid))
    results = run(
        ws,
        assign("own@a.example", role, uid),
        SuspendUser("acct", "p1", "own@a.example", uid),
        RevokeRole("acct", "p1", "own@a.example", uid, "no-such-assignment"),
    )
    assert outcomes(results) == ["already", "done", "already"]
    assert ws.users["own@a.example"].suspended


def test_spurious_409_on_update_and_permanent_errors() -> None:
    ws = FakeWorkspace()
    uid = ws.add_user("own@a.example", managed=True)
    ws.fail("update_user", AlreadyExistsError("Entity already exists.", 409, "duplicate"))
    ws.fail("create_org_unit", PermanentError("Invalid Ou Id", 400, "invalid"))
    results = run(
        ws,
        UpdateUserName("acct", "p1", "own@a.example", uid, "New", "Name"),
        CreateOrgUnit("acct", OU),
    )
    assert outcomes(results) == ["already", "failed"]
    assert results[1].detail == "Invalid Ou Id"
    assert results[1].finding is FindingKind.ACTION_FAILED


def test_passwords_reach_google_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    ws = FakeWorkspace(cap=1)
    ws.org_units.add(OU)
    created: list[str] = []
    plan = Plan("acct", (create("a@a.example", "p1"), create("b@a.example", "p2")))
    passwords = iter(["First-Secret-1!", "Second-Secret-2!"])
    results = apply_plan(
        plan,
        ws,
        FakeClock(),
        lambda: next(passwords),
        on_created=lambda action: created.append(action.email),
    )
    assert outcomes(results) == ["done", "failed"]
    assert ws.passwords_seen == ["First-Secret-1!", "Second-Secret-2!"]
    assert created == ["a@a.example"]  # only for the account actually created, and without its password
    text = caplog.text + repr(results)
    assert "Secret" not in text


def test_random_passwords_are_strong_and_distinct() -> None:
    made = {random_password() for _ in range(50)}
    assert len(made) == 50
    for password in made:
        assert len(password) == 20
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
