"""Use cases: sync one account, sync all, onboard one person, plan only, import a roster, approve removals.

Every trigger runs the same pipeline on a smaller or larger scope: load desired → expand → load records →
observe → plan → apply → re-observe and re-plan (so records say what is really there) → save changed
records → run record → findings. Built from ports by the composition root; nothing here talks to Google.

Findings go to one `FindingSink` (the notifier) at the end of every run, whatever the trigger, so alert
documents have a single writer and an alert first raised by onboarding is mailed like any other.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from portalsync import names
from portalsync.actions import REMOVALS, CreateUser, Finding, FindingKind, Plan
from portalsync.alerts import Scope
from portalsync.apply import apply_plan
from portalsync.desired import expand, unread_input
from portalsync.errors import TransientError, WorkspaceError
from portalsync.model import DesiredAccount, Person, ResellerAccount, Settings
from portalsync.observed import ObservedAccount
from portalsync.plan import plan_account
from portalsync.ports import (
    Approval,
    Clock,
    DesiredState,
    FindingSink,
    StateStore,
    ValidationIssue,
    WorkspaceFactory,
)
from portalsync.recording import RunOutcome, changed_records, missing_licenses, result_finding
from portalsync.records import AccountStatus, ProvisioningRecord, RunRecord
from portalsync.results import ActionResult, Outcome, PasswordFactory, random_password

log = logging.getLogger("portalsync.service")


@dataclass
class AccountReport:
    """One account's run: the plan as first made, what applying it did, and what was recorded."""

    run: RunRecord
    plan: Plan
    results: list[ActionResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    records: list[ProvisioningRecord] = field(default_factory=list)  # the changed ones
    record_writes: int = 0
    #: the desired state the run used: what follows it (welcomes, credentials) reuses it, not a new read
    desired: DesiredState | None = field(default=None, repr=False, compare=False)


#: the account id of alerts about the roster source, which belongs to no reseller account
ROSTER_SCOPE = "roster"
#: where the issues of a desired-state load come from; every load reads them all
DESIRED_ORIGINS = (f"{names.COL_ACCOUNTS}/", f"{names.COL_PEOPLE}/", f"{names.COL_SETTINGS}/")


@dataclass(frozen=True)
class ImportReport:
    written: int
    deactivated: tuple[str, ...]
    issues: tuple[ValidationIssue, ...]
    held_back: tuple[str, ...] = ()  # missing from the source, left active because rows were bad
    #: the desired state read before the import (its accounts and settings are still current)
    desired: DesiredState | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class _Scope:
    person_id: str | None = None  # onboarding: only this person's accounts, never removals
    dry_run: bool = False
    raise_transient: bool = True  # one account (a redelivery retries it); sync_all goes on with the next


class Service:
    def __init__(
        self,
        store: StateStore,
        workspaces: WorkspaceFactory,
        clock: Clock,
        passwords: PasswordFactory = random_password,
        *,
        findings: FindingSink,
    ) -> None:
        self.store = store
        self.workspaces = workspaces
        self.clock = clock
        self.passwords = passwords
        self.findings = findings
        #: called the moment an account is created, before anything else can fail (credentials due, a
        #: welcome); never given the password
        self.on_created: Callable[[CreateUser, Settings], None] | None = None

    def sync_all(
        self, trigger: str = "nightly", on_account: Callable[[str], None] | None = None
    ) -> list[AccountReport]:
        """Every enabled account; one that is unreachable for now (a transient error once the adapter's
        retries ran out) gets a report with `run.error` and no findings, and the others still run."""
        desired = self._desired(record=True)
        reports = []
        for account in desired.accounts:
            if self._enabled(account):
                if on_account is not None:
                    on_account(account.account_id)
                reports.append(self._run(account, desired, trigger, _Scope(raise_transient=False)))
        return reports

    def sync_account(self, account_id: str, trigger: str = "account") -> AccountReport | None:
        """None when the account is disabled (skipped, nothing written). A transient error while observing
        is raised (the caller retries: Pub/Sub redelivers); a permanent one becomes a finding."""
        desired = self._desired(record=True)
        account = _find(desired, account_id)
        return self._run(account, desired, trigger, _Scope()) if self._enabled(account) else None

    def onboard(
        self, person_key: str, trigger: str = "onboard", desired: DesiredState | None = None
    ) -> list[AccountReport]:
        """One person (by id or Workspace address) on all their domains; nobody else is touched.
        `desired`: the state the caller already loaded (read once per invocation)."""
        desired = self._desired(record=True, loaded=desired)
        person = find_person(desired, person_key)
        mine, _ = expand(desired.accounts, [person], desired.settings)
        ids = {d.account_id for d in mine}
        scope = _Scope(person_id=person.person_id)
        return [self._run(a, desired, trigger, scope) for a in desired.accounts if a.account_id in ids]

    def plan_only(self, account_id: str | None = None) -> list[AccountReport]:
        """The dry run behind `portalsync plan` and `apply --dry-run`: observe and plan, write nothing."""
        desired = self._desired(record=False)
        chosen = [_find(desired, account_id)] if account_id else desired.accounts
        scope = _Scope(dry_run=True, raise_transient=False)
        return [self._run(a, desired, "dry-run", scope) for a in chosen if a.enabled]

    def import_roster(
        self, people: Sequence[Person], issues: Sequence[ValidationIssue], origin: str | None = None
    ) -> ImportReport:
        """Upsert the source's people; those missing from it are deactivated, unless rows were bad (then a
        skipped row's person would be lost silently) — the mass-removal guard still checks what follows.
        Warnings (an ignored column) skipped nobody, so they do not hold the deactivations back.

        Leavers held back stay active, so that is an alert under `ROSTER_SCOPE`; reporting the scope after
        every import resolves it (and a source-unreadable alert) once an import reads the roster cleanly.

        `origin` names the source read in full (the file, group or sheet, as its issues' sources begin): its
        issues no longer reported are deleted. Without it nothing is deleted."""
        self.store.record_issues(issues, reread=(origin,) if origin else ())
        imported = {p.person_id for p in people}
        before = self.store.load_desired()
        missing = [p for p in before.people if p.active and p.person_id not in imported]
        bad = [issue for issue in issues if not issue.warning]
        gone = [] if bad else [p.model_copy(update={"active": False}) for p in missing]
        written = self.store.save_people([*people, *gone])
        held = tuple(p.person_id for p in missing) if bad else ()
        log.info(
            "roster imported",
            extra={
                "written": written,
                "deactivated": len(gone),
                "held_back": len(held),
                "issues": len(issues),
            },
        )
        findings = [_leavers_blocked(held, bad)] if held else []
        self.findings.report(Scope(ROSTER_SCOPE), findings)
        return ImportReport(written, tuple(p.person_id for p in gone), tuple(issues), held, before)

    def approve(self, account_id: str, max_removals: int, approved_by: str) -> Approval:
        approval = Approval(account_id, max_removals, approved_by)
        self.store.save_approval(approval)
        log.warning(
            "removals approved",
            extra={"account_id": account_id, "max_removals": max_removals, "approved_by": approved_by},
        )
        return approval

    def status(self) -> dict[str, list[ProvisioningRecord]]:
        desired = self.store.load_desired()
        return {
            a.account_id: sorted(self.store.load_records(a.account_id).values(), key=lambda r: r.key)
            for a in desired.accounts
        }

    # the pipeline ---------------------------------------------------------------------------------
    def _desired(self, *, record: bool, loaded: DesiredState | None = None) -> DesiredState:
        desired = loaded if loaded is not None else self.store.load_desired()
        if desired.issues:
            log.warning("invalid desired-state documents skipped", extra={"issues": len(desired.issues)})
        if record:  # a full load: the documents fixed since the last one lose their issues
            self.store.record_issues(desired.issues, reread=DESIRED_ORIGINS)
        return desired

    @staticmethod
    def _enabled(account: ResellerAccount) -> bool:
        if not account.enabled:
            log.info("account disabled, skipped", extra={"account_id": account.account_id})
        return account.enabled

    def _run(
        self, account: ResellerAccount, state: DesiredState, trigger: str, scope: _Scope
    ) -> AccountReport:
        report = self._run_account(account, state, trigger, scope)
        report.desired = state
        return report

    def _run_account(
        self, account: ResellerAccount, state: DesiredState, trigger: str, scope: _Scope
    ) -> AccountReport:
        aid = account.account_id
        run = RunRecord(_run_id(self.clock.now_iso()), trigger, aid, self.clock.now_iso())
        started = self.clock.monotonic()
        ctx = {"run_id": run.run_id, "account_id": aid, "trigger": trigger}
        wanted, expand_findings = expand(state.accounts, state.people, state.settings)
        desired = [d for d in wanted if d.account_id == aid]
        findings = [f for f in expand_findings if f.account_id == aid]
        if scope.person_id is not None:
            desired = [d for d in desired if d.person_id == scope.person_id]
            findings = [f for f in findings if f.person_id == scope.person_id]
        records = self.store.load_records(aid)
        known = {r.email: r.user_id for r in records.values() if r.user_id}
        conflicts = frozenset(r.email for r in records.values() if r.status is AccountStatus.CONFLICT)
        grants = {r.email: r.user_id for r in records.values() if r.granted_own_role and r.user_id}
        workspace = self.workspaces(account)
        calls_before = workspace.api_calls  # the factory may hand out an adapter that already made calls
        approval = state.approvals.get(aid)  # read with the desired state: no second read
        try:
            observed = replace(
                workspace.observe(account, state.settings, known), conflicts=conflicts, own_grants=grants
            )
        except TransientError as error:
            # the adapter's retries ran out: worth another delivery, not an alert (nor a resolution)
            log.warning("account unreachable for now", extra={**ctx, "error": str(error)})
            run.error = f"{type(error).__name__}: {error}"
            report = AccountReport(run, Plan(aid, ()))
            self._finish(report, started, workspace.api_calls - calls_before, scope, report_findings=False)
            if scope.raise_transient:
                raise
            return report
        except WorkspaceError as error:
            log.error("account unreachable", extra={**ctx, "error": str(error)})
            plan = Plan(aid, ())
            findings.append(Finding(FindingKind.ACCOUNT_UNREACHABLE, aid, f"{type(error).__name__}: {error}"))
            run.error = str(error)
            return self._finish(
                AccountReport(run, plan, findings=findings),
                started,
                workspace.api_calls - calls_before,
                scope,
            )
        plan, approved = self._plan(account, desired, observed, state, approval, scope, wanted, records)
        report = AccountReport(run, plan)
        if scope.dry_run:
            report.findings = [*findings, *plan.findings]
            return report
        hook = self.on_created

        def on_created(action: CreateUser) -> None:
            if hook is not None:
                hook(action, state.settings)

        results = (
            apply_plan(plan, workspace, self.clock, self.passwords, on_created=on_created)
            if plan.actions
            else []
        )
        replan = plan
        if results:
            if approved:
                self.store.consume_approval(aid)
            known |= {str(getattr(r.action, "email", "")).lower(): r.user_id for r in results if r.user_id}
            # automatic licensing strikes when an account is created: only then pay for the paid-license lists
            created = any(isinstance(r.action, CreateUser) and r.outcome is Outcome.DONE for r in results)
            # a conflict found now is planned like one the records know of, so the planner alone words
            # it: the run that finds it and every later one record and report the same thing
            conflicts |= {
                r.action.email.lower()
                for r in results
                if isinstance(r.action, CreateUser) and r.outcome is Outcome.CONFLICT
            }
            try:
                seen = workspace.observe(account, state.settings, known, check_paid_licenses=created)
            except WorkspaceError as error:
                log.warning("re-observation failed; records stay pending", extra={**ctx, "error": str(error)})
                seen = observed
            observed = replace(seen, conflicts=conflicts, own_grants=grants)
            replan, _ = self._plan(account, desired, observed, state, approval, scope, wanted, records)
        findings += replan.findings
        findings += [result_finding(aid, r) for r in results if r.finding is not None]
        findings += missing_licenses(aid, replan, results)
        if plan.quarantined and not replan.quarantined:
            findings += [f for f in plan.findings if f.kind is FindingKind.REMOVAL_GUARD]
        outcome = RunOutcome(account, state.settings, desired, observed, replan, results, findings)
        report.results, report.findings = results, findings
        report.records = changed_records(outcome, _scoped_records(records, scope), self.clock.now_iso())
        report.record_writes = self.store.save_records(aid, report.records)
        for result in results:
            run.counts[result.count_key] = run.counts.get(result.count_key, 0) + 1
        run.quarantined = plan.quarantined
        return self._finish(report, started, workspace.api_calls - calls_before, scope)

    def _plan(
        self,
        account: ResellerAccount,
        desired: list[DesiredAccount],
        observed: ObservedAccount,
        state: DesiredState,
        approval: Approval | None,
        scope: _Scope,
        everyone: list[DesiredAccount],
        records: dict[str, ProvisioningRecord],
    ) -> tuple[Plan, bool]:
        """The plan, and whether it needed the approval (which is then used up)."""
        if scope.person_id is None:
            unread = unread_input(state.issues, records)
            plain = plan_account(account, desired, observed, state.settings, unread=unread)
            if not plain.quarantined or approval is None:
                return plain, False
            approved = plan_account(account, desired, observed, state.settings, approval, unread)
            return approved, not approved.quarantined
        # onboarding plans against everyone's desired state (so nobody looks removable), then keeps
        # only this person's actions and the OU / role they need; removals are never part of it
        full = plan_account(
            account, [d for d in everyone if d.account_id == account.account_id], observed, state.settings
        )
        emails = {d.email.lower() for d in desired}
        actions = tuple(
            a
            for a in full.actions
            if not isinstance(a, REMOVALS) and str(getattr(a, "email", "") or "").lower() in emails | {""}
        )
        findings = tuple(
            f
            for f in full.findings
            if f.person_id in (None, scope.person_id) and f.kind is not FindingKind.REMOVAL_GUARD
        )
        return Plan(account.account_id, actions, findings), False

    def _finish(
        self,
        report: AccountReport,
        started: float,
        api_calls: int,
        scope: _Scope,
        *,
        report_findings: bool = True,
    ) -> AccountReport:
        run = report.run
        run.finished_at = self.clock.now_iso()
        run.duration_seconds = round(self.clock.monotonic() - started, 3)
        run.api_calls = api_calls
        run.findings = len({f.dedup_key for f in report.findings})
        if not scope.dry_run:
            self.store.save_run(run)
            if report_findings:
                self.findings.report(Scope(run.account_id or "", scope.person_id), report.findings)
        log.info(
            "account synced",
            extra={
                "run_id": run.run_id,
                "account_id": run.account_id,
                "trigger": run.trigger,
                "counts": run.counts,
                "api_calls": run.api_calls,
                "record_writes": report.record_writes,
                "quarantined": run.quarantined,
                "findings": run.findings,
            },
        )
        return report


def _leavers_blocked(held: Sequence[str], bad: Sequence[ValidationIssue], shown: int = 10) -> Finding:
    """Names the entries to fix and who stayed active, a few of each, so a broken file is one short alert."""

    def some(items: list[str]) -> str:
        more = f" and {len(items) - shown} more" if len(items) > shown else ""
        return ", ".join(items[:shown]) + more

    sources = list(dict.fromkeys(issue.source for issue in bad))
    people = "1 person missing" if len(held) == 1 else f"{len(held)} people missing"
    was = "was" if len(held) == 1 else "were"
    entries = "1 entry is" if len(sources) == 1 else f"{len(sources)} entries are"
    detail = (
        f"{people} from the roster's valid entries {was} not deactivated because {entries} invalid: "
        f"{some(sources)}. Left active: {some(list(held))}."
    )
    return Finding(FindingKind.ROSTER_LEAVERS_BLOCKED, ROSTER_SCOPE, detail)


def find_person(state: DesiredState, person_key: str) -> Person:
    """A roster entry by person id or Workspace address (LookupError if none)."""
    key = person_key.strip().lower()
    for person in state.people:
        if key in (person.person_id.lower(), person.workspace_email.lower()):
            return person
    raise LookupError(f"no roster entry {person_key!r}")


def _find(state: DesiredState, account_id: str) -> ResellerAccount:
    for account in state.accounts:
        if account.account_id == account_id:
            return account
    raise LookupError(f"no reseller account {account_id!r} (or its document is invalid)")


def _scoped_records(records: dict[str, ProvisioningRecord], scope: _Scope) -> dict[str, ProvisioningRecord]:
    if scope.person_id is None:
        return records
    return {k: r for k, r in records.items() if r.person_id == scope.person_id}


def _run_id(now: str) -> str:
    stamp = "".join(c for c in now[:19] if c.isdigit())
    return f"{stamp}-{uuid.uuid4().hex[:8]}"
