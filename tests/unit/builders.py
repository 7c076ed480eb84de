"""Small builders for plain test data: a reseller account, a person, an observed tenant."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from portalsync.model import DesiredAccount, Person, ResellerAccount, Settings
from portalsync.observed import ObservedAccount, ObservedAssignment, ObservedRole, ObservedUser, Subscription

OU = "/Customer Care Portal"
RESELLER_ROLE = ObservedRole("r-reseller", "_RESELLER_ADMIN_ROLE", frozenset({"MANAGE_RESELLER_TOOLS"}), True)
LEGACY_ROLE = ObservedRole("r-legacy", "_LEGACY_ENTERPRISE_SUPPORT_ROLE", frozenset(), True)
HELP_DESK_ROLE = ObservedRole("r-helpdesk", "_HELP_DESK_ADMIN_ROLE", frozenset({"USERS_RETRIEVE"}), True)
SYSTEM_ROLES = (RESELLER_ROLE, LEGACY_ROLE, HELP_DESK_ROLE)


def account(account_id: str = "acme", domains: Iterable[str] = ("a.example",), **kw: Any) -> ResellerAccount:
    domains = list(domains)
    return ResellerAccount(
        account_id=account_id,
        customer_id=kw.pop("customer_id", "C01aaaaaa"),
        admin_subject=kw.pop("admin_subject", f"admin@{domains[0]}"),
        domains=domains,
        **kw,
    )


def person(person_id: str, email: str, given: str = "Taro", family: str = "Yamada", **kw: Any) -> Person:
    return Person(person_id=person_id, given_name=given, family_name=family, workspace_email=email, **kw)


def desired(
    email: str, person_id: str = "p1", account_id: str = "acme", *, own: bool = False, **kw: Any
) -> DesiredAccount:
    local, domain = email.split("@")
    return DesiredAccount(
        account_id=account_id,
        person_id=person_id,
        domain=domain,
        email=email,
        given_name=kw.pop("given_name", "Taro"),
        family_name=kw.pop("family_name", "Yamada"),
        recovery_email=kw.pop("recovery_email", f"{person_id}@home.example"),
        locale=kw.pop("locale", "en"),
        own_account=own,
        username=None if own else kw.pop("username", local),
    )


def user(
    email: str,
    user_id: str | None = None,
    *,
    managed: bool = True,
    suspended: bool = False,
    given: str = "Taro",
    family: str = "Yamada",
    ou: str = OU,
    person_id: str | None = None,
) -> ObservedUser:
    uid = user_id or f"u-{email}"
    return ObservedUser(uid, email, given, family, ou, suspended, managed, person_id if managed else None)


def holds(user_: ObservedUser, role: ObservedRole = RESELLER_ROLE) -> ObservedAssignment:
    return ObservedAssignment(f"as-{user_.id}-{role.role_id}", role.role_id, user_.id, "CUSTOMER")


def observed(
    users: Iterable[ObservedUser] = (),
    assignments: Iterable[ObservedAssignment] = (),
    *,
    roles: Iterable[ObservedRole] = SYSTEM_ROLES,
    ou_exists: bool = True,
    ci_free: Subscription = Subscription.SUBSCRIBED,
    ci_free_holders: Iterable[str] | None = None,
    paid: Iterable[str] = (),
    known_ids: dict[str, str] | None = None,
    conflicts: Iterable[str] = (),
    own_grants: dict[str, str] | None = None,
    account_id: str = "acme",
) -> ObservedAccount:
    """A tenant; by default every listed managed user holds Cloud Identity Free."""
    users = list(users)
    holders = ci_free_holders if ci_free_holders is not None else (u.email for u in users if u.managed)
    return ObservedAccount(
        account_id=account_id,
        customer_id="C01aaaaaa",
        ou_exists=ou_exists,
        users={u.email: u for u in users},
        roles=tuple(roles),
        assignments=tuple(assignments),
        ci_free=ci_free,
        ci_free_holders=frozenset(holders),
        paid_license_holders=frozenset(paid),
        known_ids=known_ids or {},
        conflicts=frozenset(conflicts),
        own_grants=own_grants or {},
    )


def converged(
    desired_accounts: Iterable[DesiredAccount], role: ObservedRole = RESELLER_ROLE, **kw: Any
) -> ObservedAccount:
    """The tenant as it looks once every desired account exists, is licensed and holds `role`."""
    users = [
        user(
            d.email,
            managed=not d.own_account,
            given=d.given_name,
            family=d.family_name,
            person_id=d.person_id,
        )
        for d in desired_accounts
    ]
    extra_users = list(kw.pop("users", ()))
    extra_assignments = list(kw.pop("assignments", ()))
    return observed(users + extra_users, [holds(u, role) for u in users] + extra_assignments, **kw)


SETTINGS = Settings()
