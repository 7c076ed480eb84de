"""The ports the core needs; adapters implement them and tests use small in-memory fakes of them.

Nothing here imports Google, Firestore or network code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from portalsync.actions import CreateUser, Finding
from portalsync.alerts import Scope
from portalsync.errors import WorkspaceError
from portalsync.mail.message import MailMessage
from portalsync.model import Person, ResellerAccount, Settings
from portalsync.observed import ObservedAccount, ObservedUser
from portalsync.records import ProvisioningRecord, RunRecord


@dataclass(frozen=True)
class Privilege:
    service_id: str
    name: str


class Workspace(Protocol):
    """One reseller account's tenant, reached as its super admin through domain-wide delegation."""

    @property
    def api_calls(self) -> int:
        """Admin API calls made so far (every inner call of a batch counts)."""
        ...

    def observe(
        self,
        account: ResellerAccount,
        settings: Settings,
        known_ids: Mapping[str, str],
        *,
        check_paid_licenses: bool = False,
    ) -> ObservedAccount:
        """List the OU's users, roles, assignments and licenses: list calls only, no per-user gets.

        Paid licenses are listed tenant-wide, so only when `check_paid_licenses` (after this run created
        accounts, which is when automatic licensing strikes); otherwise `paid_license_holders` is empty.
        """
        ...

    def get_user(self, email: str) -> ObservedUser | None: ...

    def create_org_unit(self, path: str) -> None: ...

    def privileges(self) -> list[Privilege]:
        """Every privilege of the customer, the tree flattened."""
        ...

    def find_role(self, name: str) -> str | None:
        """The id of the role named `name` (roles.list), e.g. after create_role answered 409."""
        ...

    def create_role(self, name: str, privileges: Sequence[Privilege]) -> str: ...

    def insert_users(self, users: Sequence[tuple[CreateUser, str]]) -> list[str | WorkspaceError]:
        """Create users (action, initial password); the new id or the error, per user, in order."""
        ...

    def update_user(self, user_key: str, patch: Mapping[str, object]) -> None: ...

    def update_users(
        self, updates: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WorkspaceError | None]:
        """Patch users (user key, body) in batches; None where it worked, in order."""
        ...

    def insert_licenses(self, emails: Sequence[str]) -> list[WorkspaceError | None]:
        """Insert Cloud Identity Free for each address; None where it worked."""
        ...

    def assign_roles(self, pairs: Sequence[tuple[str, str]]) -> list[WorkspaceError | None]:
        """(role id, user id) -> CUSTOMER-scoped assignments; None where it worked."""
        ...

    def revoke_role(self, assignment_id: str) -> None: ...

    def revoke_roles(self, assignment_ids: Sequence[str]) -> list[WorkspaceError | None]:
        """Delete role assignments in batches; None where it worked, in order."""
        ...


class WorkspaceFactory(Protocol):
    def __call__(self, account: ResellerAccount) -> Workspace: ...


class Clock(Protocol):
    def now_iso(self) -> str: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class ValidationIssue:
    """A desired-state document or roster row that was skipped, and why.

    A `warning` skipped nothing (e.g. an unknown roster column, ignored): the input is still complete, so it
    does not stop a roster import from deactivating the people missing from it.
    """

    source: str  # e.g. "people/abc" or "roster.csv row 7"
    field: str
    message: str
    warning: bool = False


def from_origin(source: str, origin: str) -> bool:
    """Whether an issue's source lies in `origin`: a collection prefix ending in `/` (`people/`), or a
    roster source's name (`staff.csv` covers `staff.csv row 7`)."""
    if origin.endswith("/"):
        return source.startswith(origin)
    return source == origin or source.startswith(origin + " ")


@dataclass
class DesiredState:
    accounts: list[ResellerAccount]
    people: list[Person]
    settings: Settings
    issues: list[ValidationIssue] = field(default_factory=list)
    #: removal approvals by account id, from the same read of the account documents (not desired state)
    approvals: dict[str, Approval] = field(default_factory=dict)


@dataclass(frozen=True)
class Approval:
    """An admin's approval of a removal the guard held back, for one account and at most `max_removals`."""

    account_id: str
    max_removals: int
    approved_by: str


class StateStore(Protocol):
    def load_desired(self) -> DesiredState:
        """The whole desired state (and the approvals on the account documents it reads): load it once
        per invocation and pass it down."""
        ...

    def load_settings(self) -> Settings:
        """`settings/global` alone (one read), for what is decided at send time, such as the mail sender
        and the alert audience."""
        ...

    def save_people(self, people: Sequence[Person]) -> int:
        """Upsert roster entries; returns how many documents changed."""
        ...

    def load_records(self, account_id: str) -> dict[str, ProvisioningRecord]:
        """Keyed by ProvisioningRecord.key."""
        ...

    def record_counts(self, account_id: str) -> dict[str, int]:
        """How many records are in each status (only statuses that have some), without reading them."""
        ...

    def save_records(self, account_id: str, records: Sequence[ProvisioningRecord]) -> int:
        """Write only the given (changed) records; returns the number of writes."""
        ...

    def save_run(self, run: RunRecord) -> None: ...

    def record_issues(self, issues: Sequence[ValidationIssue], reread: Sequence[str] = ()) -> None:
        """Store each source's issues (only what changed). `reread`: origins read in full this time
        (see `from_origin`); their stored issues that are no longer among `issues` are deleted."""
        ...

    def approval(self, account_id: str) -> Approval | None:
        """One account's approval read now (a run uses `DesiredState.approvals` instead)."""
        ...

    def save_approval(self, approval: Approval) -> None:
        """An admin approved removals the guard held back (`portalsync approve`)."""
        ...

    def consume_approval(self, account_id: str) -> None: ...


class FindingSink(Protocol):
    """Where a run's findings go: the one writer of alert documents (open, bump, resolve, mail once)."""

    def report(self, scope: Scope, findings: Sequence[Finding]) -> object:
        """Reconcile `scope`'s open alerts with this run's findings; only what `scope` covers resolves."""
        ...

    def raise_findings(self, findings: Sequence[Finding]) -> object:
        """Open (mailed once) or bump alerts for conditions outside any run, such as mail that was
        refused; resolves nothing."""
        ...


class Mailer(Protocol):
    """Sends one message now (Gmail API as the configured sender, or SMTP)."""

    def send(self, message: MailMessage) -> str:
        """The provider's id for the sent message; raises MailError (`permanent` says whether to retry)."""
        ...


class Outbox(Protocol):
    """Mail waiting to be sent, idempotent by message id: enqueued once, sent once (credentials never)."""

    def enqueue(self, messages: Sequence[MailMessage]) -> int:
        """Store messages not already known by id; returns how many were new."""
        ...

    def claim(self, limit: int) -> list[MailMessage]:
        """Take due messages for sending; a claim that is never settled is retried after its lease."""
        ...

    def mark_sent(self, message_id: str, provider_id: str) -> None: ...

    def mark_failed(self, message_id: str, error: str, permanent: bool) -> None:
        """Schedule another attempt with backoff, or give up when `permanent` or attempts ran out."""
        ...
