"""Alert mails and the nightly digest, queued through the outbox.

Alerts open once and mail once: the open alerts are read before a run, `alerts.reconcile_alerts` says what
the run opened and resolved, and only those are written here (the state store keeps `last_seen`/`count`
current itself, once a day). The digest is composed from the alert documents when a nightly run's last account
finishes; its message id carries the run, so a redelivered completion cannot mail it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from portalsync.actions import Finding
from portalsync.alerts import Alert, AlertChanges, Locale, Scope, digest, reconcile_alerts
from portalsync.flow_ports import AlertBook, RunGroup
from portalsync.mail import alert_mail, digest_mail
from portalsync.ports import Clock, Outbox, StateStore

log = logging.getLogger("portalsync.notify")


class Notifier:
    def __init__(
        self, book: AlertBook, outbox: Outbox, store: StateStore, clock: Clock, locale: Locale = "en"
    ) -> None:
        self.book = book
        self.outbox = outbox
        self.store = store
        self.clock = clock
        self.locale: Locale = locale

    def _recipients(self) -> list[str]:
        return list(self.store.load_desired().settings.notify_recipients)

    def account_alerts(
        self, before: Sequence[Alert], findings: Sequence[Finding], scope: Scope
    ) -> AlertChanges:
        """Open and resolve `scope`'s alerts after a run; one alert mail per alert opened."""
        changes = reconcile_alerts(findings, before, [scope], self.clock.now_iso())
        if not (changes.opened or changes.resolved):
            return changes
        self.book.save_alerts(changes.opened + changes.resolved)
        log.info(
            "alerts changed",
            extra={
                "account_id": scope.account_id,
                "opened": [a.key for a in changes.opened],
                "resolved": [a.key for a in changes.resolved],
            },
        )
        recipients = self._recipients() if changes.opened else []
        if recipients:
            self.outbox.enqueue([alert_mail(a, recipients, self.locale) for a in changes.opened])
        elif changes.opened:
            log.warning("alerts opened but settings.notify_recipients is empty: no alert mail")
        return changes

    def digest(self, group: RunGroup) -> bool:
        """Queue the digest of one nightly run; False when there is nobody to send it to."""
        recipients = self._recipients()
        if not recipients:
            log.warning("no digest: settings.notify_recipients is empty", extra={"group_id": group.group_id})
            return False
        summary = digest(self.book.alerts_since(group.since), group.since)
        mail = digest_mail(summary, recipients, self.locale, group.group_id)
        self.outbox.enqueue([mail])
        log.info(
            "digest queued",
            extra={
                "group_id": group.group_id,
                "new": len(summary.new),
                "still_open": len(summary.still_open),
                "resolved": len(summary.resolved),
            },
        )
        return True
