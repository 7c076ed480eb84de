"""Tenant mutations shared by the API handlers and the control API, so seeding and API calls agree."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from workspace_emulator.catalog import SYSTEM_ROLES
from workspace_emulator.errors import ApiError, duplicate, invalid
from workspace_emulator.state import (
    CI_FREE_PRODUCT,
    CI_FREE_SKU,
    Customer,
    State,
    UserRecord,
    etag,
    now_rfc3339,
)

# Unicode letters (any script), digits, spaces, and - / . ' as Google's name rules allow.
NAME_RE = re.compile(r"^[^\W_](?:[^\W_]|[ \-/.'])*$")


def check_name(field: str, value: Any) -> str:
    label = "Given" if field == "givenName" else "Family"
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"Invalid {label} Name: {field[0].upper() + field[1:]}")
    if len(value) > 60 or not NAME_RE.match(value):
        raise invalid(f"Invalid {label} Name: {field[0].upper() + field[1:]}")
    return value


def find_ou(customer: Customer, path: str) -> dict[str, Any] | None:
    return customer.orgunits.get((path.rstrip("/") or "/").lower())


def auto_license_for(customer: Customer, ou_path: str) -> tuple[str, str] | None:
    """The paid SKU an OU (or its nearest ancestor) hands out automatically, if switched on."""
    path = ou_path.rstrip("/") or "/"
    while True:
        found = customer.auto_license.get(path.lower())
        if found:
            return found
        if path == "/":
            return None
        path = path.rsplit("/", 1)[0] or "/"


def add_user(
    state: State,
    customer: Customer,
    body: dict[str, Any],
    *,
    paid_license: tuple[str, str] | None = None,
    admin: bool = False,
) -> UserRecord:
    """Create a user as users.insert does: validate, place in its OU, hand out automatic licenses."""
    email = str(body.get("primaryEmail") or "").strip()
    if "@" not in email:
        raise invalid("Invalid Input: primary_user_email")
    domain = email.rsplit("@", 1)[1].lower()
    if domain not in customer.domains:
        raise ApiError(403, "forbidden", "Not Authorized to access this resource/api")
    if email.lower() in customer.by_email:
        raise duplicate()
    name = body.get("name") or {}
    given = check_name("givenName", name.get("givenName"))
    family = check_name("familyName", name.get("familyName"))
    password = body.get("password")
    if not isinstance(password, str) or not password:
        raise invalid("Invalid Password")
    ou_path = str(body.get("orgUnitPath") or "/")
    if find_ou(customer, ou_path) is None:
        raise invalid("Invalid Input: INVALID_OU_ID")
    ci_free = customer.licenses.setdefault((CI_FREE_PRODUCT, CI_FREE_SKU), {})
    paid = paid_license or auto_license_for(customer, ou_path)
    takes_ci_free = customer.ci_free_subscribed and paid_license is None
    if takes_ci_free and len(ci_free) >= customer.free_license_cap:
        raise ApiError(412, "conditionNotMet", "Domain user limit exceeded.")
    uid = state.next_id()
    resource: dict[str, Any] = {
        "kind": "admin#directory#user",
        "id": uid,
        "primaryEmail": email,
        "name": {"givenName": given, "familyName": family, "fullName": f"{given} {family}"},
        "isAdmin": admin,
        "isDelegatedAdmin": False,
        "lastLoginTime": "1970-01-01T00:00:00.000Z",
        "creationTime": now_rfc3339(),
        "agreedToTerms": False,
        "suspended": bool(body.get("suspended", False)),
        "archived": False,
        "changePasswordAtNextLogin": bool(body.get("changePasswordAtNextLogin", False)),
        "ipWhitelisted": False,
        "emails": [{"address": email, "primary": True}],
        "customerId": customer.id,
        "orgUnitPath": find_ou(customer, ou_path)["orgUnitPath"],  # type: ignore[index]
        "isMailboxSetup": paid is not None,
        "isEnrolledIn2Sv": False,
        "isEnforcedIn2Sv": False,
        "includeInGlobalAddressList": bool(body.get("includeInGlobalAddressList", True)),
    }
    for key in ("recoveryEmail", "recoveryPhone", "externalIds", "organizations", "phones", "customSchemas"):
        if key in body:
            resource[key] = body[key]
    resource["etag"] = etag(resource)
    record = UserRecord(resource, hashlib.sha256(password.encode()).hexdigest(), state.clock.now())
    customer.users[uid] = record
    customer.by_email[email.lower()] = uid
    if takes_ci_free:
        ci_free[uid] = True
    if paid is not None:
        customer.licenses.setdefault(paid, {})[uid] = paid_license is None
    return record


def add_orgunit(
    state: State, customer: Customer, name: str, parent_path: str, description: str = ""
) -> dict[str, Any]:
    if not name or "/" in name or len(name) > 60:
        raise invalid("Invalid Ou Id")
    parent = find_ou(customer, parent_path)
    if parent is None:
        raise invalid("Invalid Parent Orgunit Id")
    path = ("" if parent["orgUnitPath"] == "/" else parent["orgUnitPath"]) + "/" + name
    if find_ou(customer, path) is not None:
        raise ApiError(400, "invalid", "Invalid Ou Id")  # what Google answers for an existing sibling name
    ou: dict[str, Any] = {
        "kind": "admin#directory#orgUnit",
        "name": name,
        "description": description,
        "orgUnitPath": path,
        "orgUnitId": "id:" + state.next_id(9)[1:].rjust(8, "0") + "abc",
        "parentOrgUnitPath": parent["orgUnitPath"],
        "parentOrgUnitId": parent["orgUnitId"],
    }
    ou["etag"] = etag(ou)
    customer.orgunits[path.lower()] = ou
    return ou


def add_role(
    state: State,
    customer: Customer,
    name: str,
    description: str,
    privileges: list[dict[str, str]],
    *,
    system: bool = False,
    super_admin: bool = False,
) -> dict[str, Any]:
    role: dict[str, Any] = {
        "kind": "admin#directory#role",
        "roleId": state.next_id(17),
        "roleName": name,
        "roleDescription": description,
        "rolePrivileges": privileges,
        "isSystemRole": system,
        "isSuperAdminRole": super_admin,
    }
    role["etag"] = etag(role)
    customer.roles[role["roleId"]] = role
    return role


def add_role_assignment(
    state: State,
    customer: Customer,
    role_id: str,
    user_id: str,
    scope: str = "CUSTOMER",
    org_unit_id: str | None = None,
) -> dict[str, Any]:
    for existing in customer.role_assignments.values():
        if (existing["roleId"], existing["assignedTo"], existing["scopeType"], existing.get("orgUnitId")) == (
            role_id,
            user_id,
            scope,
            org_unit_id,
        ):
            raise duplicate()
    assignment: dict[str, Any] = {
        "kind": "admin#directory#roleAssignment",
        "roleAssignmentId": state.next_id(17),
        "roleId": role_id,
        "assignedTo": user_id,
        "assigneeType": "user",
        "scopeType": scope,
    }
    if org_unit_id:
        assignment["orgUnitId"] = org_unit_id.removeprefix("id:")
    assignment["etag"] = etag(assignment)
    customer.role_assignments[assignment["roleAssignmentId"]] = assignment
    return assignment


def role_by_name(customer: Customer, name: str) -> dict[str, Any] | None:
    return next((r for r in customer.roles.values() if r["roleName"] == name), None)


def new_customer(
    state: State,
    customer_id: str,
    domains: list[str],
    super_admin: str,
    *,
    ci_free: bool = True,
    cap: int = 50,
) -> Customer:
    """A customer as Google provisions one: root OU, system roles, a super admin with a paid license."""
    if customer_id in state.customers:
        raise duplicate()
    lowered = [d.lower() for d in domains]
    taken = [d for d in lowered if d in state.domain_owner]
    if taken:
        raise duplicate()
    customer = Customer(customer_id, lowered, super_admin.lower(), ci_free, cap)
    customer.orgunits["/"] = {
        "kind": "admin#directory#orgUnit",
        "name": lowered[0],
        "description": "",
        "orgUnitPath": "/",
        "orgUnitId": "id:" + state.next_id(9)[1:].rjust(8, "0") + "root",
    }
    state.customers[customer_id] = customer
    for domain in lowered:
        state.domain_owner[domain] = customer_id
    for role_name, (description, is_super, privileges) in SYSTEM_ROLES.items():
        add_role(state, customer, role_name, description, privileges, system=True, super_admin=is_super)
    admin = add_user(
        state,
        customer,
        {
            "primaryEmail": super_admin,
            "name": {"givenName": "Super", "familyName": "Admin"},
            "password": "x" * 12,
        },
        paid_license=("Google-Apps", "1010020020"),
        admin=True,
    )
    seed = role_by_name(customer, "_SEED_ADMIN_ROLE")
    assert seed is not None
    add_role_assignment(state, customer, seed["roleId"], admin.id)
    return customer
