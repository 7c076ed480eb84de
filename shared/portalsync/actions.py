"""The closed set of changes portalsync makes, and the findings it reports instead of acting.

Actions carry everything apply needs except secrets: an initial password is made at apply time and never
stored, logged or planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class CreateOrgUnit:
    account_id: str
    path: str


@dataclass(frozen=True)
class CreateCustomRole:
    account_id: str
    role_name: str
    privilege_names: tuple[str, ...]


@dataclass(frozen=True)
class CreateUser:
    account_id: str
    person_id: str
    domain: str
    email: str
    given_name: str
    family_name: str
    recovery_email: str
    ou_path: str
    #: the username before the naming template, so a conflict found while applying can suggest an override
    username: str | None = None


@dataclass(frozen=True)
class UpdateUserName:
    account_id: str
    person_id: str
    email: str
    user_id: str
    given_name: str
    family_name: str


@dataclass(frozen=True)
class ReactivateUser:
    account_id: str
    person_id: str
    email: str
    user_id: str


@dataclass(frozen=True)
class EnsureLicense:
    """Cloud Identity Free is a site license: only inserted when the user turned out not to hold it."""

    account_id: str
    person_id: str
    email: str


@dataclass(frozen=True)
class AssignRole:
    account_id: str
    person_id: str
    email: str
    user_id: str | None  # None: created in this run, or not looked up yet; apply resolves it
    role_id: str | None  # None: the custom role is created in this run; apply resolves it by name
    role_name: str


@dataclass(frozen=True)
class SuspendUser:
    account_id: str
    person_id: str | None
    email: str
    user_id: str


@dataclass(frozen=True)
class RevokeRole:
    account_id: str
    person_id: str | None
    email: str
    user_id: str
    assignment_id: str


Action = (
    CreateOrgUnit
    | CreateCustomRole
    | CreateUser
    | UpdateUserName
    | ReactivateUser
    | EnsureLicense
    | AssignRole
    | SuspendUser
    | RevokeRole
)

REMOVALS = (SuspendUser, RevokeRole)


class FindingKind(StrEnum):
    """Conditions portalsync cannot fix through an API; each has console steps in remedies.py."""

    CI_FREE_NOT_SUBSCRIBED = "ci_free_not_subscribed"
    CI_FREE_CAP_REACHED = "ci_free_cap_reached"
    CI_FREE_MISSING = "ci_free_missing"
    PAID_LICENSE_ASSIGNED = "paid_license_assigned"
    ROLE_UNRESOLVABLE = "role_unresolvable"
    PRIVILEGES_UNRESOLVABLE = "privileges_unresolvable"
    ACCOUNT_CONFLICT = "account_conflict"
    REMOVAL_GUARD = "removal_guard"
    INVALID_INPUT = "invalid_input"
    ACTION_FAILED = "action_failed"
    ACCOUNT_UNREACHABLE = "account_unreachable"
    MAIL_UNDELIVERABLE = "mail_undeliverable"
    ROSTER_SOURCE_UNREADABLE = "roster_source_unreadable"
    ROSTER_LEAVERS_BLOCKED = "roster_leavers_blocked"


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    account_id: str
    detail: str
    domain: str | None = None
    person_id: str | None = None
    email: str | None = None
    #: e.g. a suggested username override for a conflict
    suggestion: str | None = None

    @property
    def dedup_key(self) -> str:
        return "/".join(p for p in (self.kind.value, self.account_id, self.domain, self.person_id) if p)


@dataclass(frozen=True)
class Plan:
    account_id: str
    actions: tuple[Action, ...]
    findings: tuple[Finding, ...] = ()
    quarantined: bool = False  # removals held back by the mass-removal guard
    held_removals: tuple[Action, ...] = ()

    @property
    def is_noop(self) -> bool:
        return not self.actions
