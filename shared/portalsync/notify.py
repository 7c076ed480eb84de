"""Alert mails and the nightly digest, queued through the outbox.

The notifier is the only writer of alert documents (the service's `FindingSink`): at the end of every run,
whatever triggered it, it reads the scope's open alerts, lets `alerts.reconcile_alerts` say what opened and
resolved, writes those and mails each opening once. An alert that is still there is rewritten at most once a
day (`last_seen`, `count`), so a no-op sync writes nothing. The digest is composed from the alert documents
when a nightly run's last account finishes; its message id carries the run, so a redelivered completion
cannot mail it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from portalsync.actions import Finding
from portalsync.alerts import AlertChanges, Locale, Scope, digest, reconcile_alerts
from portalsync.flow_ports import AlertBook, RunGroup
from portalsync.mail import alert_mail, digest_mail
from portalsync.ports import Clock, Outbox, StateStore

log = logging.getLogger("portalsync.notify")


class Notifier:
    def __init__(
        self, book: AlertBook, outbox: Outbox, store: StateStore, clock: Clock, locale: Locale | None = None
    ) -> None:
        self.book = book
        self.outbox = outbox
        self.store = store
        self.clock = clock
        self.locale: Locale | None = locale  # None: `settings.notify_locale`, read with the recipients

    def _audience(self) -> tuple[list[str], Locale]:
        """Recipients and language from the settings document, read when mailing, so an operator's change
        applies to the next mail without a redeploy (`settings/global` alone, not the whole roster)."""
        settings = self.store.load_settings()
        return list(settings.notify_recipients), self.locale or settings.notify_locale

    def report(self, scope: Scope, findings: Sequence[Finding]) -> AlertChanges:
        """Open, bump and resolve `scope`'s alerts after a run; one alert mail per alert opened.

        The open alerts are read now, not before the run, so whatever wrote since (another trigger's run)
        is taken into account and an opening is mailed exactly once.
        """
        return self._reconcile(scope.account_id, findings, [scope])

    def raise_findings(self, findings: Sequence[Finding]) -> AlertChanges:
        """Open or bump, never resolve: what raised these is no run's to clear (an operator resolves it)."""
        changes = AlertChanges()
        for account_id in sorted({f.account_id for f in findings}):
            mine = [f for f in findings if f.account_id == account_id]
            found = self._reconcile(account_id, mine, [])
            changes = AlertChanges(
                changes.opened + found.opened,
                changes.updated + found.updated,
                bumped=changes.bumped + found.bumped,
            )
        return changes

    def _reconcile(self, account_id: str, findings: Sequence[Finding], scopes: list[Scope]) -> AlertChanges:
        changes = reconcile_alerts(findings, self.book.open_alerts(account_id), scopes, self.clock.now_iso())
        if not changes.to_write:
            return changes
        self.book.save_alerts(changes.to_write)
        log.info(
            "alerts changed",
            extra={
                "account_id": account_id,
                "opened": [a.key for a in changes.opened],
                "resolved": [a.key for a in changes.resolved],
            },
        )
        recipients, locale = self._audience() if changes.opened else ([], "en")
        if recipients:
            self.outbox.enqueue([alert_mail(a, recipients, locale) for a in changes.opened])
        elif changes.opened:
            log.warning("alerts opened but settings.notify_recipients is empty: no alert mail")
        return changes

    def digest(self, group: RunGroup) -> bool:
        """Queue the digest of one nightly run; False when there is nobody to send it to."""
        recipients, locale = self._audience()
        if not recipients:
            log.warning("no digest: settings.notify_recipients is empty", extra={"group_id": group.group_id})
            return False
        summary = digest(self.book.alerts_since(group.since), group.since)
        mail = digest_mail(summary, recipients, locale, group.group_id, group.missing)
        self.outbox.enqueue([mail])
        log.info(
            "digest queued",
            extra={
                "group_id": group.group_id,
                "new": len(summary.new),
                "still_open": len(summary.still_open),
                "resolved": len(summary.resolved),
                "not_reported": list(group.missing),
            },
        )
        return True
