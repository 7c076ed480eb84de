"""Directory orgunits: insert, get, list, patch/update and delete.

OUs are addressed the way the API addresses them: the full path without its leading `/`, or `id:<orgUnitId>`.
"""

from __future__ import annotations

import copy
from typing import Any

from workspace_emulator.accounts import add_orgunit, find_ou
from workspace_emulator.calls import Call, handles
from workspace_emulator.errors import ApiError, invalid
from workspace_emulator.state import Customer, etag


def _ou_not_found() -> ApiError:
    # Wording as GAM's `orgunitNotFound` mapping expects it; Google's exact text is unconfirmed.
    return ApiError(404, "notFound", "Org unit not found")


def _by_id(customer: Customer, ou_id: str) -> dict[str, Any] | None:
    wanted = ou_id if ou_id.startswith("id:") else "id:" + ou_id
    return next((ou for ou in customer.orgunits.values() if ou["orgUnitId"] == wanted), None)


def resolve(customer: Customer, key: str) -> dict[str, Any] | None:
    """An OU by path (leading `/` optional; `/` alone is the root) or by `id:...`."""
    if key.startswith("id:"):
        return _by_id(customer, key)
    return find_ou(customer, "/" + key.lstrip("/"))


def _get(customer: Customer, key: str) -> dict[str, Any]:
    ou = resolve(customer, key)
    if ou is None:
        raise _ou_not_found()
    if "etag" not in ou:  # the root is made with the customer, outside this module
        ou["etag"] = etag(ou)
    return ou


def _descendants(customer: Customer, path: str) -> list[dict[str, Any]]:
    prefix = "/" if path == "/" else path.lower() + "/"
    return [ou for key, ou in customer.orgunits.items() if key != "/" and key.startswith(prefix)]


def _parent_path(customer: Customer, body: dict[str, Any]) -> str:
    if body.get("parentOrgUnitId"):
        parent = _by_id(customer, str(body["parentOrgUnitId"]))
        if parent is None:
            raise invalid("Invalid Parent Orgunit Id")
        return str(parent["orgUnitPath"])
    if body.get("parentOrgUnitPath"):
        return str(body["parentOrgUnitPath"])
    raise invalid("Invalid Parent Orgunit Id")


