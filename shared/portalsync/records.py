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


@dataclass(frozen=True)
class ProvisioningRecord:
    """One person on one domain. Compared field by field so that only changed records are written."""

    account_id: str
    person_id: str
    domain: str
    email: str
    status: AccountStatus
    user_id: str | None = None
    own_account: bool = False
    last_action: str | None = None
    last_error: str | None = None
    attempts: int = 0
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
