"""Directory roles, privileges and role assignments.

Where Google's exact answer is not documented the choice is marked; portalsync resolves roles and
privileges by name through these calls and keys assignments on the numeric user id, as GAM does.
"""

from __future__ import annotations

import copy
from typing import Any

from workspace_emulator import accounts
from workspace_emulator.calls import Call, handles, page
from workspace_emulator.catalog import all_privilege_pairs, privilege_tree
from workspace_emulator.errors import ApiError, creation_not_complete, duplicate, invalid, not_found
from workspace_emulator.policies import Consistency
from workspace_emulator.state import Customer, UserRecord, etag

SCOPE_TYPES = ("CUSTOMER", "ORG_UNIT")


def _required(field: str) -> ApiError:
    return ApiError(400, "required", f"Required field must not be blank: {field}")


def _role(customer: Customer, role_id: Any) -> dict[str, Any]:
    # Unknown role ids answer 404 (Google's exact wording is unconfirmed).
    role = customer.roles.get(str(role_id)) if role_id else None
    if role is None:
        raise not_found("roleId")
    return role


def _listing(kind: str, items: list[Any], next_token: str | None) -> dict[str, Any]:
    """A private copy: responses are serialised after the state lock is released."""
    out: dict[str, Any] = {"kind": kind, "etag": etag((kind, items)), "items": copy.deepcopy(items)}
    if next_token:
        out["nextPageToken"] = next_token
    return out


@handles("directory.roles.list")
def roles_list(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    chunk, nxt = page(list(customer.roles.values()), call.params, 100)
    return _listing("admin#directory#roles", chunk, nxt)


@handles("directory.roles.get")
def roles_get(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    return copy.deepcopy(_role(customer, call.params["roleId"]))


@handles("directory.roles.insert")
def roles_insert(call: Call) -> dict[str, Any]:
    """A custom role: every privilege must name a node of this customer's privileges.list tree."""
    customer = call.customer(call.params["customer"])
    body = call.body if isinstance(call.body, dict) else {}
    name = body.get("roleName")
    if not isinstance(name, str) or not name.strip():
        raise _required("roleName")
    privileges = body.get("rolePrivileges")
    if not isinstance(privileges, list) or not privileges:
        raise _required("rolePrivileges")
    known = all_privilege_pairs()
    cleaned: list[dict[str, str]] = []
    for entry in privileges:
        if not isinstance(entry, dict):
            raise invalid("Invalid Privilege")
        pair = (str(entry.get("serviceId", "")), str(entry.get("privilegeName", "")))
        if pair not in known:
            raise invalid(f"Invalid Privilege: {pair[0]}/{pair[1]}")
        cleaned.append({"serviceId": pair[0], "privilegeName": pair[1]})
    if accounts.role_by_name(customer, name) is not None:
        raise duplicate()
    role = accounts.add_role(call.state, customer, name, str(body.get("roleDescription", "")), cleaned)
    return copy.deepcopy(role)


@handles("directory.privileges.list")
def privileges_list(call: Call) -> dict[str, Any]:
    call.customer(call.params["customer"])
    items = privilege_tree()
    return {"kind": "admin#directory#privileges", "etag": etag(items), "items": items}


@handles("directory.roleAssignments.list")
def assignments_list(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    items = list(customer.role_assignments.values())
    user_key = call.params.get("userKey")
    if call.params.get("includeIndirectRoleAssignments") and not user_key:
        raise invalid("Invalid Input: includeIndirectRoleAssignments requires userKey")
    if user_key:
        _, record = call.user(user_key)
        items = [a for a in items if a["assignedTo"] == record.id]
    role_id = call.params.get("roleId")
    if role_id:
        _role(customer, role_id)
        items = [a for a in items if a["roleId"] == role_id]
    chunk, nxt = page(items, call.params, 100)
    return _listing("admin#directory#roleAssignments", chunk, nxt)


@handles("directory.roleAssignments.get")
def assignments_get(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    found = customer.role_assignments.get(call.params["roleAssignmentId"])
    if found is None:
        raise not_found("roleAssignmentId")
    return copy.deepcopy(found)


def _assignee(call: Call, customer: Customer, assigned_to: Any) -> UserRecord:
    """`assignedTo` takes the numeric id only; clients resolve an e-mail with users.get first, as GAM does."""
    if not isinstance(assigned_to, str) or not assigned_to:
        raise _required("assignedTo")
    if not assigned_to.isdigit():
        raise invalid("Invalid Input: assignedTo")
    record = customer.users.get(assigned_to)
    consistency: Consistency = call.emulator.consistency
    if record is None or call.emulator.within(record.created, consistency.get_lag_seconds):
        raise not_found("userKey")
    if call.emulator.within(record.created, consistency.incomplete_seconds):
        raise creation_not_complete()
    return record


def _org_unit_id(customer: Customer, raw: Any) -> str:
    if not isinstance(raw, str) or not raw:
        raise _required("orgUnitId")
    wanted = raw.removeprefix("id:")
    for ou in customer.orgunits.values():
        if str(ou["orgUnitId"]).removeprefix("id:") == wanted:
            return wanted
    raise invalid("Invalid Input: orgUnitId")


def _refresh_admin_flags(customer: Customer, record: UserRecord, super_role: bool) -> None:
    """Holding an admin role shows in users.get as isAdmin (super) or isDelegatedAdmin, as in Google.

    Only the flag of the kind of role that changed is recomputed, so an admin seeded without an
    assignment keeps its flag.
    """
    held = [
        customer.roles[a["roleId"]]["isSuperAdminRole"]
        for a in customer.role_assignments.values()
        if a["assignedTo"] == record.id and a["roleId"] in customer.roles
    ]
    resource = record.resource
    if super_role:
        resource["isAdmin"] = any(held)
    else:
        resource["isDelegatedAdmin"] = not all(held)
    resource.pop("etag", None)
    resource["etag"] = etag(resource)


@handles("directory.roleAssignments.insert")
def assignments_insert(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    body = call.body if isinstance(call.body, dict) else {}
    role = _role(customer, body.get("roleId"))
    scope = body.get("scopeType") or "CUSTOMER"
    if scope not in SCOPE_TYPES:
        raise invalid(f"Invalid Input: scopeType {scope}")
    org_unit = _org_unit_id(customer, body.get("orgUnitId")) if scope == "ORG_UNIT" else None
    record = _assignee(call, customer, body.get("assignedTo"))
    assignment = accounts.add_role_assignment(
        call.state, customer, role["roleId"], record.id, scope, org_unit
    )
    _refresh_admin_flags(customer, record, bool(role["isSuperAdminRole"]))
    return copy.deepcopy(assignment)


@handles("directory.roleAssignments.delete")
def assignments_delete(call: Call) -> None:
    customer = call.customer(call.params["customer"])
    found = customer.role_assignments.pop(call.params["roleAssignmentId"], None)
    if found is None:
        raise not_found("roleAssignmentId")
    record = customer.users.get(found["assignedTo"])
    role = customer.roles.get(found["roleId"])
    if record is not None and role is not None:
        _refresh_admin_flags(customer, record, bool(role["isSuperAdminRole"]))
