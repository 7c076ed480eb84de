"""In-memory stand-ins for the flows' ports (alerts, outbox), counting writes the way Firestore is billed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from portalsync.alerts import Alert, AlertStatus
from portalsync.mail.message import MailKind, MailMessage


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
