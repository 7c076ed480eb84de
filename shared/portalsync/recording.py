"""What each person × domain record says after a run, derived from what is really there (pure).

Records are written from the tenant as re-observed after apply, not from what apply hoped for: an account is
`provisioned` only when it exists, holds the portal role and its license, and the re-plan has nothing left to
do for it. Only records that changed come back, so a converged account costs no write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from portalsync.actions import CreateUser, EnsureLicense, Finding, FindingKind, Plan, SuspendUser
from portalsync.model import DesiredAccount, ResellerAccount, Settings
from portalsync.observed import ObservedAccount, Subscription
from portalsync.records import AccountObservation, AccountStatus, ProvisioningRecord, Wanted
from portalsync.results import ActionResult, Outcome
from portalsync.roles import resolve_role

#: account-level findings that keep everyone not yet provisioned from getting there
BLOCKING = (
    FindingKind.CI_FREE_NOT_SUBSCRIBED,
    FindingKind.CI_FREE_CAP_REACHED,
    FindingKind.ROLE_UNRESOLVABLE,
    FindingKind.PRIVILEGES_UNRESOLVABLE,
    FindingKind.ACCOUNT_UNREACHABLE,
)


@dataclass(frozen=True)
class RunOutcome:
    """Everything one run learned about one account."""

    account: ResellerAccount
    settings: Settings
    desired: Sequence[DesiredAccount]  # this account's, within the run's scope
    observed: ObservedAccount  # after apply (or the first observation when nothing was applied)
    replan: Plan  # what would still be done now
    results: Sequence[ActionResult]
    findings: Sequence[Finding]


def _by_email(items: Iterable[ActionResult]) -> dict[str, list[ActionResult]]:
    out: dict[str, list[ActionResult]] = {}
    for result in items:
        email = getattr(result.action, "email", None)
        if email:
            out.setdefault(str(email).lower(), []).append(result)
    return out


def changed_records(
    run: RunOutcome, previous: Mapping[str, ProvisioningRecord], now: str
) -> list[ProvisioningRecord]:
    """The records of `run.desired` (and of removals) whose content differs from `previous`."""
    results = _by_email(run.results)
    remaining = {str(getattr(a, "email", "")).lower() for a in run.replan.actions}
    role, _, _ = resolve_role(run.account, run.observed, run.settings)
    accepted = role.accepted_ids if role else frozenset()
    held = {str(getattr(a, "email", "")).lower() for a in run.replan.held_removals}
    blocking = next((f.detail for f in run.findings if f.kind in BLOCKING), None)
    per_email = {f.email.lower(): f for f in run.findings if f.email}
    out: list[ProvisioningRecord] = []

    def keep(record: ProvisioningRecord) -> None:
        old = previous.get(record.key)
        if old is None or not old.same_as(record):
            out.append(replace(record, updated_at=now))

    for d in run.desired:
        email = d.email.lower()
        old = previous.get(f"{d.person_id}@{d.domain}")
        mine = results.get(email, [])
        user = run.observed.users.get(email)
        user_id = (
            (user.id if user else None)
            or next((r.user_id for r in mine if r.user_id), None)
            or run.observed.known_ids.get(email)
            or (old.user_id if old and old.email == email else None)
        )
        has_role = user_id is not None and any(
            a.user_id == user_id and a.role_id in accepted for a in run.observed.assignments
        )
        licensed = (
            d.own_account
            or run.observed.ci_free is not Subscription.SUBSCRIBED
            or email in run.observed.ci_free_holders
        )
        exists = user_id is not None and (d.own_account or (user is not None and not user.suspended))
        finding = per_email.get(email)
        failed = next((r for r in mine if r.outcome is Outcome.FAILED), None)
        status, error = AccountStatus.PENDING, None
        if (finding and finding.kind is FindingKind.ACCOUNT_CONFLICT) or any(
            r.outcome is Outcome.CONFLICT for r in mine
        ):
            status, error = AccountStatus.CONFLICT, finding.detail if finding else mine[-1].detail
        elif exists and has_role and licensed and email not in remaining:
            status = AccountStatus.PROVISIONED
        elif failed is not None:
            status, error = AccountStatus.FAILED, failed.detail
        else:
            error = (finding.detail if finding else None) or blocking or _waiting(run.replan, email)
        attempts = 0
        if status is AccountStatus.FAILED:
            attempts = (old.attempts if old else 0) + 1
        elif status is not AccountStatus.PROVISIONED and old is not None:
            attempts = old.attempts
        last = mine[-1].count_key if mine else (old.last_action if old else None)
        seen = AccountObservation(
            exists=user is not None or (d.own_account and user_id is not None),
            suspended=user is not None and user.suspended,
            licensed=licensed,
            has_role=has_role,
        )
        keep(
            ProvisioningRecord(
                d.account_id,
                d.person_id,
                d.domain,
                email,
                status,
                user_id=user_id,
                own_account=d.own_account,
                last_action=last,
                last_error=error,
                attempts=attempts,
                desired=Wanted.ACTIVE,
                observed=seen,
                first_seen_at=(old.first_seen_at if old else None) or now,
                last_attempt_at=now if mine else (old.last_attempt_at if old else None),
                updated_at=old.updated_at if old else None,
            )
        )
    wanted = {f"{d.person_id}@{d.domain}" for d in run.desired}
    for key, old in previous.items():
        if key in wanted:
            continue
        mine = results.get(old.email, [])
        if mine:
            old = replace(old, last_action=mine[-1].count_key, last_attempt_at=now)
        if old.own_account:
            _role_taken_back(old, run, mine, accepted, keep)
        elif old.status is not AccountStatus.SUSPENDED:
            _removed(old, run, mine, held, accepted, keep)
    return out


def _seen(record: ProvisioningRecord, run: RunOutcome, accepted: frozenset[str]) -> AccountObservation:
    """A record's account as observed now, when it is not desired (so outside the desired loop)."""
    user = run.observed.users.get(record.email)
    user_id = user.id if user is not None else record.user_id
    has_role = user_id is not None and any(
        a.user_id == user_id and a.role_id in accepted for a in run.observed.assignments
    )
    return AccountObservation(
        exists=user is not None or (record.own_account and user_id is not None),
        suspended=user is not None and user.suspended,
        licensed=record.own_account or record.email in run.observed.ci_free_holders,
        has_role=has_role,
    )


