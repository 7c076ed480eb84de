"""What portalsync saw in one reseller account's tenant: the input the planner compares with desired state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


@dataclass(frozen=True)
class ObservedUser:
    id: str
    email: str  # lower case
    given_name: str
    family_name: str
    org_unit_path: str
    suspended: bool
    managed: bool  # carries portalsync's externalIds mark
    #: the mark's value: whom portalsync made the account for (None when unmanaged or the mark has no value)
    person_id: str | None = None


@dataclass(frozen=True)
class ObservedRole:
    role_id: str
    name: str
    privilege_names: frozenset[str]
    is_system: bool


@dataclass(frozen=True)
class ObservedAssignment:
    assignment_id: str
    role_id: str
    user_id: str
    scope_type: str


class Subscription(StrEnum):
    SUBSCRIBED = "subscribed"
    NOT_SUBSCRIBED = "not_subscribed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ObservedAccount:
    """One customer's tenant as listed: the OU's users, roles, assignments and licenses."""

    account_id: str
    customer_id: str  # the real C... id
    ou_exists: bool
    users: Mapping[str, ObservedUser]  # by lower-case e-mail: the OU's users and any looked up
    roles: tuple[ObservedRole, ...]
    assignments: tuple[ObservedAssignment, ...]  # of the target role and the accepted legacy roles
    ci_free: Subscription
    ci_free_holders: frozenset[str]  # lower-case e-mails holding Cloud Identity Free
    paid_license_holders: frozenset[str]  # lower-case e-mails of OU users holding a paid license
    #: user ids remembered from earlier runs (e-mail -> id), so an own account needs no per-user get
    known_ids: Mapping[str, str] = field(default_factory=dict)
    #: addresses found taken by an account portalsync does not manage (by an earlier run, or by this run's
    #: apply before it re-plans)
    conflicts: frozenset[str] = frozenset()
    #: people's own Workspace accounts portalsync gave the portal role to (e-mail -> user id), from records:
    #: the role is taken back when that account is no longer wanted
    own_grants: Mapping[str, str] = field(default_factory=dict)
