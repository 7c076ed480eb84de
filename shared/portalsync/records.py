"""What portalsync remembers per person x domain and per run (stored by the state store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

#: the last action of an own-account record whose portal role portalsync assigned
GRANTED = "AssignRole:done"


class AccountStatus(StrEnum):
    PROVISIONED = "provisioned"  # exists, licensed, has the role
    PENDING = "pending"  # planned or waiting for consistency
    FAILED = "failed"
    CONFLICT = "conflict"  # the address belongs to an account portalsync does not manage
    SUSPENDED = "suspended"  # removed from the roster: suspended, role revoked
    HELD = "held"  # removal held back by the guard


class Wanted(StrEnum):
    ACTIVE = "active"  # on the roster for this domain
    REMOVED = "removed"  # no longer: suspended (portalsync's account) or role revoked (their own)


@dataclass(frozen=True)
class AccountObservation:
    """The account as the run's last observation saw it."""

    exists: bool = False
    suspended: bool = False
    licensed: bool = False
    has_role: bool = False


@dataclass(frozen=True)
class ProvisioningRecord:
    """One person on one domain: desired, observed, the last action and error, attempts, timestamps.

    Compared field by field (all but `updated_at`) so that only changed records are written: every field is a
    function of the tenant and the roster, or changes only when something was attempted, so a converged
    account's record stays as it is.
    """

    account_id: str
    person_id: str
    domain: str
    email: str
    status: AccountStatus
    user_id: str | None = None
    own_account: bool = False
    last_action: str | None = None
    last_error: str | None = None
    attempts: int = 0  # failed runs in a row
    desired: Wanted = Wanted.ACTIVE
    observed: AccountObservation = AccountObservation()
    first_seen_at: str | None = None  # ISO 8601: the run that first wrote this record
    last_attempt_at: str | None = None  # the last run that applied an action to this account
    updated_at: str | None = None  # ISO 8601, set by the service when something changed

    @property
    def key(self) -> str:
        return f"{self.person_id}@{self.domain}"

    @property
    def granted_own_role(self) -> bool:
        """portalsync itself gave the person's own account the portal role (not a role they already held)."""
        return self.own_account and self.last_action == GRANTED

    def same_as(self, other: ProvisioningRecord) -> bool:
        """Equal except for the timestamp: nothing worth a write."""
        return {**vars(self), "updated_at": None} == {**vars(other), "updated_at": None}


@dataclass
class RunRecord:
    run_id: str
    trigger: str  # nightly | account | onboard | cli
    account_id: str | None
    started_at: str
    finished_at: str | None = None
    duration_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)  # "<action>:<outcome>" -> n
    api_calls: int = 0
    quarantined: bool = False
    findings: int = 0
    error: str | None = None