def _role_taken_back(
    record: ProvisioningRecord,
    run: RunOutcome,
    mine: list[ActionResult],
    accepted: frozenset[str],
    keep: Callable[[ProvisioningRecord], None],
) -> None:
    """An own account nobody wants any more: only the role portalsync gave it is revoked."""
    failed = next((r.detail for r in mine if r.outcome is Outcome.FAILED), None)
    error = failed if mine else record.last_error
    keep(replace(record, desired=Wanted.REMOVED, observed=_seen(record, run, accepted), last_error=error))


def _removed(
    record: ProvisioningRecord,
    run: RunOutcome,
    mine: list[ActionResult],
    held: set[str],
    accepted: frozenset[str],
    keep: Callable[[ProvisioningRecord], None],
) -> None:
    """A record nobody wants any more: suspended, held back by the guard, or on its way out."""
    user = run.observed.users.get(record.email)
    suspended = (user is not None and user.suspended) or any(
        isinstance(r.action, SuspendUser) and r.ok for r in mine
    )
    if suspended:
        status, error = AccountStatus.SUSPENDED, None
    elif record.email in held:
        status = AccountStatus.HELD
        why = [f for f in run.findings if f.email == record.email and f.kind is FindingKind.INVALID_INPUT]
        why += [f for f in run.findings if f.kind is FindingKind.REMOVAL_GUARD]
        error = why[0].detail if why else None
    elif user is None:
        return  # not in the OU any more and not ours to judge: left as it was
    else:
        status, error = AccountStatus.PENDING, "removal pending"
    keep(
        replace(
            record,
            status=status,
            last_error=error,
            desired=Wanted.REMOVED,
            observed=_seen(record, run, accepted),
        )
    )


def _waiting(plan: Plan, email: str) -> str | None:
    steps = sorted({type(a).__name__ for a in plan.actions if getattr(a, "email", "").lower() == email})
    return f"waiting for: {', '.join(steps)}" if steps else None


def missing_licenses(account_id: str, replan: Plan, results: Sequence[ActionResult]) -> list[Finding]:
    """Managed accounts the re-observation still shows without Cloud Identity Free (the subscription is
    there, or the planner would not license them): the admin assigns it by hand (`ci_free_missing`).

    Left out: an address whose failure already raised a finding (one report each), an account created
    this run (its license is Google's to assign; the next run plans it) and a license Google just
    inserted (the list may not show it yet)."""
    reported = {str(getattr(r.action, "email", "")).lower() for r in results if r.finding is not None}
    fresh = {
        r.action.email.lower()
        for r in results
        if isinstance(r.action, CreateUser | EnsureLicense) and r.outcome is Outcome.DONE
    }
    return [
        Finding(
            FindingKind.CI_FREE_MISSING,
            account_id,
            f"{a.email} holds no Cloud Identity Free license after applying",
            domain=a.email.rsplit("@", 1)[1],
            person_id=a.person_id,
            email=a.email,
        )
        for a in replan.actions
        if isinstance(a, EnsureLicense) and a.email.lower() not in reported | fresh
    ]


def result_finding(account_id: str, result: ActionResult) -> Finding:
    """The finding an action's failure raises, pinned to its person and domain."""
    email = getattr(result.action, "email", None)
    assert result.finding is not None
    return Finding(
        result.finding,
        account_id,
        f"{type(result.action).__name__} failed: {result.detail}",
        domain=email.rsplit("@", 1)[1] if email else None,
        person_id=getattr(result.action, "person_id", None),
        email=email,
    )
