"""Observing one tenant with list calls only, and turning Google's resources into observed values.

A no-op sync must cost about the list pages: the OU (one get), roles (paged), the OU's users per domain,
role assignments per accepted role (the core's `roles.accepted_roles`), and the Cloud Identity Free licence
list. No per-user gets. The paid licence lists cover the whole tenant, so they are read only when asked
(after accounts were created).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from portalsync.adapters.google_calls import ApiCaller
from portalsync.errors import NotSubscribedError, PermanentError
from portalsync.model import MANAGED_MARK, ResellerAccount, Settings
from portalsync.observed import (
    ObservedAccount,
    ObservedAssignment,
    ObservedRole,
    ObservedUser,
    Subscription,
)
from portalsync.roles import accepted_roles

CI_FREE_PRODUCT = "101001"
CI_FREE_SKU = "1010010001"
USERS_PAGE = 500
ASSIGNMENTS_PAGE = 200
ROLES_PAGE = 100
LICENSES_PAGE = 1000


def _mark(resource: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for entry in resource.get("externalIds") or []:
        if (
            isinstance(entry, dict)
            and entry.get("type") == "custom"
            and entry.get("customType") == MANAGED_MARK
        ):
            return entry
    return None


def is_managed(resource: Mapping[str, Any]) -> bool:
    return _mark(resource) is not None


def marked_person(resource: Mapping[str, Any]) -> str | None:
    """The person id in portalsync's mark: an address can pass from a leaver to someone else."""
    mark = _mark(resource)
    value = mark.get("value") if mark is not None else None
    return str(value) if value else None


def to_user(resource: Mapping[str, Any]) -> ObservedUser:
    name = resource.get("name") or {}
    return ObservedUser(
        id=str(resource["id"]),
        email=str(resource["primaryEmail"]).lower(),
        given_name=str(name.get("givenName", "")),
        family_name=str(name.get("familyName", "")),
        org_unit_path=str(resource.get("orgUnitPath", "/")),
        suspended=bool(resource.get("suspended", False)),
        managed=is_managed(resource),
        person_id=marked_person(resource),
    )


def to_role(resource: Mapping[str, Any]) -> ObservedRole:
    return ObservedRole(
        role_id=str(resource["roleId"]),
        name=str(resource["roleName"]),
        privilege_names=frozenset(str(p.get("privilegeName")) for p in resource.get("rolePrivileges") or []),
        is_system=bool(resource.get("isSystemRole", False)),
    )


class TenantReader:
    """The list calls of one observation, over an `ApiCaller` and the two built services."""

    def __init__(self, calls: ApiCaller, directory: Any, licensing: Any) -> None:
        self.calls = calls
        self.directory = directory
        self.licensing = licensing

    def ou_exists(self, path: str) -> bool:
        orgunits = self.directory.orgunits()
        found = self.calls.get_or_none(
            "directory", lambda: orgunits.get(customerId="my_customer", orgUnitPath=path.lstrip("/"))
        )
        return found is not None

    def roles(self) -> list[ObservedRole]:
        roles = self.directory.roles()
        items = self.calls.pages(
            "directory",
            lambda token: roles.list(customer="my_customer", maxResults=ROLES_PAGE, pageToken=token),
            "items",
        )
        return [to_role(r) for r in items]

    def ou_users(self, domain: str, ou_path: str) -> list[ObservedUser]:
        users = self.directory.users()
        query = "orgUnitPath='{}'".format(ou_path.replace("'", "\\'"))
        items = self.calls.pages(
            "directory",
            lambda token: users.list(domain=domain, query=query, maxResults=USERS_PAGE, pageToken=token),
            "users",
        )
        return [to_user(u) for u in items]

    def assignments(self, role_id: str) -> list[ObservedAssignment]:
        assignments = self.directory.roleAssignments()
        items = self.calls.pages(
            "directory",
            lambda token: assignments.list(
                customer="my_customer", roleId=role_id, maxResults=ASSIGNMENTS_PAGE, pageToken=token
            ),
            "items",
        )
        return [
            ObservedAssignment(
                assignment_id=str(a["roleAssignmentId"]),
                role_id=str(a["roleId"]),
                user_id=str(a["assignedTo"]),
                scope_type=str(a.get("scopeType", "CUSTOMER")),
            )
            for a in items
        ]

    def license_holders(self, customer_id: str, product: str, sku: str | None = None) -> frozenset[str]:
        """Lower-case e-mails; raises NotSubscribedError when the customer lacks the product."""
        assignments = self.licensing.licenseAssignments()

        def page(token: str | None) -> Any:
            if sku is None:
                return assignments.listForProduct(
                    productId=product, customerId=customer_id, maxResults=LICENSES_PAGE, pageToken=token
                )
            return assignments.listForProductAndSku(
                productId=product,
                skuId=sku,
                customerId=customer_id,
                maxResults=LICENSES_PAGE,
                pageToken=token,
            )

        return frozenset(str(i["userId"]).lower() for i in self.calls.pages("licensing", page, "items"))

    def ci_free(self, customer_id: str) -> tuple[Subscription, frozenset[str]]:
        try:
            return Subscription.SUBSCRIBED, self.license_holders(customer_id, CI_FREE_PRODUCT, CI_FREE_SKU)
        except NotSubscribedError:
            return Subscription.NOT_SUBSCRIBED, frozenset()

    def paid_holders(self, customer_id: str, products: Iterable[str], among: set[str]) -> frozenset[str]:
        held: set[str] = set()
        if not among:
            return frozenset()  # nobody in the OU: no call needed
        for product in products:
            try:
                held |= self.license_holders(customer_id, product) & among
            except PermanentError:
                continue  # a product this customer has never bought: nobody holds it
        return frozenset(held)

    def observe(
        self,
        account: ResellerAccount,
        settings: Settings,
        known_ids: Mapping[str, str],
        *,
        check_paid_licenses: bool = False,
    ) -> ObservedAccount:
        ou_exists = self.ou_exists(account.ou_path)
        users: dict[str, ObservedUser] = {}
        if ou_exists:
            for domain in account.domains:
                users.update({u.email: u for u in self.ou_users(domain, account.ou_path)})
        roles = self.roles()
        assignments = [
            a for r in accepted_roles(account, roles, settings) for a in self.assignments(r.role_id)
        ]
        subscription, holders = self.ci_free(account.customer_id)
        paid = (
            self.paid_holders(account.customer_id, settings.paid_product_ids, set(users))
            if check_paid_licenses
            else frozenset()
        )
        return ObservedAccount(
            account_id=account.account_id,
            customer_id=account.customer_id,
            ou_exists=ou_exists,
            users=users,
            roles=tuple(roles),
            assignments=tuple(assignments),
            ci_free=subscription,
            ci_free_holders=holders,
            paid_license_holders=paid,
            known_ids=dict(known_ids),
        )
