"""Roster × reseller accounts × domains → the Cloud Identity accounts portalsync wants (pure).

The portal only shows the customers of the reseller domain a user signed in to, so every person needs an
account on every domain they work for. A bad roster entry costs that entry, never the run: it becomes a
finding and everything else proceeds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from portalsync import names
from portalsync.actions import Finding, FindingKind
from portalsync.model import DesiredAccount, Person, ResellerAccount, Settings
from portalsync.plan import UnreadInput
from portalsync.ports import ValidationIssue
from portalsync.records import ProvisioningRecord


def expand(
    accounts: Sequence[ResellerAccount], people: Sequence[Person], settings: Settings
) -> tuple[list[DesiredAccount], list[Finding]]:
    """Each active person × each enabled account they belong to × each of its domains they work on.

    Own Workspace addresses are claimed before generated ones, so a generated address can never take a
    person's existing account; after that, the first person to want an address keeps it.
    """
    findings: list[Finding] = []
    by_id = {a.account_id: a for a in accounts}
    wanted: list[tuple[int, DesiredAccount]] = []  # (rank: 0 own address, 1 generated), in roster order
    for person in people:
        if not person.active:
            continue
        mine = _accounts_of(person, accounts, by_id, findings)
        _check_domains(person, mine, findings)
        own = person.workspace_email.lower()
        own_domain = own.rsplit("@", 1)[1]
        for account in mine:
            if not account.enabled:
                continue
            for domain in account.domains:
                if person.domains is not None and domain not in person.domains:
                    continue
                if domain == own_domain:
                    wanted.append((0, _desired(person, account, domain, own, None, own=True)))
                    continue
                username = person.username_overrides.get(domain, person.default_username)
                email = f"{settings.naming_template.format(username=username)}@{domain}".lower()
                wanted.append((1, _desired(person, account, domain, email, username, own=False)))

    claimed: dict[str, DesiredAccount] = {}
    for rank in (0, 1):
        for r, d in wanted:
            if r != rank:
                continue
            first = claimed.get(d.email)
            if first is None:
                claimed[d.email] = d
                continue
            findings.append(
                Finding(
                    FindingKind.INVALID_INPUT,
                    d.account_id,
                    f"{d.email} is wanted by both {first.person_id} and {d.person_id}; "
                    f"kept for {first.person_id}, skipped for {d.person_id}: give one of them a "
                    f"username override for {d.domain}",
                    domain=d.domain,
                    person_id=d.person_id,
                    email=d.email,
                )
            )
    position = {id(d): i for i, (_, d) in enumerate(wanted)}
    return sorted(claimed.values(), key=lambda d: position[id(d)]), findings


def _accounts_of(
    person: Person,
    accounts: Sequence[ResellerAccount],
    by_id: dict[str, ResellerAccount],
    findings: list[Finding],
) -> list[ResellerAccount]:
    if person.accounts is None:
        return list(accounts)
    mine = []
    for account_id in person.accounts:
        account = by_id.get(account_id)
        if account is None:
            findings.append(
                Finding(
                    FindingKind.INVALID_INPUT,
                    account_id,
                    f"{person.person_id} names reseller account {account_id!r}, which does not exist",
                    person_id=person.person_id,
                )
            )
        else:
            mine.append(account)
    return mine


def _check_domains(person: Person, mine: list[ResellerAccount], findings: list[Finding]) -> None:
    """A listed domain none of the person's accounts has would silently give them nothing there."""
    if person.domains is None:
        return
    known = {d for a in mine for d in a.domains}
    for domain in person.domains:
        if domain not in known:
            findings.append(
                Finding(
                    FindingKind.INVALID_INPUT,
                    "",
                    f"{person.person_id} lists domain {domain}, which none of their reseller accounts has",
                    domain=domain,
                    person_id=person.person_id,
                )
            )


def _desired(
    person: Person, account: ResellerAccount, domain: str, email: str, username: str | None, *, own: bool
) -> DesiredAccount:
    return DesiredAccount(
        account_id=account.account_id,
        person_id=person.person_id,
        domain=domain,
        email=email,
        given_name=person.given_name,
        family_name=person.family_name,
        recovery_email=person.workspace_email,
        locale=person.locale,
        own_account=own,
        username=username,
    )


def unread_input(
    issues: Sequence[ValidationIssue], records: Mapping[str, ProvisioningRecord]
) -> UnreadInput | None:
    """What the skipped documents leave unknown, for the planner to hold the removals it might explain.

    A skipped person document hides whether that person left; a skipped settings document (naming template,
    domains) makes every generated address doubtful. A skipped reseller account is not synced at all.
    """
    people: dict[str, list[str]] = {}
    everyone: list[str] = []
    for issue in issues:
        collection, _, doc_id = issue.source.partition("/")
        reason = f"{issue.source} is invalid ({issue.field}: {issue.message})"
        if collection == names.COL_PEOPLE and doc_id:
            people.setdefault(doc_id, []).append(reason)
        elif collection != names.COL_ACCOUNTS:
            everyone.append(reason)
    if not people and not everyone:
        return None
    return UnreadInput(
        people={p: "; ".join(r) for p, r in people.items()},
        everyone="; ".join(everyone) or None,
        owners={r.email: r.person_id for r in records.values()},
    )
