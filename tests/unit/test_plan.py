"""plan_account: desired × observed → ordered actions and findings, with plain data."""

from __future__ import annotations

import random
from typing import Any

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
    ReactivateUser,
    RevokeRole,
    SuspendUser,
    UpdateUserName,
)
from portalsync.model import RoleSpec, Settings
from portalsync.observed import ObservedRole, Subscription
from portalsync.plan import UnreadInput, plan_account
from portalsync.ports import Approval
from portalsync.roles import accepted_roles, resolve_role
from tests.unit.builders import (
    HELP_DESK_ROLE,
    LEGACY_ROLE,
    OU,
    RESELLER_ROLE,
    SETTINGS,
    SYSTEM_ROLES,
    account,
    converged,
    desired,
    holds,
    observed,
    user,
)

ACME = account("acme", ["a.example", "a2.example"])
CUSTOM = account("acme", ["a.example", "a2.example"], role=RoleSpec(kind="custom", custom_role_name="CCP"))
CCP_ROLE = ObservedRole("r-ccp", "CCP", frozenset({"VIEW_CUSTOMERS", "ACCESS_CUSTOMER_SUPPORT_CASES"}), False)
TARO, HANAKO = desired("taro@a.example"), desired("hanako@a.example", "p2")
OWN = desired("jiro@a2.example", "p3", own=True)


def steps(plan: Plan) -> list[tuple[str, str]]:
    """(action, address or path) in plan order: what tests compare."""
    out = []
    for a in plan.actions:
        target = (
            a.path
            if isinstance(a, CreateOrgUnit)
            else a.role_name
            if isinstance(a, CreateCustomRole)
            else a.email
        )
        out.append((type(a).__name__, target))
    return out


def kinds(plan: Plan) -> list[FindingKind]:
    return [f.kind for f in plan.findings]


def touches(actions: tuple[Action, ...], email: str) -> bool:
    return any(getattr(a, "email", None) == email for a in actions)


@pytest.mark.parametrize(
    ("acct", "extra"),
    [
        (ACME, {}),
        (CUSTOM, {"role": CCP_ROLE, "roles": (RESELLER_ROLE, LEGACY_ROLE, CCP_ROLE)}),
        (ACME, {"ci_free": Subscription.UNKNOWN}),
        (ACME, {"role": LEGACY_ROLE}),
    ],
)
def test_converged_tenant_plans_nothing(acct: Any, extra: dict[str, Any]) -> None:
    wanted = [TARO, HANAKO, OWN]
    plan = plan_account(acct, wanted, converged(wanted, **extra), SETTINGS)
    assert plan.actions == ()
    assert plan.is_noop
    assert plan.findings == ()
    assert not plan.quarantined


def test_empty_tenant_gets_the_full_plan_in_order() -> None:
    plan = plan_account(
        CUSTOM, [OWN, TARO, HANAKO], observed(ou_exists=False, roles=(RESELLER_ROLE,)), SETTINGS
    )
    assert steps(plan) == [
        ("CreateOrgUnit", OU),
        ("CreateCustomRole", "CCP"),
        ("CreateUser", "hanako@a.example"),
        ("CreateUser", "taro@a.example"),
        ("AssignRole", "hanako@a.example"),
        ("AssignRole", "jiro@a2.example"),
        ("AssignRole", "taro@a.example"),
    ]
    assert plan.actions[1] == CreateCustomRole(
        "acme", "CCP", ("VIEW_CUSTOMERS", "ACCESS_CUSTOMER_SUPPORT_CASES")
    )
    assert plan.actions[3] == CreateUser(
        "acme", "p1", "a.example", "taro@a.example", "Taro", "Yamada", "p1@home.example", OU, "taro"
    )
    assigns = [a for a in plan.actions if isinstance(a, AssignRole)]
    assert {(a.user_id, a.role_id, a.role_name) for a in assigns} == {(None, None, "CCP")}
    assert plan.findings == ()


