"""In-memory stand-ins for the flows' ports: alerts, outbox, publisher, leases, events, run groups, mail,
roster source."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace

from portalsync.alerts import Alert, AlertStatus
from portalsync.flow_ports import RunGroup, Welcome
from portalsync.mail.delivery import MailError
from portalsync.mail.message import MailKind, MailMessage
from portalsync.model import Person
from portalsync.ports import ValidationIssue
from portalsync.records import RunRecord


@dataclass
class FakeAlertBook:
    alerts: dict[str, Alert] = field(default_factory=dict)
    writes: int = 0

    def open_alerts(self, account_id: str | None = None) -> list[Alert]:
        return [
            a
            for a in self.alerts.values()
            if a.status is AlertStatus.OPEN and account_id in (None, a.account_id)
        ]

    def alerts_since(self, since: str) -> list[Alert]:
        resolved = [
            a
            for a in self.alerts.values()
            if a.status is AlertStatus.RESOLVED and (a.resolved_at or "") >= since
        ]
        return self.open_alerts() + resolved

    def save_alerts(self, alerts: Sequence[Alert]) -> None:
        for alert in alerts:
            self.alerts[alert.key] = alert
            self.writes += 1


@dataclass
class FakeOutbox:
    """Idempotent by message id, like the Firestore outbox; `sent` keeps what a drain handed over."""

    messages: dict[str, MailMessage] = field(default_factory=dict)
    queued: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)

    def enqueue(self, messages: Sequence[MailMessage]) -> int:
        new = [m for m in messages if m.message_id not in self.messages]
        for message in new:
            self.messages[message.message_id] = message
            self.queued.append(message.message_id)
        return len(new)

    def claim(self, limit: int) -> list[MailMessage]:
        taken, self.queued = self.queued[:limit], self.queued[limit:]
        return [self.messages[i] for i in taken]

    def mark_sent(self, message_id: str, provider_id: str) -> None:
        self.sent.append(message_id)

    def mark_failed(self, message_id: str, error: str, permanent: bool) -> None:
        if not permanent:
            self.queued.append(message_id)

    def of_kind(self, kind: MailKind) -> list[MailMessage]:
        return [m for m in self.messages.values() if m.kind is kind]


@dataclass
class FakePublisher:
    published: list[tuple[str, dict[str, object]]] = field(default_factory=list)

    def publish(self, topic: str, payload: Mapping[str, object]) -> str:
        self.published.append((topic, dict(payload)))
        return str(len(self.published))


@dataclass
class FakeLeases:
    """Leases that never expire by themselves; `held` is what other holders took."""

    held: dict[str, str] = field(default_factory=dict)

    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        if self.held.get(name, holder) != holder:
            return False
        self.held[name] = holder
        return True

    def release(self, name: str, holder: str) -> None:
        if self.held.get(name) == holder:
            del self.held[name]


@dataclass
class FakeEvents:
    done: dict[str, Mapping[str, object]] = field(default_factory=dict)

    def seen(self, event_id: str) -> bool:
        return event_id in self.done

    def mark_done(self, event_id: str, summary: Mapping[str, object]) -> bool:
        if event_id in self.done:
            return False
        self.done[event_id] = summary
        return True


@dataclass
class FakeRunGroups:
    groups: dict[str, RunGroup] = field(default_factory=dict)
    closed: set[str] = field(default_factory=set)

    def latest_start(self) -> str | None:
        return max((g.started_at for g in self.groups.values()), default=None)

    def start(self, group: RunGroup) -> None:
        self.groups.setdefault(group.group_id, group)

    def finish(self, group_id: str, account_id: str) -> RunGroup | None:
        group = self.groups.get(group_id)
        if group is None:
            return None
        if account_id not in group.done:
            group = replace(group, done=(*group.done, account_id))
            self.groups[group_id] = group
        return group

    def open_groups(self) -> list[RunGroup]:
        return [g for g in self.groups.values() if not g.complete and g.group_id not in self.closed]

    def close(self, group_id: str) -> RunGroup | None:
        group = self.groups.get(group_id)
        if group is None or group.complete or group_id in self.closed:
            return None
        self.closed.add(group_id)
        return group


@dataclass
class FakeRunHistory:
    runs: list[RunRecord] = field(default_factory=list)

    def recent_runs(self, account_id: str, limit: int = 10) -> list[RunRecord]:
        return [r for r in reversed(self.runs) if r.account_id == account_id][:limit]


@dataclass
class FakeCredentialsDue:
    """Entries are due, claimed (held) or waiting out a backoff; `expire()` lets time pass."""

    due_list: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)
    errors: dict[str, str] = field(default_factory=dict)

    def add(self, account_id: str, person_id: str, email: str) -> None:
        self.due_list[email.lower()] = (account_id, person_id, email)
        self.held.discard(email.lower())

    def claim(self, limit: int, emails: Collection[str] | None = None) -> list[tuple[str, str, str]]:
        wanted = None if emails is None else {e.lower() for e in emails}
        free = [k for k in self.due_list if k not in self.held and (wanted is None or k in wanted)]
        self.held.update(free[:limit])
        return [self.due_list[k] for k in free[:limit]]

    def retry_later(self, email: str, error: str) -> None:
        self.errors[email.lower()] = error  # still held until the backoff (expire) ends

    def expire(self) -> None:
        self.held.clear()

    def remove(self, email: str) -> None:
        self.due_list.pop(email.lower(), None)
        self.held.discard(email.lower())


@dataclass
class FakeWelcomes:
    """key -> (person id, "welcomed" or a due marking's token), like the Firestore collection."""

    entries: dict[str, tuple[str, str]] = field(default_factory=dict)
    markings: int = 0

    def mark_due(self, welcomes: Sequence[Welcome], again: bool) -> None:
        for welcome in welcomes:
            if again or welcome.key not in self.entries:
                self.markings += 1
                self.entries[welcome.key] = (welcome.person_id, f"due-{self.markings}")

    def due_people(self) -> set[str]:
        return {pid for pid, state in self.entries.values() if state != "welcomed"}

    def states(self, person_id: str) -> dict[str, str]:
        return {k: state for k, (pid, state) in self.entries.items() if pid == person_id}

    def mark_welcomed(self, person_id: str, keys: Sequence[str]) -> None:
        for key in keys:
            self.entries[key] = (person_id, "welcomed")

    def forget(self, person_id: str, keys: Sequence[str]) -> None:
        for key in keys:
            self.entries.pop(key, None)


@dataclass
class FakeMailer:
    """`failures` are raised by the next sends, in order; `configured=False` is a missing sender."""

    sent: list[MailMessage] = field(default_factory=list)
    failures: list[MailError] = field(default_factory=list)
    configured: bool = True

    def send(self, message: MailMessage) -> str:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)
        return f"sent-{len(self.sent)}"

    def of_kind(self, kind: MailKind) -> list[MailMessage]:
        return [m for m in self.sent if m.kind is kind]


@dataclass
class FakeRosterSource:
    """Reads `people` and `issues`, or raises `error` while it is set (an unreadable group or sheet)."""

    people: list[Person] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)
    error: Exception | None = None
    name: str = "group portal-staff@a.example"
    loads: int = 0

    def load(self) -> tuple[list[Person], list[ValidationIssue]]:
        self.loads += 1
        if self.error is not None:
            raise self.error
        return list(self.people), list(self.issues)