@handles("directory.orgunits.insert")
def insert(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customerId"])
    body = call.body if isinstance(call.body, dict) else {}
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise invalid("Invalid Ou Id")
    ou = add_orgunit(
        call.state, customer, name, _parent_path(customer, body), str(body.get("description", ""))
    )
    if body.get("blockInheritance"):
        ou["blockInheritance"] = True
        ou.pop("etag")
        ou["etag"] = etag(ou)
    return copy.deepcopy(ou)


@handles("directory.orgunits.get")
def get(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customerId"])
    return copy.deepcopy(_get(customer, call.params["orgUnitPath"]))


@handles("directory.orgunits.list")
def list_(call: Call) -> dict[str, Any]:
    """`type` defaults to `children` (discovery: "Immediate children only (default)")."""
    customer = call.customer(call.params["customerId"])
    base = _get(customer, str(call.params.get("orgUnitPath") or "/"))
    kind = call.params.get("type") or "children"
    below = _descendants(customer, base["orgUnitPath"])
    if kind == "children":
        found = [ou for ou in below if ou.get("parentOrgUnitId") == base["orgUnitId"]]
    else:
        found = below
    found.sort(key=lambda ou: str(ou["orgUnitPath"]).lower())
    if kind == "allIncludingParent":
        found.insert(0, base)
    out: dict[str, Any] = {"kind": "admin#directory#orgUnits", "etag": etag([ou.get("etag") for ou in found])}
    if found:
        out["organizationUnits"] = copy.deepcopy(found)
    return out


def _move(customer: Customer, ou: dict[str, Any], new_path: str, parent: dict[str, Any]) -> None:
    """Re-key the OU and its subtree, and carry users along, as a rename or move does."""
    old_path = ou["orgUnitPath"]
    moved = [ou, *_descendants(customer, old_path)]
    for item in moved:
        customer.orgunits.pop(str(item["orgUnitPath"]).lower(), None)
    for item in moved:
        item["orgUnitPath"] = new_path + item["orgUnitPath"][len(old_path) :]
        if item is not ou:
            item["parentOrgUnitPath"] = new_path + item["parentOrgUnitPath"][len(old_path) :]
        customer.orgunits[item["orgUnitPath"].lower()] = item
    ou["parentOrgUnitPath"] = parent["orgUnitPath"]
    ou["parentOrgUnitId"] = parent["orgUnitId"]
    for record in customer.users.values():
        path = str(record.resource.get("orgUnitPath", "/"))
        if path.lower() == old_path.lower() or path.lower().startswith(old_path.lower() + "/"):
            record.resource["orgUnitPath"] = new_path + path[len(old_path) :]
            record.resource.pop("etag", None)
            record.resource["etag"] = etag(record.resource)


@handles("directory.orgunits.patch")
@handles("directory.orgunits.update")
def patch(call: Call) -> dict[str, Any]:
    """Rename, describe or move an OU; only the fields sent change (update behaves the same here)."""
    customer = call.customer(call.params["customerId"])
    ou = _get(customer, call.params["orgUnitPath"])
    body = call.body if isinstance(call.body, dict) else {}
    if ou["orgUnitPath"] == "/":
        if "description" in body:
            ou["description"] = str(body["description"] or "")
        return copy.deepcopy(ou)
    name = str(body.get("name") or ou["name"])
    if "/" in name or len(name) > 60:
        raise invalid("Invalid Ou Id")
    if "parentOrgUnitId" in body or "parentOrgUnitPath" in body:
        parent = find_ou(customer, _parent_path(customer, body))
        if parent is None:
            raise invalid("Invalid Parent Orgunit Id")
    else:
        parent = find_ou(customer, ou["parentOrgUnitPath"])
        assert parent is not None
    parent_path = parent["orgUnitPath"]
    new_path = ("" if parent_path == "/" else parent_path) + "/" + name
    old_path = str(ou["orgUnitPath"]).lower()
    if parent_path.lower() == old_path or parent_path.lower().startswith(old_path + "/"):
        raise invalid("Invalid Parent Orgunit Id")  # an OU cannot move below itself
    if new_path.lower() != old_path and find_ou(customer, new_path) is not None:
        raise invalid("Invalid Ou Id")
    if new_path != ou["orgUnitPath"]:
        _move(customer, ou, new_path, parent)
    ou["name"] = name
    if "description" in body:
        ou["description"] = str(body["description"] or "")
    if "blockInheritance" in body:
        ou["blockInheritance"] = bool(body["blockInheritance"])
    ou.pop("etag", None)
    ou["etag"] = etag(ou)
    return copy.deepcopy(ou)


@handles("directory.orgunits.delete")
def delete(call: Call) -> None:
    """Refuse while users or child OUs remain.

    GAM handles this refusal as reason `conditionNotMet` ("Has child orgunits"); the HTTP status (400 here)
    and the message are not confirmed from a captured Google response.
    """
    customer = call.customer(call.params["customerId"])
    ou = _get(customer, call.params["orgUnitPath"])
    path = str(ou["orgUnitPath"]).lower()
    if path == "/":
        raise invalid("Invalid Ou Id")  # the root OU cannot be deleted
    if _descendants(customer, path):
        raise ApiError(400, "conditionNotMet", "Org unit has child org units; delete or move them first.")
    if any(str(r.resource.get("orgUnitPath", "")).lower() == path for r in customer.users.values()):
        raise ApiError(400, "conditionNotMet", "Org unit has users; move them to another org unit first.")
    del customer.orgunits[path]