def test_every_phase_comes_in_order() -> None:
    old = user("old@a.example")
    back = user("taro@a.example", suspended=True, given="T", family="Y")
    seen = observed([old, back], [holds(old)], ou_exists=False, ci_free_holders=[])
    plan = plan_account(ACME, [TARO, HANAKO], seen, SETTINGS)
    assert [type(a) for a in plan.actions] == [
        CreateOrgUnit, CreateUser, ReactivateUser, UpdateUserName, EnsureLicense, AssignRole, AssignRole,
        RevokeRole, SuspendUser,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("users", "known_ids", "assignments", "expected_user_id"),
    [
        ([user("jiro@a2.example", "u9", managed=False)], {}, [], "u9"),
        ([], {"jiro@a2.example": "u7"}, [], "u7"),
        ([], {}, [], None),  # apply looks it up
        ([user("jiro@a2.example", "u9", managed=False)], {}, ["r-reseller"], "nothing"),
        ([], {"jiro@a2.example": "u7"}, ["r-legacy"], "nothing"),
    ],
)
def test_own_account_only_ever_gets_the_role(
    users: list[Any], known_ids: dict[str, str], assignments: list[str], expected_user_id: str | None
) -> None:
    uid = users[0].id if users else known_ids.get("jiro@a2.example", "none")
    roles = {"r-reseller": RESELLER_ROLE, "r-legacy": LEGACY_ROLE}
    held = [holds(user("jiro@a2.example", uid), roles[r]) for r in assignments]
    seen = observed(users, held, known_ids=known_ids, ci_free_holders=[], paid=["jiro@a2.example"])
    plan = plan_account(ACME, [OWN], seen, SETTINGS)
    if expected_user_id == "nothing":
        assert plan.actions == ()
    else:
        assert plan.actions == (
            AssignRole(
                "acme", "p3", "jiro@a2.example", expected_user_id, "r-reseller", "_RESELLER_ADMIN_ROLE"
            ),
        )
    assert plan.findings == ()  # an own account is not a conflict and its paid license is its own business


@pytest.mark.parametrize(
    ("seen", "template", "suggestion"),
    [
        (observed([user("taro@a.example", managed=False)]), "{username}", "taro.ccp"),
        (
            observed([user("taro@a.example", managed=False), user("taro.ccp@a.example")]),
            "{username}",
            "taro2",
        ),
        (observed(conflicts=["taro@a.example"]), "{username}", "taro.ccp"),
        (
            observed(conflicts=["taro@a.example", "taro.ccp@a.example", "taro2@a.example"]),
            "{username}",
            "taro3",
        ),
        (observed(conflicts=["taro-cs@a.example"]), "{username}-cs", "taro.ccp"),
    ],
)
def test_unmanaged_account_at_the_address_is_untouched_and_an_override_suggested(
    seen: Any, template: str, suggestion: str
) -> None:
    d = desired(next(iter(seen.users)) if seen.users else min(seen.conflicts), username="taro")
    plan = plan_account(ACME, [d], seen, Settings(naming_template=template))
    assert not touches(plan.actions, d.email)
    assert not touches(plan.held_removals, d.email)
    assert kinds(plan) == [FindingKind.ACCOUNT_CONFLICT]
    f = plan.findings[0]
    assert (f.suggestion, f.person_id, f.email, f.domain) == (suggestion, "p1", d.email, "a.example")
    assert f'username_overrides["a.example"] = "{suggestion}"' in f.detail


@pytest.mark.parametrize("suspended", [True, False])
def test_a_managed_account_of_another_person_is_a_conflict_never_reactivated(suspended: bool) -> None:
    leaver = user("taro@a.example", "u1", suspended=suspended, given="Old", person_id="p-left")
    newcomer = desired("taro@a.example", "p-new", username="taro")
    plan = plan_account(ACME, [newcomer], observed([leaver], [holds(leaver)]), SETTINGS)
    assert not any(isinstance(a, ReactivateUser | UpdateUserName | AssignRole) for a in plan.actions)
    # the leaver's account is removed as usual, in the leaver's name
    assert plan.actions == (
        RevokeRole("acme", "p-left", "taro@a.example", "u1", "as-u1-r-reseller"),
        *([] if suspended else [SuspendUser("acme", "p-left", "taro@a.example", "u1")]),
    )
    assert kinds(plan) == [FindingKind.ACCOUNT_CONFLICT]
    f = plan.findings[0]
    assert (f.person_id, f.suggestion) == ("p-new", "taro.ccp")
    assert "made for p-left" in f.detail


def test_suspended_managed_user_back_on_the_roster_is_reactivated() -> None:
    back = user("taro@a.example", "u1", suspended=True, person_id="p1")
    plan = plan_account(ACME, [TARO], observed([back], [holds(back)]), SETTINGS)
    assert plan.actions == (ReactivateUser("acme", "p1", "taro@a.example", "u1"),)


