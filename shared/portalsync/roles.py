"""Which of a tenant's roles opens the Customer Care Portal, and which assignments already count (pure).

Role ids differ per customer and Google does not publish the reseller privileges' API names, so roles are
found by configurable name and a custom role is created from privilege names that apply resolves through
privileges.list. Legacy support roles also open the portal: holding one counts, but they are never revoked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portalsync.actions import Action, CreateCustomRole, Finding, FindingKind
from portalsync.model import ResellerAccount, Settings
from portalsync.observed import ObservedAccount, ObservedRole


@dataclass(frozen=True)
class TargetRole:
    """The role portalsync assigns; `role_id` is None while the custom role is still to be created."""

    role_id: str | None
    name: str
    accepted_ids: frozenset[str]  # an assignment of any of these satisfies a person


def accepted_roles(
    account: ResellerAccount, roles: Sequence[ObservedRole], settings: Settings
) -> list[ObservedRole]:
    """The listed roles whose assignments count: the target role, if it exists, and the legacy roles.

    The one choice of the portal role: the adapter lists assignments of these roles only, and `resolve_role`
    picks the same target, so a role found by the RESELLER fallback has its assignments observed too.
    """
    target = _target(account, roles, settings)
    ids = {r.role_id for r in _legacy(roles, settings)} | ({target.role_id} if target else set())
    return [r for r in roles if r.role_id in ids]


def resolve_role(
    account: ResellerAccount, observed: ObservedAccount, settings: Settings
) -> tuple[TargetRole | None, list[Action], list[Finding]]:
    """The target role, the action that creates it if needed, and findings; None when it cannot be found."""
    legacy = frozenset(r.role_id for r in _legacy(observed.roles, settings))
    aid = account.account_id
    found = _target(account, observed.roles, settings)
    if account.role.kind == "reseller_admin":
        if found is None:
            names = ", ".join(settings.reseller_admin_role_names)
            return (
                None,
                [],
                [
                    Finding(
                        FindingKind.ROLE_UNRESOLVABLE,
                        aid,
                        f"no system role named {names} (nor one with RESELLER in its name) among "
                        f"{len(observed.roles)} roles; no role was assigned or revoked",
                    )
                ],
            )
        return TargetRole(found.role_id, found.name, legacy | {found.role_id}), [], []

    name = account.role.custom_role_name
    privileges = (settings.view_customers_privilege, settings.support_cases_privilege)
    existing = found  # the custom role, by name
    if existing is None:
        return TargetRole(None, name, legacy), [CreateCustomRole(aid, name, privileges)], []
    missing = [p for p in privileges if p not in existing.privilege_names]
    findings = []
    if missing:
        findings.append(
            Finding(
                FindingKind.PRIVILEGES_UNRESOLVABLE,
                aid,
                f"role {name!r} lacks {', '.join(missing)}: its holders cannot open the portal",
            )
        )
    return TargetRole(existing.role_id, name, legacy | {existing.role_id}), [], findings


def _target(
    account: ResellerAccount, roles: Sequence[ObservedRole], settings: Settings
) -> ObservedRole | None:
    """The listed role portalsync assigns: Reseller Admin (by name, else the fallback) or the custom role."""
    if account.role.kind == "reseller_admin":
        return _reseller_admin(roles, settings)
    return next((r for r in roles if r.name == account.role.custom_role_name), None)


def _legacy(roles: Sequence[ObservedRole], settings: Settings) -> list[ObservedRole]:
    return [r for r in roles if r.name in settings.legacy_role_names]


def _reseller_admin(roles: Sequence[ObservedRole], settings: Settings) -> ObservedRole | None:
    system = {r.name: r for r in roles if r.is_system}
    for name in settings.reseller_admin_role_names:
        if name in system:
            return system[name]
    fallback = sorted(n for n in system if "RESELLER" in n.upper() and n not in settings.legacy_role_names)
    return system[fallback[0]] if fallback else None
