"""Welcoming people who just got portal access: one onboarding mail, then first-sign-in credentials.

An account created or reactivated (or a person's own account given the role) is marked due a welcome in
`Welcomes`. The onboarding mail lists the person's provisioned accounts, across every reseller account, that
no earlier mail listed, and marks them welcomed, so a later repair (a role, a license, a rename) never
welcomes anyone again. When it goes out depends on the trigger: an onboarding or a single account's sync
welcomes right after the run; a nightly run welcomes once its whole run group has finished (`welcome_due`),
so someone new on several reseller accounts gets one mail listing all of them. The mail goes through the
outbox; its id names the person, the addresses and the due markings, so a retried run queues nothing new
while a reactivation (a new marking) is welcomed again.

Credentials: the moment an account is created its address (never a password) is recorded as due. Right
after the run, and on every drain, due addresses are claimed (one sender each, for a lease), a fresh random
password is set with `changePasswordAtNextLogin` and mailed at once, outside the outbox, so no password is
ever stored; success removes the address, a failure leaves it due after a backoff, and the next try makes
another password. A crash between creating the account and mailing therefore costs a retry, not a password
nobody knows. Without a configured sender nothing is claimed and no password is reset.
`Settings.send_credentials` turns the step off for resellers whose staff sign in by SSO.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence

from portalsync.actions import AssignRole, CreateUser, Finding, FindingKind, ReactivateUser
from portalsync.desired import expand
from portalsync.errors import WorkspaceError
from portalsync.flow_ports import CredentialsDue, Welcome, Welcomes
from portalsync.mail import credentials, onboarding
from portalsync.mail.delivery import MailError, drain, send_direct
from portalsync.mail.message import MailMessage
from portalsync.model import Person, ResellerAccount, Settings
from portalsync.ports import DesiredState, Mailer, Outbox
from portalsync.records import AccountStatus, ProvisioningRecord
from portalsync.results import Outcome, PasswordFactory, random_password
from portalsync.service import AccountReport, Service, find_person

log = logging.getLogger("portalsync.onboarding")

WELCOMED = "welcomed"
#: the account id of alerts about portalsync's own mail, which belongs to no reseller account
MAIL_SCOPE = "mail"


class Onboarding:
    def __init__(
        self,
        service: Service,
        outbox: Outbox,
        mailer: Mailer,
        due: CredentialsDue,
        welcomes: Welcomes,
        passwords: PasswordFactory = random_password,
    ) -> None:
        self.service, self.outbox, self.mailer, self.due = service, outbox, mailer, due
        self.welcomes, self.passwords = welcomes, passwords
        service.on_created = self._created

    @property
    def can_mail(self) -> bool:
        """False without a configured sender: resetting a password that cannot be mailed helps nobody."""
        return _configured(self.mailer)

    def _bound(self) -> Mailer:
        """The mailer with its sender decided once (`for_now`), for one drain or batch of credentials."""
        for_now = getattr(self.mailer, "for_now", None)
        return for_now() if callable(for_now) else self.mailer

    def _created(self, action: CreateUser, settings: Settings) -> None:
        """Remembered at creation: a crash before the mails leaves a retry, not a lost password."""
        welcome = Welcome(action.person_id, action.account_id, action.domain, action.email)
        self.welcomes.mark_due([welcome], again=True)
        if settings.send_credentials:
            self.due.add(action.account_id, action.person_id, action.email)

    def onboard(
        self, person_key: str, trigger: str = "onboard", desired: DesiredState | None = None
    ) -> list[AccountReport]:
        """Provision one person on all their domains, then welcome them (raises LookupError if unknown).
        The desired state is read once (or is the caller's `desired`) and used by every step."""
        state = desired if desired is not None else self.service.store.load_desired()
        person = find_person(state, person_key)
        reports = self.service.onboard(person.person_id, trigger, state)
        self.after_run(reports, welcome_now={person.person_id}, desired=state)
        return reports

    def after_run(
        self,
        reports: Sequence[AccountReport],
        welcome_now: Iterable[str] = (),
        desired: DesiredState | None = None,
    ) -> int:
        """Mark what the runs created or reactivated as due a welcome, welcome those people (and
        `welcome_now`: an onboarding retried after a crash has nothing new to mark), mail credentials;
        how many onboarding mails were queued. The desired state is the runs' (read at most once)."""
        state = self._state(reports, desired)
        touched = self._mark_due(reports, state)
        welcomed = self.welcome_due(set(welcome_now) | touched, state)
        self._credentials(reports, state)
        return welcomed

    def after_group_run(self, report: AccountReport) -> None:
        """One account of a nightly run group: welcomes wait for the group (`welcome_due`)."""
        state = self._state([report], None)
        self._mark_due([report], state)
        self._credentials([report], state)

    def _state(self, reports: Sequence[AccountReport], desired: DesiredState | None) -> DesiredState:
        if desired is not None:
            return desired
        for report in reports:
            if report.desired is not None:
                return report.desired
        return self.service.store.load_desired()

    def _mark_due(self, reports: Sequence[AccountReport], desired: DesiredState) -> set[str]:
        domains = {d.email.lower(): d for d in expand(desired.accounts, desired.people, desired.settings)[0]}
        again: list[Welcome] = []
        first: list[Welcome] = []
        touched: set[str] = set()
        for report in reports:
            for result in report.results:
                action = result.action
                if result.outcome is not Outcome.DONE:
                    continue
                wanted = domains.get(str(getattr(action, "email", "")).lower())
                if wanted is None or wanted.person_id != getattr(action, "person_id", None):
                    continue
                welcome = Welcome(wanted.person_id, wanted.account_id, wanted.domain, wanted.email)
                if isinstance(action, CreateUser):
                    touched.add(welcome.person_id)  # marked due when it was created (`_created`)
                elif isinstance(action, ReactivateUser):
                    again.append(welcome)
                elif isinstance(action, AssignRole) and wanted.own_account:
                    first.append(welcome)  # a role repair on an own account welcomed before: nothing
        if again:
            self.welcomes.mark_due(again, again=True)
        if first:
            self.welcomes.mark_due(first, again=False)
        return touched | {w.person_id for w in again + first}

    def welcome_due(self, people: Iterable[str] | None = None, desired: DesiredState | None = None) -> int:
        """One onboarding mail per person due a welcome (all of them when `people` is None); how many.
        `desired`: the state already loaded by this invocation (else read here, only if someone is due)."""
        due = self.welcomes.due_people()
        chosen = due if people is None else due & set(people)
        if not chosen:
            return 0
        if desired is None:
            desired = self.service.store.load_desired()
        by_id = {p.person_id: p for p in desired.people if p.active}
        records: dict[str, dict[str, ProvisioningRecord]] = {}
        sent = 0
        for person_id in sorted(chosen):
            person = by_id.get(person_id)
            states = self.welcomes.states(person_id)
            if person is None:
                self.welcomes.forget(person_id, [k for k, s in states.items() if s != WELCOMED])
                continue
            sent += self._onboarding_mail(person, desired, states, records)
        return sent

    def _onboarding_mail(
        self,
        person: Person,
        desired: DesiredState,
        states: dict[str, str],
        records: dict[str, dict[str, ProvisioningRecord]],
    ) -> int:
        mine, _ = expand(desired.accounts, [person], desired.settings)
        for account_id in {d.account_id for d in mine} - records.keys():
            records[account_id] = self.service.store.load_records(account_id)
        ready = [
            d
            for d in mine
            if (r := records[d.account_id].get(f"{d.person_id}@{d.domain}")) is not None
            and r.status is AccountStatus.PROVISIONED
            and r.email.lower() == d.email.lower()
            and states.get(f"{d.person_id}@{d.domain}") != WELCOMED
        ]
        wanted = {f"{d.person_id}@{d.domain}" for d in mine}
        gone = [k for k, s in states.items() if s != WELCOMED and k not in wanted]
        if gone:
            self.welcomes.forget(person.person_id, gone)
        if not ready:
            return 0  # still being provisioned: welcomed once it is
        tokens = sorted(states.get(f"{d.person_id}@{d.domain}", "") for d in ready)
        mail = onboarding(person, ready, batch=hashlib.sha256(",".join(tokens).encode()).hexdigest()[:12])
        new = self.outbox.enqueue([mail])
        self.welcomes.mark_welcomed(person.person_id, [f"{d.person_id}@{d.domain}" for d in ready])
        log.info(
            "onboarding mail", extra={"person_id": person.person_id, "accounts": len(ready), "queued": new}
        )
        return 1

    def _credentials(self, reports: Sequence[AccountReport], desired: DesiredState) -> None:
        """Mail the accounts these runs created; each is claimed first, so a drain racing us skips it."""
        created = [
            r.action.email
            for report in reports
            for r in report.results
            if isinstance(r.action, CreateUser) and r.outcome is Outcome.DONE
        ]
        mailer = self._bound() if created else self.mailer
        if created and _configured(mailer):
            self._send_due(self.due.claim(len(created), created), mailer, desired)

    def _send_due(
        self,
        claimed: Sequence[tuple[str, str, str]],
        mailer: Mailer,
        desired: DesiredState | None = None,
    ) -> int:
        if not claimed:
            return 0
        if desired is None:
            desired = self.service.store.load_desired()
        people = {p.person_id: p for p in desired.people if p.active}
        accounts = {a.account_id: a for a in desired.accounts}
        sent = 0
        for account_id, person_id, email in claimed:
            person, account = people.get(person_id), accounts.get(account_id)
            if person is None or account is None or not desired.settings.send_credentials:
                self.due.remove(email)  # left the roster, or credentials were switched off
            elif self.send_credentials(account, person, email, mailer):
                sent += 1
        return sent

    def send_credentials(
        self, account: ResellerAccount, person: Person, email: str, mailer: Mailer | None = None
    ) -> bool:
        """A fresh password set now and mailed now (the caller holds the claim); on failure only the
        address stays, due again after a backoff, when another fresh password is made."""
        ctx = {"account_id": account.account_id, "person_id": person.person_id, "email": email}
        try:
            secret = self.passwords()
            self.service.workspaces(account).update_user(
                email, {"password": secret, "changePasswordAtNextLogin": True}
            )
            send_direct(mailer or self.mailer, credentials(person, email, secret))
        except (MailError, WorkspaceError) as error:
            self.due.retry_later(email, f"{type(error).__name__}: {error}")
            if isinstance(error, MailError) and error.permanent:
                self.undeliverable(credentials(person, email, ""), error)  # no password in the alert
            log.warning("credentials not delivered; retried later", extra={**ctx, "error": str(error)})
            return False
        self.due.remove(email)
        log.info("credentials mailed", extra=ctx)
        return True

    def undeliverable(self, message: MailMessage, error: MailError) -> None:
        """A mail refused for good: an alert with the console steps, since no retry will fix it."""
        to = ", ".join(message.to)
        domain = message.to[0].rsplit("@", 1)[-1] if message.to else None
        detail = f"{message.kind.value} mail to {to} refused: {error}"
        finding = Finding(FindingKind.MAIL_UNDELIVERABLE, MAIL_SCOPE, detail, domain=domain, email=to)
        self.service.findings.raise_findings([finding])

    def drain(self, limit: int = 50) -> dict[str, int]:
        """Send queued mail, then credentials still due (none without a configured sender)."""
        mailer = self._bound()  # the sender is decided once per drain, not per message
        result = drain(self.outbox, mailer, limit, self.undeliverable)
        retried = self._send_due(self.due.claim(limit), mailer) if _configured(mailer) else 0
        counts = {"sent": result.sent, "retrying": result.retrying, "failed": result.failed}
        return {**counts, "credentials": retried}


def _configured(mailer: Mailer) -> bool:
    return bool(getattr(mailer, "configured", True))
