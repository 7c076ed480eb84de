"""The event-driven flows behind the Cloud Functions: nightly fan-out, one account's sync, mail, status.

Pub/Sub delivers at least once, possibly twice at the same time, possibly long after publishing. So each
flow: acks events older than the maximum age (logged), acks an event id already done, holds a lease per
account while syncing, records the event id only after success, raises `RetryLater` for anything worth
another try (Pub/Sub redelivers, then dead-letters) and turns permanent failures into alerts and an ack.

The nightly digest: `nightly` writes a run group listing the accounts it published; each `sync_account`
marks its account done in that group (a transaction); the one that finds the group complete queues the
digest, whose message id names the group, so the outbox sends it once even if two finish together. A group
that never completes (an account's message dead-lettered) is closed by a later `nightly` once it is older
than `run_group_overdue_seconds`, and its digest goes out then, naming the accounts that never reported.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from portalsync import names
from portalsync.actions import Finding, FindingKind
from portalsync.alerts import Scope
from portalsync.desired import expand
from portalsync.errors import PermanentError, TransientError, WorkspaceError
from portalsync.flow_ports import (
    AlertBook,
    EventLog,
    Leases,
    Publisher,
    RosterSource,
    RunGroup,
    RunGroups,
    RunHistory,
)
from portalsync.notify import Notifier
from portalsync.onboarding import Onboarding
from portalsync.ports import DesiredState
from portalsync.service import ROSTER_SCOPE, AccountReport, Service, find_person

log = logging.getLogger("portalsync.flows")


class RetryLater(Exception):
    """A transient failure, or the account is busy: the function fails so Pub/Sub delivers again."""


@dataclass(frozen=True)
class FlowEvent:
    event_id: str
    published_at: str | None  # ISO 8601
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class FlowSettings:
    max_event_age_seconds: float = 6 * 3600.0
    lease_seconds: float = 600.0  # longer than the function's 540 s limit: a crashed holder expires
    sync_topic: str = names.TOPIC_SYNC_ACCOUNT
    run_group_overdue_seconds: float = 6 * 3600.0  # by then every delivery of the group is stale anyway


class Flows:
    def __init__(
        self,
        service: Service,
        publisher: Publisher,
        leases: Leases,
        events: EventLog,
        groups: RunGroups,
        alerts: AlertBook,
        runs: RunHistory,
        notifier: Notifier,
        onboarding: Onboarding,
        roster_source: RosterSource | None = None,
        settings: FlowSettings | None = None,
    ) -> None:
        self.service, self.publisher, self.leases, self.events = service, publisher, leases, events
        self.groups, self.alerts, self.runs, self.notifier = groups, alerts, runs, notifier
        self.onboarding, self.roster_source = onboarding, roster_source
        self.settings = settings or FlowSettings()

    # gatekeeping ------------------------------------------------------------------------------------
    def _skip(self, event: FlowEvent, flow: str) -> str | None:
        """'stale' or 'duplicate' when the event must be acked without work, else None."""
        ctx = {"event_id": event.event_id, "flow": flow}
        if event.published_at:
            age = _seconds_between(event.published_at, self.service.clock.now_iso())
            if age > self.settings.max_event_age_seconds:
                log.warning("event too old, acked unprocessed", extra={**ctx, "age_seconds": age})
                return "stale"
        if self.events.seen(event.event_id):
            log.info("event already processed, acked", extra=ctx)
            return "duplicate"
        return None

    # nightly ----------------------------------------------------------------------------------------
    def nightly(self, event: FlowEvent) -> str:
        """Refresh the roster, then one message per enabled account; the accounts sync in parallel."""
        skipped = self._skip(event, "nightly")
        if skipped:
            return skipped
        self.close_overdue_groups()
        desired = self._refresh_roster()  # the import's read: a roster import changes no account
        if desired is None:
            desired = self.service.store.load_desired()
        accounts = [a.account_id for a in desired.accounts if a.enabled]
        group = RunGroup(
            group_id=f"nightly-{event.event_id}",
            started_at=self.service.clock.now_iso(),
            since=self.groups.latest_start() or "",
            expected=tuple(accounts),
        )
        self.groups.start(group)
        for account_id in accounts:
            self.publisher.publish(
                self.settings.sync_topic,
                {"account_id": account_id, "group_id": group.group_id, "trigger": "nightly"},
            )
        if not accounts:
            self.notifier.digest(group)
        self.events.mark_done(event.event_id, {"flow": "nightly", "accounts": len(accounts)})
        log.info("nightly fan-out", extra={"group_id": group.group_id, "accounts": len(accounts)})
        return "published"

    def close_overdue_groups(self) -> list[RunGroup]:
        """Queue the digest of each run group that never completed and is older than the allowed age."""
        now = self.service.clock.now_iso()
        closed: list[RunGroup] = []
        for group in self.groups.open_groups():
            if _seconds_between(group.started_at, now) <= self.settings.run_group_overdue_seconds:
                continue
            done = self.groups.close(group.group_id)
            if done is None:
                continue  # completed or closed meanwhile: its digest is someone else's
            log.warning(
                "run group overdue: digest sent without some accounts",
                extra={"group_id": done.group_id, "missing": list(done.missing)},
            )
            self.onboarding.welcome_due()
            self.notifier.digest(done)
            closed.append(done)
        return closed

    def _refresh_roster(self) -> DesiredState | None:
        """An unreadable source is an alert, not a failed night: the accounts still sync from the roster
        already in Firestore, and nobody is deactivated (that takes a complete read of the source).
        The desired state the import read (accounts and settings current), or None when none was read."""
        if self.roster_source is None:
            return None  # the roster is kept in Firestore itself
        try:
            people, issues = self.roster_source.load()
        except TransientError as error:
            raise RetryLater(f"roster source: {error}") from error
        except WorkspaceError as error:
            source = self.roster_source.name
            log.error(
                "roster source unreadable; Firestore's roster is used",
                extra={"source": source, "error": str(error)},
            )
            detail = f"{source}: {type(error).__name__}: {error}"
            finding = Finding(FindingKind.ROSTER_SOURCE_UNREADABLE, ROSTER_SCOPE, detail)
            self.notifier.report(Scope(ROSTER_SCOPE), [finding])
            return None
        return self.service.import_roster(people, issues, origin=self.roster_source.name).desired

    # one account ------------------------------------------------------------------------------------
    def sync_account(self, event: FlowEvent) -> str:
        account_id = str(event.payload.get("account_id") or "")
        if not account_id:
            log.error("message without account_id, acked", extra={"event_id": event.event_id})
            return "invalid"
        skipped = self._skip(event, "sync_account")
        if skipped:
            return skipped
        lease, holder = f"account-{account_id}", _holder(event)
        if not self.leases.acquire(lease, holder, self.settings.lease_seconds):
            raise RetryLater(f"account {account_id} is being synced by another delivery")
        try:
            if self.events.seen(event.event_id):
                # another delivery of this message finished between our first check and the lease
                log.info("event already processed, acked", extra={"event_id": event.event_id})
                return "duplicate"
            group_id = event.payload.get("group_id")
            report = self._sync_one(account_id, str(event.payload.get("trigger") or "account"))
            if report is not None and group_id:
                self.onboarding.after_group_run(report)  # welcomes wait for the whole group
            elif report is not None:
                self.onboarding.after_run([report])
            if group_id:
                group = self.groups.finish(str(group_id), account_id)
                if group is not None and group.complete:
                    # one mail per person for the whole night; the run's state when it read one
                    self.onboarding.welcome_due(desired=report.desired if report else None)
                    self.notifier.digest(group)
            self.events.mark_done(event.event_id, {"flow": "sync_account", "account_id": account_id})
        finally:
            self.leases.release(lease, holder)
        self.drain()
        return "synced"

    def _sync_one(self, account_id: str, trigger: str) -> AccountReport | None:
        """Alerts are the service's to report (its sink is the notifier); only a failure that stopped the
        run before it could report is turned into an alert here."""
        try:
            report = self.service.sync_account(account_id, trigger)
        except TransientError as error:
            raise RetryLater(f"{account_id}: {error}") from error
        except LookupError as error:
            log.warning("no such account, acked", extra={"account_id": account_id, "error": str(error)})
            return None
        except PermanentError as error:
            log.error("account sync failed for good", extra={"account_id": account_id, "error": str(error)})
            finding = Finding(FindingKind.ACCOUNT_UNREACHABLE, account_id, f"{type(error).__name__}: {error}")
            self.notifier.report(Scope(account_id), [finding])
            return None
        return report  # None: disabled

    # onboarding -------------------------------------------------------------------------------------
    def onboard(self, event: FlowEvent, person_key: str, trigger: str = "onboard") -> str:
        """One person on all their domains within seconds; a delivery for an unknown person is acked."""
        if not person_key:
            log.error("onboarding message without a person, acked", extra={"event_id": event.event_id})
            return "invalid"
        skipped = self._skip(event, trigger)
        if skipped:
            return skipped
        try:
            desired = self.service.store.load_desired()
            person = find_person(desired, person_key)
        except LookupError as error:
            log.warning("nobody to onboard, acked", extra={"person": person_key, "error": str(error)})
            return "unknown"
        mine, _ = expand(desired.accounts, [person], desired.settings)
        # the same leases as sync_account: a nightly run's roster refresh fires this during the fan-out
        leases = [f"account-{a}" for a in sorted({d.account_id for d in mine})]
        holder = _holder(event)
        taken: list[str] = []
        try:
            for lease in leases:
                if not self.leases.acquire(lease, holder, self.settings.lease_seconds):
                    raise RetryLater(f"onboarding {person_key}: {lease} is held by another delivery")
                taken.append(lease)
            if self.events.seen(event.event_id):
                return "duplicate"
            self.onboarding.onboard(person.person_id, trigger, desired)
            self.events.mark_done(event.event_id, {"flow": trigger, "person": person_key})
        except LookupError as error:
            log.warning("nobody to onboard, acked", extra={"person": person_key, "error": str(error)})
            return "unknown"
        except TransientError as error:
            raise RetryLater(f"onboarding {person_key}: {error}") from error
        except PermanentError as error:
            # like sync_account: no redelivery would fix it, so an alert (per account) and an ack
            log.error("onboarding failed for good", extra={"person": person_key, "error": str(error)})
            for lease in leases:
                account_id = lease.removeprefix("account-")
                detail = f"onboarding {person.person_id}: {type(error).__name__}: {error}"
                finding = Finding(FindingKind.ACCOUNT_UNREACHABLE, account_id, detail)
                self.notifier.report(Scope(account_id, person.person_id), [finding])
            self.events.mark_done(event.event_id, {"flow": trigger, "person": person_key, "failed": True})
            return "failed"
        finally:
            for lease in reversed(taken):
                self.leases.release(lease, holder)
        self.drain()
        return "onboarded"

    def roster_written(self, event: FlowEvent, person_id: str | None, active: bool) -> str:
        """A roster document was written: provision an active person; deletes and leavers wait for the
        nightly run, whose mass-removal guard is the only path to removing access."""
        if person_id is None or not active:
            log.info("roster write needs no onboarding", extra={"event_id": event.event_id})
            return "ignored"
        return self.onboard(event, person_id, "roster-write")

    # mail and status --------------------------------------------------------------------------------
    def drain(self) -> dict[str, int]:
        return self.onboarding.drain()

    def status(self) -> dict[str, Any]:
        """Last run per account, open alerts, and how many records are in each state."""
        store = self.service.store
        states: Counter[str] = Counter()
        accounts: dict[str, Any] = {}
        for account in store.load_desired().accounts:
            runs = self.runs.recent_runs(account.account_id, 1)
            mine = Counter(store.record_counts(account.account_id))  # aggregations: no record is read
            states.update(mine)
            accounts[account.account_id] = {
                "enabled": account.enabled,
                "last_run": asdict(runs[0]) if runs else None,
                "states": dict(mine),
            }
        open_alerts = [a.to_dict() for a in self.alerts.open_alerts()]
        return {"accounts": accounts, "open_alerts": open_alerts, "states": dict(states)}


def _holder(event: FlowEvent) -> str:
    """Unique per delivery: two deliveries of one message (same event id) must not share a lease."""
    return f"{event.event_id}:{uuid.uuid4().hex}"


def _seconds_between(earlier: str, later: str) -> float:
    def parse(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    try:
        return (parse(later) - parse(earlier)).total_seconds()
    except ValueError:
        return 0.0  # an unreadable timestamp never makes an event stale