def test_renamed_person_gets_japanese_names_and_a_missing_license() -> None:
    d = desired("hanako@a.example", "p2", given_name="花子", family_name="佐藤")
    old = user("hanako@a.example", "u2", given="Hanako", family="Sato")
    plan = plan_account(ACME, [d], observed([old], [holds(old)], ci_free_holders=[]), SETTINGS)
    assert plan.actions == (
        UpdateUserName("acme", "p2", "hanako@a.example", "u2", "花子", "佐藤"),
        EnsureLicense("acme", "p2", "hanako@a.example"),
    )
    created = plan_account(ACME, [d], observed(), SETTINGS).actions[0]
    assert isinstance(created, CreateUser)
    assert (created.given_name, created.family_name) == ("花子", "佐藤")


def test_removed_person_is_suspended_and_revoked_never_an_unmanaged_or_legacy_one() -> None:
    gone = user("gone@a.example", "u1", person_id="p-gone")
    gone_earlier = user("earlier@a.example", "u2", suspended=True)  # suspended before, role left over
    stranger = user("stranger@a.example", "u3", managed=False)
    legacy = user("legacy@a.example", "u4")
    elsewhere = user("moved@a.example", "u5", ou="/Sales")
    below = user("below@a.example", "u6", ou=OU + "/Tokyo")
    users = [gone, gone_earlier, stranger, legacy, elsewhere, below]
    assignments = [
        holds(gone),
        holds(gone, LEGACY_ROLE),
        holds(gone_earlier),
        holds(stranger),
        holds(legacy, LEGACY_ROLE),
    ]
    plan = plan_account(ACME, [], observed(users, assignments), Settings(guard_max_count=10))
    assert plan.actions == (
        RevokeRole("acme", None, "earlier@a.example", "u2", "as-u2-r-reseller"),
        RevokeRole("acme", "p-gone", "gone@a.example", "u1", "as-u1-r-reseller"),
        SuspendUser("acme", None, "below@a.example", "u6"),
        SuspendUser("acme", "p-gone", "gone@a.example", "u1"),
        SuspendUser("acme", None, "legacy@a.example", "u4"),
    )
    assert not plan.quarantined


def _removing(n_removed: int, n_kept: int) -> tuple[list[Any], Any]:
    kept = [desired(f"keep{i}@a.example") for i in range(n_kept)]
    gone = [user(f"gone{i}@a.example") for i in range(n_removed)]
    return kept, converged(kept, users=gone, assignments=[holds(u) for u in gone])


@pytest.mark.parametrize(
    ("removed", "kept", "count", "percent", "held"),
    [
        (2, 8, 2, 0.0, False),  # count: at the limit
        (3, 7, 2, 0.0, True),  # count: one over
        (3, 7, 0, 25.0, False),  # percent: ceil(25% of 10) = 3
        (4, 6, 0, 25.0, True),
        (7, 93, 0, 7.0, False),  # 7% of 100 is 7, not 7.000000000000001 rounded up to 8
        (8, 92, 0, 7.0, True),
        (5, 5, 5, 20.0, False),  # defaults: max(5, 2)
        (6, 4, 5, 20.0, True),
        (30, 70, 5, 20.0, True),  # max(5, 20) = 20
        (20, 80, 5, 20.0, False),
    ],
)
def test_mass_removal_guard_trips_above_count_and_percent(
    removed: int, kept: int, count: int, percent: float, held: bool
) -> None:
    wanted, seen = _removing(removed, kept)
    plan = plan_account(ACME, wanted, seen, Settings(guard_max_count=count, guard_max_percent=percent))
    suspended = [a for a in (*plan.actions, *plan.held_removals) if isinstance(a, SuspendUser)]
    assert len(suspended) == removed
    assert plan.quarantined is held
    if held:
        assert not any(isinstance(a, SuspendUser | RevokeRole) for a in plan.actions)
        assert len(plan.held_removals) == 2 * removed
        assert kinds(plan) == [FindingKind.REMOVAL_GUARD]
        assert f"max_removals >= {removed}" in plan.findings[0].detail
    else:
        assert plan.held_removals == ()
        assert plan.findings == ()


def test_the_guard_percent_is_of_active_accounts_only() -> None:
    wanted, seen = _removing(4, 6)
    settings = Settings(guard_max_count=0, guard_max_percent=25.0)
    assert plan_account(ACME, wanted, seen, settings).quarantined  # 4 > ceil(25% of 10)
    old = [user(f"old{i}@a.example", suspended=True) for i in range(90)]  # suspended over the years
    more = observed([*seen.users.values(), *old], seen.assignments)
    assert plan_account(ACME, wanted, more, settings).quarantined  # still 25% of the 10 active, not of 100


