"""Welcoming people who just got portal access: one onboarding mail, then first-sign-in credentials.

The onboarding mail goes through the outbox (its id names the person and their addresses, so a retried run
queues nothing new). The credentials step sets a fresh random password with `changePasswordAtNextLogin` and
mails it at once, outside the outbox, so no password is ever stored; if that mail fails, only the address is
remembered, and a later drain tries again with another new password. `Settings.send_credentials` turns the
step off for resellers whose staff sign in by SSO.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from portalsync.actions import CreateUser
from portalsync.desired import expand
from portalsync.errors import WorkspaceError
from portalsync.flow_ports import CredentialsDue
from portalsync.mail import credentials, onboarding
from portalsync.mail.delivery import MailError, drain, send_direct
from portalsync.model import Person, ResellerAccount
from portalsync.ports import DesiredState, Mailer, Outbox
from portalsync.records import AccountStatus
from portalsync.results import Outcome, PasswordFactory, random_password
from portalsync.service import AccountReport, Service

log = logging.getLogger("portalsync.onboarding")


class Onboarding:
    def __init__(
        self,
        service: Service,
        outbox: Outbox,
        mailer: Mailer,
        due: CredentialsDue,
        passwords: PasswordFactory = random_password,
    ) -> None:
        self.service, self.outbox, self.mailer, self.due = service, outbox, mailer, due
        self.passwords = passwords

    def onboard(self, person_key: str, trigger: str = "onboard") -> list[AccountReport]:
        """Provision one person on all their domains, then welcome them (raises LookupError if unknown)."""
        reports = self.service.onboard(person_key, trigger)
        self.welcome(reports)
        return reports

    def welcome_new(self, report: AccountReport) -> None:
        self.welcome([report])

    def welcome(self, reports: Sequence[AccountReport]) -> None:
        """One onboarding mail per person the runs changed something for; credentials for new accounts."""
        changed = {
            pid
            for report in reports
            for result in report.results
            if result.outcome is Outcome.DONE and (pid := getattr(result.action, "person_id", None))
        }
        if not changed:
            return
        desired = self.service.store.load_desired()
        people = {p.person_id: p for p in desired.people}
        account_ids = {r.plan.account_id for r in reports}
        for person_id in sorted(changed):
            person = people.get(person_id)
            if person is not None:
                self._onboarding_mail(person, desired, account_ids)
        if not desired.settings.send_credentials:
            return
        accounts = {a.account_id: a for a in desired.accounts}
        for report in reports:
            for result in report.results:
                action = result.action
                if isinstance(action, CreateUser) and result.outcome is Outcome.DONE:
                    person = people.get(action.person_id)
                    account = accounts.get(action.account_id)
                    if person is not None and account is not None:
                        self.send_credentials(account, person, action.email)

    def _onboarding_mail(self, person: Person, desired: DesiredState, account_ids: set[str]) -> None:
        ready = {
            record.email.lower()
            for account_id in account_ids
            for record in self.service.store.load_records(account_id).values()
            if record.person_id == person.person_id and record.status is AccountStatus.PROVISIONED
        }
        mine, _ = expand(desired.accounts, [person], desired.settings)
        accounts = [d for d in mine if d.email.lower() in ready]
        if accounts:
            new = self.outbox.enqueue([onboarding(person, accounts)])
            log.info("onboarding mail", extra={"person_id": person.person_id, "queued": new})

    def send_credentials(self, account: ResellerAccount, person: Person, email: str) -> bool:
        """A fresh password set now and mailed now; on failure only the address is kept for a retry."""
        ctx = {"account_id": account.account_id, "person_id": person.person_id, "email": email}
        try:
            secret = self.passwords()
            self.service.workspaces(account).update_user(
                email, {"password": secret, "changePasswordAtNextLogin": True}
            )
            send_direct(self.mailer, credentials(person, email, secret))
        except (MailError, WorkspaceError) as error:
            self.due.add(account.account_id, person.person_id, email, f"{type(error).__name__}: {error}")
            log.warning("credentials not delivered; retried later", extra={**ctx, "error": str(error)})
            return False
        self.due.remove(email)
        log.info("credentials mailed", extra=ctx)
        return True

    def drain(self, limit: int = 50) -> dict[str, int]:
        """Send queued mail, then retry credentials that could not be mailed before."""
        result = drain(self.outbox, self.mailer, limit)
        retried = 0
        pending = self.due.due(limit)
        if pending:
            desired = self.service.store.load_desired()
            people = {p.person_id: p for p in desired.people if p.active}
            accounts = {a.account_id: a for a in desired.accounts}
            for account_id, person_id, email in pending:
                person, account = people.get(person_id), accounts.get(account_id)
                if person is None or account is None or not desired.settings.send_credentials:
                    self.due.remove(email)  # left the roster, or credentials were switched off
                elif self.send_credentials(account, person, email):
                    retried += 1
        counts = {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}
        return {**counts, "credentials": retried}
