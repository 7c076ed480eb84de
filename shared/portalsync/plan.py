"""Desired × observed → the ordered actions that converge one reseller account, and what needs a human (pure).

Level-based: the plan depends only on what the tenant looks like now, so a re-run after a partial failure
plans just the rest and a converged tenant plans nothing. Accounts portalsync did not create (no externalIds
mark) are never changed; removals suspend, never delete, and a mass removal waits for an approval.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import assert_never

from portalsync.actions import (
    Action,
    AssignRole,
    CreateCustomRole,
    CreateOrgUnit,
    CreateUser,
    EnsureLicense,
    Finding,
    FindingKind,
    Plan,
    ReactivateUser,
    RevokeRole,
    SuspendUser,
    UpdateUserName,
)
from portalsync.model import DesiredAccount, ResellerAccount, Settings
from portalsync.observed import ObservedAccount, ObservedAssignment, ObservedUser, Subscription
from portalsync.ports import Approval
from portalsync.roles import TargetRole, resolve_role
from portalsync.usernames import suggest_username

_SHOWN = 10  # addresses listed in a finding's detail before "and N more"


@dataclass(frozen=True)
class UnreadInput:
    """Desired state that could not be read in full this run.

    A person whose roster document was skipped is missing from desired state without having left, so the
    removals that absence would cause are held (never applied) until the document reads again.
    """

    people: Mapping[str, str] = field(default_factory=dict)  # person id -> why their document was skipped
    everyone: str | None = None  # why no removal can be trusted this run (e.g. settings were skipped)
    owners: Mapping[str, str] = field(default_factory=dict)  # e-mail -> person id, from earlier records

    def owner(self, email: str, person_id: str | None) -> str | None:
        return person_id or self.owners.get(email)

    def why(self, email: str, person_id: str | None) -> str | None:
        """Why a removal from `email` (the person's, when known) cannot be trusted now, or None."""
        if self.everyone is not None:
            return self.everyone
        owner = self.owner(email, person_id)
        return self.people.get(owner) if owner is not None else None


def plan_account(
    account: ResellerAccount,
    desired: Sequence[DesiredAccount],
    observed: ObservedAccount,
    settings: Settings,
    approval: Approval | None = None,
    unread: UnreadInput | None = None,
) -> Plan:
    """The plan for one account. Desired accounts of other accounts are ignored; a disabled account is left
    alone (no removals either), so disabling an account is a safe way to stop touching it. Removals that
    `unread` input may explain are held with a finding each, and not counted by the guard."""
    if not account.enabled:
        return Plan(account.account_id, ())
    aid = account.account_id
    wanted: dict[str, DesiredAccount] = {}
    for d in sorted(desired, key=lambda d: (d.email, d.person_id)):
        if d.account_id == aid:
            wanted.setdefault(d.email.lower(), d)

    actions: list[Action] = []
    findings: list[Finding] = []
    if not observed.ou_exists:
        actions.append(CreateOrgUnit(aid, account.ou_path))
    role, role_actions, role_findings = resolve_role(account, observed, settings)
    actions += role_actions
    findings += role_findings

    by_user: dict[str, list[ObservedAssignment]] = {}
    for a in observed.assignments:
        by_user.setdefault(a.user_id, []).append(a)

    def has_role(user_id: str) -> bool:
        return role is not None and any(a.role_id in role.accepted_ids for a in by_user.get(user_id, ()))

    def assign(d: DesiredAccount, user_id: str | None) -> None:
        if role is not None:
            actions.append(AssignRole(aid, d.person_id, d.email, user_id, role.role_id, role.name))

    not_created: list[str] = []
    for email, d in wanted.items():
        user = observed.users.get(email)
        if d.own_account:
            user_id = user.id if user is not None else observed.known_ids.get(email)
            if user_id is None or not has_role(user_id):
                assign(d, user_id)
        elif (user is None and email in observed.conflicts) or (user is not None and not user.managed):
            findings.append(_conflict(d, observed, wanted, settings))
        elif user is not None and _someone_elses(user, d):
            findings.append(_conflict(d, observed, wanted, settings, owner=user.person_id))
        elif user is None:
            if observed.ci_free is Subscription.NOT_SUBSCRIBED:
                not_created.append(email)
                continue
            actions.append(
                CreateUser(
                    aid,
                    d.person_id,
                    d.domain,
                    email,
                    d.given_name,
                    d.family_name,
                    d.recovery_email,
                    account.ou_path,
                    d.username,
                )
            )
            assign(d, None)
        else:
            if user.suspended:
                actions.append(ReactivateUser(aid, d.person_id, email, user.id))
            if (user.given_name, user.family_name) != (d.given_name, d.family_name):
                actions.append(UpdateUserName(aid, d.person_id, email, user.id, d.given_name, d.family_name))
            if observed.ci_free is Subscription.SUBSCRIBED and email not in observed.ci_free_holders:
                actions.append(EnsureLicense(aid, d.person_id, email))
            if not has_role(user.id):
                assign(d, user.id)

    if observed.ci_free is Subscription.NOT_SUBSCRIBED and any(not d.own_account for d in wanted.values()):
        findings.append(
            Finding(
                FindingKind.CI_FREE_NOT_SUBSCRIBED,
                aid,
                f"Cloud Identity Free is not subscribed: {_listed(not_created)} not created"
                if not_created
                else "Cloud Identity Free is not subscribed: portal accounts hold no Cloud Identity license",
            )
        )
    paid = sorted(
        u.email for u in observed.users.values() if u.managed and u.email in observed.paid_license_holders
    )
    if paid:
        findings.append(
            Finding(
                FindingKind.PAID_LICENSE_ASSIGNED,
                aid,
                f"automatic licensing is on for {account.ou_path}: {_listed(paid)} hold a paid license",
            )
        )

    every = _removals(account, observed, wanted, role, by_user)
    unsure = _unsure(aid, observed, every, unread or UnreadInput())
    findings += unsure.values()
    held: list[RevokeRole | SuspendUser] = [r for r in every if r.email in unsure]
    removals = [r for r in every if r.email not in unsure]
    quarantined = False
    if removals:
        removed = len({r.email for r in removals})
        limit = _removal_limit(observed, settings)
        allowed = approval is not None and approval.account_id == aid and approval.max_removals >= removed
        if removed > limit and not allowed:
            held += removals
            quarantined = True
            findings.append(_guard_finding(aid, removed, limit, settings))
        else:
            actions += removals
    held.sort(key=_removal_order)
    return Plan(
        aid,
        tuple(sorted(actions, key=_phase)),
        tuple(findings),
        quarantined=quarantined,
        held_removals=tuple(held),
    )


def _removal_order(action: RevokeRole | SuspendUser) -> tuple[int, str]:
    return _phase(action), action.email


def _unsure(
    account_id: str,
    observed: ObservedAccount,
    removals: Sequence[RevokeRole | SuspendUser],
    unread: UnreadInput,
) -> dict[str, Finding]:
    """The removals unread input may explain, by e-mail, each with the finding that says why it waits."""
    out: dict[str, Finding] = {}
    for email in sorted({r.email for r in removals}):
        marked = next((r.person_id for r in removals if r.email == email), None)
        why = unread.why(email, marked)
        if why is None:
            continue
        person = unread.owner(email, marked)
        out[email] = Finding(
            FindingKind.INVALID_INPUT,
            account_id,
            f"{email} is not suspended and keeps its role: {why}. It is removed only once that is fixed "
            f"(or the person's document is deleted or marked inactive).",
            domain=email.rsplit("@", 1)[1],
            person_id=person,
            email=email,
        )
    return out


def _removals(
    account: ResellerAccount,
    observed: ObservedAccount,
    wanted: dict[str, DesiredAccount],
    role: TargetRole | None,
    by_user: dict[str, list[ObservedAssignment]],
) -> list[RevokeRole | SuspendUser]:
    """portalsync's own accounts in the OU that nobody wants any more: revoke the portal role, suspend.

    A person's own Workspace account that portalsync gave the role to and nobody wants as such any more only
    loses that role: it is not portalsync's account to suspend.
    """
    out: list[RevokeRole | SuspendUser] = []
    if role is not None and role.role_id is not None:
        for email, user_id in sorted(observed.own_grants.items()):
            d = wanted.get(email)
            user = observed.users.get(email)
            if (d is not None and d.own_account) or (user is not None and user.managed):
                continue
            for a in sorted(by_user.get(user_id, ()), key=lambda a: a.assignment_id):
                if a.role_id == role.role_id:
                    out.append(RevokeRole(account.account_id, None, email, user_id, a.assignment_id))
    for user in sorted(observed.users.values(), key=lambda u: u.email):
        if not user.managed or not _in_ou(user, account.ou_path):
            continue
        d = wanted.get(user.email)
        if d is not None and not _someone_elses(user, d):
            continue
        pid = user.person_id
        if role is not None and role.role_id is not None:
            for a in sorted(by_user.get(user.id, ()), key=lambda a: a.assignment_id):
                if a.role_id == role.role_id:
                    out.append(RevokeRole(account.account_id, pid, user.email, user.id, a.assignment_id))
        if not user.suspended:
            out.append(SuspendUser(account.account_id, pid, user.email, user.id))
    return out


def _someone_elses(user: ObservedUser, d: DesiredAccount) -> bool:
    """A managed account portalsync made for another person: never reactivated or renamed for `d`."""
    return user.managed and user.person_id is not None and user.person_id != d.person_id


def _in_ou(user: ObservedUser, ou_path: str) -> bool:
    path, ou = user.org_unit_path.lower(), ou_path.lower()
    return path == ou or path.startswith(ou + "/")


def _removal_limit(observed: ObservedAccount, settings: Settings) -> int:
    """max(count, percent of active managed users), the percent rounded up and computed without float error.

    Suspended accounts are left out: they pile up over the years and would otherwise let ever larger
    removals through.
    """
    managed = sum(1 for u in observed.users.values() if u.managed and not u.suspended)
    share = math.ceil(Fraction(str(settings.guard_max_percent)) * managed / 100)
    return max(settings.guard_max_count, share)


def _guard_finding(account_id: str, removed: int, limit: int, settings: Settings) -> Finding:
    return Finding(
        FindingKind.REMOVAL_GUARD,
        account_id,
        f"{removed} accounts would be suspended, more than the limit of {limit} "
        f"(the larger of guard_max_count={settings.guard_max_count} and "
        f"guard_max_percent={settings.guard_max_percent:g}% of active managed users); nothing was removed. "
        f"If the roster is right, record an approval for account {account_id!r} with max_removals >= "
        f"{removed} and run the sync again.",
    )


def _conflict(
    d: DesiredAccount,
    observed: ObservedAccount,
    wanted: dict[str, DesiredAccount],
    settings: Settings,
    owner: str | None = None,
) -> Finding:
    """The address is someone else's account: leave it alone and propose a free username override.

    `owner` is the person portalsync made the account for, when that is not `d`'s person.
    """
    base = d.username or d.email.rsplit("@", 1)[0]
    suggestion = suggest_username(
        base, d.domain, settings.naming_template, lambda email: _taken(email, observed, wanted)
    )
    where = (
        f'set username_overrides["{d.domain}"] = "{suggestion}" on roster entry {d.person_id} '
        f"(Person.username_overrides)"
        if suggestion
        else f"choose a free username for {d.domain} in username_overrides of roster entry {d.person_id}"
    )
    return Finding(
        FindingKind.ACCOUNT_CONFLICT,
        d.account_id,
        (
            f"{d.email} is the portal account portalsync made for {owner}; it is not reactivated or renamed "
            f"for {d.person_id}. To give {d.person_id} a portal account on {d.domain}, {where}."
            if owner
            else f"{d.email} is an account portalsync does not manage; it is left untouched. To give "
            f"{d.person_id} a portal account on {d.domain}, {where}."
        ),
        domain=d.domain,
        person_id=d.person_id,
        email=d.email,
        suggestion=suggestion,
    )


def _taken(email: str, observed: ObservedAccount, wanted: dict[str, DesiredAccount]) -> bool:
    return email in observed.users or email in observed.conflicts or email in wanted


def _listed(emails: Iterable[str]) -> str:
    items = list(emails)
    shown = ", ".join(items[:_SHOWN])
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return f"{len(items)} account(s) ({shown}{more})"


def _phase(action: Action) -> int:
    """Where an action goes in a plan: what it needs comes before it (stable within a phase)."""
    match action:
        case CreateOrgUnit():
            return 0
        case CreateCustomRole():
            return 1
        case CreateUser():
            return 2
        case ReactivateUser() | UpdateUserName():
            return 3
        case EnsureLicense():
            return 4
        case AssignRole():
            return 5
        case RevokeRole():
            return 6
        case SuspendUser():
            return 7
        case _:
            assert_never(action)
