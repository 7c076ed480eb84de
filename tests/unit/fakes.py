"""In-memory stand-ins for the core's ports: a `FakeWorkspace` tenant and a `FakeClock` that never sleeps.

The fake answers the way the Google adapter does (ids, 409s as AlreadyExistsError, consistency windows as
NotYetConsistentError / NotFoundError), counts its calls, and can be told to fail a method a few times.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from portalsync.actions import CreateUser
from portalsync.errors import (
    AlreadyExistsError,
    CapReachedError,
    NotFoundError,
    NotSubscribedError,
    NotYetConsistentError,
    WorkspaceError,
)
from portalsync.model import ResellerAccount, Settings
from portalsync.observed import ObservedAccount, ObservedAssignment, ObservedRole, ObservedUser, Subscription
from portalsync.ports import Privilege

T = TypeVar("T")

PRIVILEGES = (
    Privilege("03hv69ve4bjwe54", "VIEW_CUSTOMERS"),
    Privilege("03hv69ve4bjwe54", "ACCESS_CUSTOMER_SUPPORT_CASES"),
    Privilege("00haapch16h1ysv", "USERS_ALL"),
)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []

    def now_iso(self) -> str:
        return f"2026-01-01T00:00:{int(self.now) % 60:02d}Z"

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class FakeUser:
    id: str
    email: str
    given_name: str
    family_name: str
    org_unit_path: str
    managed: bool
    suspended: bool = False
    person_id: str | None = None
    created_at: float = 0.0


@dataclass
class FakeWorkspace:
    """One tenant. `incomplete_seconds` / `get_lag_seconds` are the consistency windows after a create."""

    clock: FakeClock = field(default_factory=FakeClock)
    customer_id: str = "C01aaaaaa"
    org_units: set[str] = field(default_factory=lambda: {"/"})
    roles: dict[str, ObservedRole] = field(default_factory=dict)
    users: dict[str, FakeUser] = field(default_factory=dict)  # by lower-case e-mail
    assignments: dict[str, ObservedAssignment] = field(default_factory=dict)
    ci_free_holders: set[str] = field(default_factory=set)
    paid_holders: set[str] = field(default_factory=set)
    subscribed: bool = True
    cap: int = 50
    incomplete_seconds: float = 0.0
    get_lag_seconds: float = 0.0
    privilege_list: tuple[Privilege, ...] = PRIVILEGES
    failures: dict[str, list[WorkspaceError]] = field(default_factory=dict)  # method -> errors to raise
    calls: list[str] = field(default_factory=list)
    passwords_seen: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100))

    def __post_init__(self) -> None:
        for name in ("_RESELLER_ADMIN_ROLE", "_SEED_ADMIN_ROLE"):
            self.add_role(name, system=True)

    # --- set-up helpers ---------------------------------------------------------------------------------

    def next_id(self) -> str:
        return str(next(self._ids))

    def add_role(self, name: str, privileges: Sequence[str] = (), system: bool = False) -> str:
        role_id = self.next_id()
        self.roles[role_id] = ObservedRole(role_id, name, frozenset(privileges), system)
        return role_id

    def add_user(
        self, email: str, *, managed: bool = False, ou: str = "/", person_id: str | None = None
    ) -> str:
        user = FakeUser(self.next_id(), email.lower(), "Given", "Family", ou, managed, person_id=person_id)
        user.created_at = self.clock.now - 10_000
        self.users[user.email] = user
        self.ci_free_holders.add(user.email)
        return user.id

    def fail(self, method: str, *errors: WorkspaceError) -> None:
        self.failures.setdefault(method, []).extend(errors)

    def role_id(self, name: str) -> str:
        return next(r.role_id for r in self.roles.values() if r.name == name)

    # --- the port --------------------------------------------------------------------------------------

    @property
    def api_calls(self) -> int:
        return len(self.calls)

    def _call(self, method: str) -> None:
        self.calls.append(method)
        queued = self.failures.get(method)
        if queued:
            raise queued.pop(0)

    def _within(self, user: FakeUser, seconds: float) -> bool:
        return self.clock.now - user.created_at < seconds

    def _by_id(self, user_id: str) -> FakeUser:
        found = next((u for u in self.users.values() if u.id == user_id), None)
        if found is None or self._within(found, self.get_lag_seconds):
            raise NotFoundError("Resource Not Found: userKey", 404, "notFound")
        if self._within(found, self.incomplete_seconds):
            raise NotYetConsistentError("User creation is not complete.", 412, "conditionNotMet")
        return found

    def _observed(self, user: FakeUser) -> ObservedUser:
        return ObservedUser(
            user.id,
            user.email,
            user.given_name,
            user.family_name,
            user.org_unit_path,
            user.suspended,
            user.managed,
            user.person_id if user.managed else None,
        )

    def observe(
        self,
        account: ResellerAccount,
        settings: Settings,
        known_ids: Mapping[str, str],
        *,
        check_paid_licenses: bool = False,
    ) -> ObservedAccount:
        self._call("observe")
        if check_paid_licenses:
            self.calls.append("list_paid_licenses")
        in_ou = {e: self._observed(u) for e, u in self.users.items() if u.org_unit_path == account.ou_path}
        return ObservedAccount(
            account_id=account.account_id,
            customer_id=self.customer_id,
            ou_exists=account.ou_path in self.org_units,
            users=in_ou,
            roles=tuple(self.roles.values()),
            assignments=tuple(self.assignments.values()),
            ci_free=Subscription.SUBSCRIBED if self.subscribed else Subscription.NOT_SUBSCRIBED,
            ci_free_holders=frozenset(self.ci_free_holders),
            paid_license_holders=frozenset(self.paid_holders & set(in_ou))
            if check_paid_licenses
            else frozenset(),
            known_ids=dict(known_ids),
        )

    def get_user(self, email: str) -> ObservedUser | None:
        self._call("get_user")
        user = self.users.get(email.lower())
        if user is None or self._within(user, self.get_lag_seconds):
            return None
        return self._observed(user)

    def create_org_unit(self, path: str) -> None:
        self._call("create_org_unit")
        if path in self.org_units:
            raise AlreadyExistsError("Entity already exists.", 409, "duplicate")
        self.org_units.add(path)

    def privileges(self) -> list[Privilege]:
        self._call("privileges")
        return list(self.privilege_list)

    def find_role(self, name: str) -> str | None:
        self._call("find_role")
        return next((r.role_id for r in self.roles.values() if r.name == name), None)

    def create_role(self, name: str, privileges: Sequence[Privilege]) -> str:
        self._call("create_role")
        if any(r.name == name for r in self.roles.values()):
            raise AlreadyExistsError("Entity already exists.", 409, "duplicate")
        return self.add_role(name, [p.name for p in privileges])

    def _insert_user(self, action: CreateUser, password: str) -> str:
        self._call("insert_user")
        self.passwords_seen.append(password)
        if action.email.lower() in self.users:
            raise AlreadyExistsError("Entity already exists.", 409, "duplicate")
        if self.subscribed and len(self.ci_free_holders) >= self.cap:
            raise CapReachedError("Domain user limit exceeded.", 412, "conditionNotMet")
        user = FakeUser(
            self.next_id(),
            action.email.lower(),
            action.given_name,
            action.family_name,
            action.ou_path,
            managed=True,
            person_id=action.person_id,
            created_at=self.clock.now,
        )
        self.users[user.email] = user
        if self.subscribed:
            self.ci_free_holders.add(user.email)
        return user.id

    def insert_users(self, users: Sequence[tuple[CreateUser, str]]) -> list[str | WorkspaceError]:
        return [_attempt(functools.partial(self._insert_user, a, p)) for a, p in users]

    def update_user(self, user_key: str, patch: Mapping[str, object]) -> None:
        self._call("update_user")
        by_email = self.users.get(user_key.lower())  # Google takes the address as a user key too
        user = self._by_id(by_email.id if by_email else user_key)
        if "password" in patch:
            self.passwords_seen.append(str(patch["password"]))
        if "suspended" in patch:
            user.suspended = bool(patch["suspended"])
        name = patch.get("name")
        if isinstance(name, dict):
            user.given_name = str(name.get("givenName", user.given_name))
            user.family_name = str(name.get("familyName", user.family_name))

    def _insert_license(self, email: str) -> None:
        self._call("insert_license")
        if not self.subscribed:
            raise NotSubscribedError("Unauthorized operation for the given domain.", 403, "forbidden")
        user = self.users.get(email.lower())
        if user is None:
            raise NotFoundError(f"Invalid userId: {email}", 400, "invalid")
        self._by_id(user.id)
        if user.email in self.ci_free_holders:
            raise AlreadyExistsError("User already has a license for the specified product and SKU", 412)
        self.ci_free_holders.add(user.email)

    def insert_licenses(self, emails: Sequence[str]) -> list[WorkspaceError | None]:
        return [_attempt(functools.partial(self._insert_license, e)) for e in emails]

    def _assign(self, role_id: str, user_id: str) -> None:
        self._call("assign_role")
        self._by_id(user_id)
        if any((a.role_id, a.user_id) == (role_id, user_id) for a in self.assignments.values()):
            raise AlreadyExistsError("Entity already exists.", 409, "duplicate")
        assignment_id = self.next_id()
        self.assignments[assignment_id] = ObservedAssignment(assignment_id, role_id, user_id, "CUSTOMER")

    def assign_roles(self, pairs: Sequence[tuple[str, str]]) -> list[WorkspaceError | None]:
        return [_attempt(functools.partial(self._assign, *p)) for p in pairs]

    def update_users(
        self, updates: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WorkspaceError | None]:
        return [_attempt(functools.partial(self.update_user, *u)) for u in updates]

    def revoke_roles(self, assignment_ids: Sequence[str]) -> list[WorkspaceError | None]:
        return [_attempt(functools.partial(self.revoke_role, i)) for i in assignment_ids]

    def revoke_role(self, assignment_id: str) -> None:
        self._call("revoke_role")
        if self.assignments.pop(assignment_id, None) is None:
            raise NotFoundError("Resource Not Found: roleAssignmentId", 404, "notFound")


def _attempt(func: Callable[[], T]) -> T | WorkspaceError:
    try:
        return func()
    except WorkspaceError as error:
        return error