@pytest.mark.parametrize(
    ("approval", "passes"),
    [
        (Approval("acme", 6, "boss@a.example"), True),
        (Approval("acme", 60, "boss@a.example"), True),
        (Approval("acme", 5, "boss@a.example"), False),
        (Approval("other", 60, "boss@a.example"), False),
        (None, False),
    ],
)
def test_an_approval_for_at_least_that_many_lets_the_removal_through(approval: Any, passes: bool) -> None:
    wanted, seen = _removing(6, 4)
    plan = plan_account(ACME, wanted, seen, SETTINGS, approval)
    assert plan.quarantined is not passes
    assert sum(isinstance(a, SuspendUser) for a in plan.actions) == (6 if passes else 0)


def test_removals_unread_input_may_explain_are_held_apart_from_the_guard() -> None:
    wanted, seen = _removing(6, 4)
    unread = UnreadInput(
        people={"p-gone0": "people/p-gone0 is invalid (x: y)"},
        owners={"gone0@a.example": "p-gone0", "gone1@a.example": "p-gone1"},
    )
    plan = plan_account(ACME, wanted, seen, Settings(guard_max_count=5), unread=unread)
    assert not plan.quarantined  # five removals are within the limit once the doubtful one is held
    assert not touches(plan.actions, "gone0@a.example")
    assert sum(isinstance(a, SuspendUser) for a in plan.actions) == 5
    assert [type(a) for a in plan.held_removals] == [RevokeRole, SuspendUser]
    assert kinds(plan) == [FindingKind.INVALID_INPUT]
    f = plan.findings[0]
    assert (f.email, f.person_id, f.domain) == ("gone0@a.example", "p-gone0", "a.example")
    assert "people/p-gone0 is invalid" in f.detail

    everyone = plan_account(ACME, wanted, seen, SETTINGS, unread=UnreadInput(everyone="settings/global"))
    assert not any(isinstance(a, SuspendUser | RevokeRole) for a in everyone.actions)
    assert len(everyone.held_removals) == 12
    assert not everyone.quarantined


def test_an_own_account_no_longer_wanted_only_loses_the_role_portalsync_gave_it() -> None:
    own = user("jiro@a2.example", "u9", managed=False)
    other = user("ken@a2.example", "u8", managed=False)
    seen = observed(
        [own, other],
        [holds(own), holds(own, LEGACY_ROLE), holds(other)],
        own_grants={"jiro@a2.example": "u9"},
    )
    plan = plan_account(ACME, [], seen, SETTINGS)
    assert plan.actions == (RevokeRole("acme", None, "jiro@a2.example", "u9", "as-u9-r-reseller"),)
    assert plan_account(ACME, [OWN], seen, SETTINGS).actions == ()  # still wanted: kept

    guarded = plan_account(ACME, [], seen, Settings(guard_max_count=0))
    assert guarded.quarantined
    assert guarded.held_removals == plan.actions


def test_legacy_role_satisfies_and_is_never_revoked() -> None:
    old_hand = user("taro@a.example")
    plan = plan_account(ACME, [TARO], observed([old_hand], [holds(old_hand, LEGACY_ROLE)]), SETTINGS)
    assert plan.actions == ()


def test_custom_role_lacking_a_privilege_is_reported_and_still_assigned() -> None:
    weak = ObservedRole("r-ccp", "CCP", frozenset({"VIEW_CUSTOMERS"}), False)
    plan = plan_account(CUSTOM, [TARO], observed([user("taro@a.example", "u1")], roles=(weak,)), SETTINGS)
    assert plan.actions == (AssignRole("acme", "p1", "taro@a.example", "u1", "r-ccp", "CCP"),)
    assert kinds(plan) == [FindingKind.PRIVILEGES_UNRESOLVABLE]
    assert "ACCESS_CUSTOMER_SUPPORT_CASES" in plan.findings[0].detail


def test_custom_role_is_created_with_the_configured_privilege_names() -> None:
    settings = Settings(view_customers_privilege="VIEW", support_cases_privilege="CASES")
    plan = plan_account(CUSTOM, [], observed(), settings)
    assert plan.actions == (CreateCustomRole("acme", "CCP", ("VIEW", "CASES")),)


