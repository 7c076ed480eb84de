"""The emulated tenants: customers with their domains, users, OUs, roles, licenses and groups.

Resources are kept in the JSON shape the API returns (minus secrets), so handlers stay thin; what Google
keeps but never returns (password hashes, creation instants, auto-license settings) sits beside them.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workspace_emulator.clock import Clock

CI_FREE_PRODUCT = "101001"
CI_FREE_SKU = "1010010001"
WORKSPACE_PRODUCT = "Google-Apps"
WORKSPACE_SKU = "1010020020"  # Google Workspace Enterprise Plus

#: productId -> (productName, {skuId: skuName})
PRODUCTS: dict[str, tuple[str, dict[str, str]]] = {
    CI_FREE_PRODUCT: ("Cloud Identity Free", {CI_FREE_SKU: "Cloud Identity Free"}),
    "101005": ("Cloud Identity Premium", {"1010050001": "Cloud Identity Premium"}),
    WORKSPACE_PRODUCT: (
        "Google Workspace",
        {
            "1010020020": "Google Workspace Enterprise Plus",
            "1010020028": "Google Workspace Business Starter",
            "1010020027": "Google Workspace Business Standard",
        },
    ),
}


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def etag(resource: Any) -> str:
    return '"' + hashlib.sha1(repr(resource).encode(), usedforsecurity=False).hexdigest()[:27] + '"'


@dataclass
class UserRecord:
    resource: dict[str, Any]
    password_sha256: str
    created: float  # on the emulator clock, which consistency windows are measured on

    @property
    def id(self) -> str:
        return str(self.resource["id"])

    @property
    def email(self) -> str:
        return str(self.resource["primaryEmail"]).lower()


@dataclass
class Group:
    email: str
    name: str
    members: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Customer:
    id: str
    domains: list[str]
    super_admin: str
    ci_free_subscribed: bool = True
    free_license_cap: int = 50
    users: dict[str, UserRecord] = field(default_factory=dict)
    by_email: dict[str, str] = field(default_factory=dict)
    orgunits: dict[str, dict[str, Any]] = field(default_factory=dict)  # lower-case path -> OrgUnit
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    role_assignments: dict[str, dict[str, Any]] = field(default_factory=dict)
    # (productId, skuId) -> {user id: auto-assigned?}
    licenses: dict[tuple[str, str], dict[str, bool]] = field(default_factory=dict)
    # OU path (lower case) -> (productId, skuId) given automatically to new users below it
    auto_license: dict[str, tuple[str, str]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    creation_time: str = field(default_factory=now_rfc3339)

    @property
    def primary_domain(self) -> str:
        return self.domains[0]

    def user(self, key: str) -> UserRecord | None:
        uid = self.by_email.get(key.lower(), key)
        return self.users.get(uid)

    def ci_free_in_use(self) -> int:
        return len(self.licenses.get((CI_FREE_PRODUCT, CI_FREE_SKU), {}))


@dataclass
class ServiceAccount:
    email: str
    client_id: str
    public_key_pem: str
    private_key_pem: str | None  # held only for accounts whose key the emulator made (IAM signing)


@dataclass
class Token:
    subject: str
    scopes: frozenset[str]
    client_id: str | None
    expires: float


class State:
    """Everything the emulator knows; one lock guards it (handlers are short)."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or Clock()
        self._ids = itertools.count(1)
        self.customers: dict[str, Customer] = {}
        self.domain_owner: dict[str, str] = {}
        self.service_accounts: dict[str, ServiceAccount] = {}
        self.dwd_grants: dict[str, dict[str, frozenset[str]]] = {}  # customer id -> client id -> scopes
        self.tokens: dict[str, Token] = {}
        self.sent_mail: list[dict[str, Any]] = []
        self.sheets: dict[str, dict[str, Any]] = {}  # spreadsheet id -> {"title", "values": {range: rows}}
        self.calls: Counter[str] = Counter()
        self.batch_requests = 0  # multipart HTTP requests; their parts are counted in `calls`

    def next_id(self, digits: int = 21) -> str:
        number = next(self._ids)
        return "1" + str(number).zfill(digits - 1)

    def customer_of_email(self, email: str) -> Customer | None:
        domain = email.rsplit("@", 1)[-1].lower()
        owner = self.domain_owner.get(domain)
        return self.customers.get(owner) if owner else None

    def find_user(self, email: str) -> tuple[Customer, UserRecord] | None:
        customer = self.customer_of_email(email)
        if customer is None:
            return None
        record = customer.user(email)
        return (customer, record) if record else None
