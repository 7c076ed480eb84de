"""Ports the event-driven flows need beyond the service's: publishing, leases, event ids, run groups, alerts.

Each one exists because Pub/Sub delivers at least once and in parallel: a lease keeps two syncs of one account
apart, the event log makes a redelivery a no-op, and a run group tells the last account of a nightly run
that it is the last, so the digest goes out once, after everything finished.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from portalsync.alerts import Alert
from portalsync.model import Person
from portalsync.ports import ValidationIssue
from portalsync.records import RunRecord


class Publisher(Protocol):
    def publish(self, topic: str, payload: Mapping[str, object]) -> str:
        """Publish a JSON payload; returns the message id once the broker has it."""
        ...


class Leases(Protocol):
    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take `name` for `seconds` unless someone else holds an unexpired lease (transactional)."""
        ...

    def release(self, name: str, holder: str) -> None:
        """Give `name` back, only if `holder` still holds it."""
        ...


class EventLog(Protocol):
    def seen(self, event_id: str) -> bool: ...

    def mark_done(self, event_id: str, summary: Mapping[str, object]) -> bool:
        """Record a finished event, create-if-absent; False when it was already recorded."""
        ...


@dataclass(frozen=True)
class RunGroup:
    """One nightly run: the accounts it fanned out to and the ones that finished."""

    group_id: str
    started_at: str
    since: str  # the previous run's start: the digest reports what changed after it
    expected: tuple[str, ...]
    done: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return set(self.expected) <= set(self.done)

    @property
    def missing(self) -> tuple[str, ...]:
        """The accounts that have not reported (yet, or ever: a dead-lettered message)."""
        return tuple(a for a in self.expected if a not in self.done)


class RunGroups(Protocol):
    def latest_start(self) -> str | None:
        """When the previous nightly run started, if there was one."""
        ...

    def start(self, group: RunGroup) -> None:
        """Create the group document unless it exists (a redelivered nightly event keeps its group)."""
        ...

    def finish(self, group_id: str, account_id: str) -> RunGroup | None:
        """Mark one account finished (idempotent, transactional); the group as it now stands. A group
        that completes is no longer open."""
        ...

    def open_groups(self) -> list[RunGroup]:
        """Groups neither complete nor closed: candidates for an overdue digest."""
        ...

    def close(self, group_id: str) -> RunGroup | None:
        """Close an open group (transactional); the group if this call closed it, else None (already
        complete or closed), so only one caller sends its overdue digest."""
        ...


class AlertBook(Protocol):
    def open_alerts(self, account_id: str | None = None) -> list[Alert]:
        """Open alerts of one account, or of all."""
        ...

    def alerts_since(self, since: str) -> list[Alert]:
        """Open alerts and those resolved at or after `since`."""
        ...

    def save_alerts(self, alerts: Sequence[Alert]) -> None: ...


class RunHistory(Protocol):
    def recent_runs(self, account_id: str, limit: int = 10) -> list[RunRecord]: ...


class CredentialsDue(Protocol):
    """Portal accounts whose first-sign-in mail has not gone out yet. Holds addresses, never a password.

    An address is added the moment its account is created, so a crash before the mail leaves it here rather
    than with a password nobody knows. Sending is claimed (transactionally, for a lease), so two drains never
    reset one account's password twice and mail two different ones; a failed send waits with a backoff.
    """

    def add(self, account_id: str, person_id: str, email: str) -> None:
        """Due now (the account was just created); an earlier entry for the address starts over."""
        ...

    def claim(self, limit: int, emails: Collection[str] | None = None) -> list[tuple[str, str, str]]:
        """(account id, person id, portal address) of due entries (all, or only `emails`), each now held
        for a lease by this caller alone."""
        ...

    def retry_later(self, email: str, error: str) -> None:
        """The send failed: due again after a backoff that grows with the attempts."""
        ...

    def remove(self, email: str) -> None: ...


@dataclass(frozen=True)
class Welcome:
    """One portal account (person × domain) to tell its person about."""

    person_id: str
    account_id: str
    domain: str
    email: str

    @property
    def key(self) -> str:
        return f"{self.person_id}@{self.domain}"


class Welcomes(Protocol):
    """Which person × domain accounts are due an onboarding mail and which were already in one.

    Kept apart from the provisioning records (rebuilt from the tenant by every run) so that a later action on
    a welcomed account (a role repair, a license, a rename) never welcomes its person again.
    """

    def mark_due(self, welcomes: Sequence[Welcome], again: bool) -> None:
        """`again` (an account created or reactivated now): due even if welcomed before; otherwise only
        if never welcomed."""
        ...

    def due_people(self) -> set[str]:
        """People with at least one account due a welcome."""
        ...

    def states(self, person_id: str) -> dict[str, str]:
        """Key -> "welcomed", or for an account due a welcome a token unique to that marking (so a mail
        for the same accounts after a reactivation is a new mail, and a retried one is the same)."""
        ...

    def mark_welcomed(self, person_id: str, keys: Sequence[str]) -> None: ...

    def forget(self, person_id: str, keys: Sequence[str]) -> None:
        """Drop due entries for accounts the person no longer has."""
        ...


class RosterSource(Protocol):
    """A roster kept outside Firestore (a Google Group, a Google Sheet)."""

    @property
    def name(self) -> str:
        """What to check when it cannot be read, e.g. "group staff@a.example"."""
        ...

    def load(self) -> tuple[list[Person], list[ValidationIssue]]: ...