@pytest.mark.parametrize(
    ("roles", "role_id"),
    [
        ((HELP_DESK_ROLE, ObservedRole("r-x", "_RESELLER_SUPPORT_ROLE", frozenset(), True)), "r-x"),
        ((HELP_DESK_ROLE, ObservedRole("r-x", "_RESELLER_SUPPORT_ROLE", frozenset(), False)), None),
        ((HELP_DESK_ROLE, LEGACY_ROLE), None),
    ],
)
def test_reseller_admin_role_fallback_and_unresolvable(roles: Any, role_id: str | None) -> None:
    gone, kept = user("gone@a.example"), user("taro@a.example")
    seen = observed([gone, kept], [holds(gone, roles[-1])], roles=roles)
    plan = plan_account(ACME, [TARO, HANAKO], seen, SETTINGS)
    assigns = [a for a in plan.actions if isinstance(a, AssignRole)]
    if role_id is None:
        assert kinds(plan) == [FindingKind.ROLE_UNRESOLVABLE]
        assert assigns == []
        assert not any(isinstance(a, RevokeRole) for a in plan.actions)
        assert steps(plan) == [("CreateUser", "hanako@a.example"), ("SuspendUser", "gone@a.example")]
    else:
        assert plan.findings == ()
        assert {a.role_id for a in assigns} == {role_id}
        assert any(isinstance(a, RevokeRole) for a in plan.actions)


RESELLER_FALLBACK = ObservedRole("r-x", "_RESELLER_X", frozenset(), True)


@pytest.mark.parametrize(
    ("reseller", "roles", "accepted"),
    [
        (ACME, SYSTEM_ROLES, {"r-reseller", "r-legacy"}),
        (
            ACME,
            (HELP_DESK_ROLE, LEGACY_ROLE, ObservedRole("r-x", "_RESELLER_X", frozenset(), True)),
            {"r-legacy", "r-x"},
        ),
        (ACME, (HELP_DESK_ROLE, LEGACY_ROLE), {"r-legacy"}),
        (CUSTOM, (*SYSTEM_ROLES, ObservedRole("r-ccp", "CCP", frozenset(), False)), {"r-ccp", "r-legacy"}),
        (CUSTOM, SYSTEM_ROLES, {"r-legacy"}),
    ],
)
def test_accepted_roles_are_the_target_the_planner_picks_and_the_legacy_roles(
    reseller: Any, roles: Any, accepted: set[str]
) -> None:
    """The adapter lists assignments of exactly these roles: the planner's target, fallback included."""
    assert {r.role_id for r in accepted_roles(reseller, roles, SETTINGS)} == accepted
    target, _, _ = resolve_role(reseller, observed(roles=roles), SETTINGS)
    assert target is None or target.role_id is None or target.role_id in accepted


def test_not_subscribed_creates_nobody_but_existing_accounts_still_get_the_role() -> None:
    there = user("taro@a.example", "u1")
    seen = observed([there], ci_free=Subscription.NOT_SUBSCRIBED, ci_free_holders=[])
    plan = plan_account(ACME, [TARO, HANAKO, OWN], seen, SETTINGS)
    assert steps(plan) == [("AssignRole", "jiro@a2.example"), ("AssignRole", "taro@a.example")]
    assert kinds(plan) == [FindingKind.CI_FREE_NOT_SUBSCRIBED]
    assert "hanako@a.example" in plan.findings[0].detail


def test_paid_license_on_a_managed_account_is_reported() -> None:
    mine, stranger = user("taro@a.example"), user("boss@a.example", managed=False)
    seen = observed([mine, stranger], [holds(mine)], paid=["taro@a.example", "boss@a.example"])
    plan = plan_account(ACME, [TARO], seen, SETTINGS)
    assert plan.actions == ()
    assert kinds(plan) == [FindingKind.PAID_LICENSE_ASSIGNED]
    assert "taro@a.example" in plan.findings[0].detail
    assert "boss@a.example" not in plan.findings[0].detail


def test_other_accounts_desired_are_ignored_and_a_disabled_account_is_left_alone() -> None:
    elsewhere = desired("taro@b.example", account_id="beta")
    assert plan_account(ACME, [elsewhere], observed(), SETTINGS).actions == ()
    gone = user("gone@a.example")
    off = account("acme", ["a.example"], enabled=False)
    assert plan_account(off, [TARO], observed([gone], ou_exists=False), SETTINGS).is_noop


def test_plan_does_not_depend_on_input_order() -> None:
    wanted = [desired(f"user{i}@a.example", f"p{i}") for i in range(40)] + [OWN]
    present = [user(f"user{i}@a.example", suspended=i % 3 == 0) for i in range(0, 40, 2)]
    seen = observed([*present, user("gone@a.example")], ci_free_holders=[])
    first = plan_account(ACME, wanted, seen, SETTINGS)
    shuffled = wanted[:]
    random.Random(7).shuffle(shuffled)
    assert plan_account(ACME, shuffled, seen, SETTINGS) == first
    assert len(first.actions) > 40
