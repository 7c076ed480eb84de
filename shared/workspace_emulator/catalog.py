"""Fixed content every emulated customer has: the privilege tree and the system roles.

Google does not publish the reseller privileges' API names; these are the emulator's, and portalsync
resolves privileges by configurable name through privileges.list, never by id, so a real tenant's names
only need configuring.
"""

from __future__ import annotations

from typing import Any

RESELLER_SERVICE_ID = "03hv69ve4bjwe54"
ADMIN_SERVICE_ID = "00haapch16h1ysv"

VIEW_CUSTOMERS = "VIEW_CUSTOMERS"
ACCESS_SUPPORT_CASES = "ACCESS_CUSTOMER_SUPPORT_CASES"


def _privilege(
    service_id: str,
    service: str,
    name: str,
    children: list[dict[str, Any]] | None = None,
    ou_scopable: bool = False,
) -> dict[str, Any]:
    node: dict[str, Any] = {
        "kind": "admin#directory#privilege",
        "serviceId": service_id,
        "serviceName": service,
        "privilegeName": name,
        "isOuScopable": ou_scopable,
    }
    if children:
        node["childPrivileges"] = children
    return node


def privilege_tree() -> list[dict[str, Any]]:
    """The privileges.list items: an admin-console service and a reseller service with nested children."""
    admin = [
        _privilege(
            ADMIN_SERVICE_ID,
            "admin_apis",
            "USERS_ALL",
            [
                _privilege(ADMIN_SERVICE_ID, "admin_apis", "USERS_RETRIEVE", ou_scopable=True),
                _privilege(ADMIN_SERVICE_ID, "admin_apis", "USERS_CREATE", ou_scopable=True),
                _privilege(ADMIN_SERVICE_ID, "admin_apis", "USERS_UPDATE", ou_scopable=True),
            ],
            ou_scopable=True,
        ),
        _privilege(
            ADMIN_SERVICE_ID,
            "admin_apis",
            "ORGANIZATION_UNITS_ALL",
            [
                _privilege(ADMIN_SERVICE_ID, "admin_apis", "ORGANIZATION_UNITS_RETRIEVE", ou_scopable=True),
            ],
            ou_scopable=True,
        ),
        _privilege(ADMIN_SERVICE_ID, "admin_apis", "LICENSING"),
        _privilege(ADMIN_SERVICE_ID, "admin_apis", "SUPPORT"),
    ]
    reseller = [
        _privilege(
            RESELLER_SERVICE_ID,
            "reseller",
            "MANAGE_RESELLER_TOOLS",
            [
                _privilege(
                    RESELLER_SERVICE_ID,
                    "reseller",
                    "CUSTOMERS",
                    [
                        _privilege(RESELLER_SERVICE_ID, "reseller", "ADD_CUSTOMERS"),
                        _privilege(RESELLER_SERVICE_ID, "reseller", VIEW_CUSTOMERS),
                        _privilege(RESELLER_SERVICE_ID, "reseller", "EDIT_CUSTOMERS"),
                        _privilege(RESELLER_SERVICE_ID, "reseller", "TRANSFER_CUSTOMERS"),
                        _privilege(RESELLER_SERVICE_ID, "reseller", ACCESS_SUPPORT_CASES),
                    ],
                ),
            ],
        ),
    ]
    return admin + reseller


def all_privilege_pairs(tree: list[dict[str, Any]] | None = None) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for node in privilege_tree() if tree is None else tree:
        pairs.add((node["serviceId"], node["privilegeName"]))
        pairs |= all_privilege_pairs(node.get("childPrivileges", []))
    return pairs


def _pairs(service_id: str, *names: str) -> list[dict[str, str]]:
    return [{"serviceId": service_id, "privilegeName": n} for n in names]


#: roleName -> (description, isSuperAdminRole, privileges)
SYSTEM_ROLES: dict[str, tuple[str, bool, list[dict[str, str]]]] = {
    "_SEED_ADMIN_ROLE": (
        "Google Workspace Administrator Seed Role",
        True,
        _pairs(ADMIN_SERVICE_ID, "USERS_ALL", "ORGANIZATION_UNITS_ALL", "LICENSING", "SUPPORT"),
    ),
    "_RESELLER_ADMIN_ROLE": ("Reseller Admin", False, _pairs(RESELLER_SERVICE_ID, "MANAGE_RESELLER_TOOLS")),
    "_HELP_DESK_ADMIN_ROLE": ("Help Desk Administrator", False, _pairs(ADMIN_SERVICE_ID, "USERS_RETRIEVE")),
    "_USER_MANAGEMENT_ADMIN_ROLE": (
        "User Management Administrator",
        False,
        _pairs(ADMIN_SERVICE_ID, "USERS_ALL"),
    ),
    "_GROUPS_ADMIN_ROLE": ("Groups Administrator", False, []),
}
