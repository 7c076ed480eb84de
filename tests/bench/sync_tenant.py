"""The benchmarks' reseller account: seeding it on both emulators, and the lower bound of observing it.

One reseller account (one Workspace customer) with a primary and two secondary domains, as the runbook sets
up a reseller whose staff need a portal account on every domain of the account.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from portalsync import names
from portalsync.adapters.directory_reads import (
    ASSIGNMENTS_PAGE,
    CI_FREE_PRODUCT,
    CI_FREE_SKU,
    LICENSES_PAGE,
    ROLES_PAGE,
    USERS_PAGE,
    to_role,
)
from portalsync.model import ResellerAccount, Settings
from portalsync.roles import accepted_roles
from workspace_emulator.client import ControlClient

ACCOUNT_ID = "bench"
CUSTOMER_ID = "C0benchsync"
DOMAINS = ["bench-reseller.example", "bench-support.example", "bench-partners.example"]
ADMIN = f"admin@{DOMAINS[0]}"
WRITE_VERBS = ("insert", "update", "patch", "delete")
NOT_ADMIN_API = ("oauth2.", "iamcredentials.")


def account() -> ResellerAccount:
    return ResellerAccount(
        account_id=ACCOUNT_ID, customer_id=CUSTOMER_ID, admin_subject=ADMIN, domains=DOMAINS
    )


def seed(control: ControlClient, db: Any, people: int) -> None:
    """An empty tenant whose Cloud Identity Free cap fits everyone; a roster of `people` on all domains."""
    control.reset()
    control.add_customer(CUSTOMER_ID, DOMAINS, ADMIN, free_license_cap=people * len(DOMAINS) + 10)
    db.collection(names.COL_ACCOUNTS).document(ACCOUNT_ID).set(
        {"customer_id": CUSTOMER_ID, "admin_subject": ADMIN, "domains": DOMAINS}
    )
    for start in range(0, people, 500):
        batch = db.batch()
        for n in range(start, min(start + 500, people)):
            batch.set(
                db.collection(names.COL_PEOPLE).document(f"p{n:05d}"),
                {"given_name": "Bench", "family_name": f"Staff{n}", "workspace_email": f"s{n}@corp.example"},
            )
        batch.commit()


def admin_api_calls(calls: Mapping[str, int]) -> dict[str, int]:
    """Directory and Licensing calls only: token and signing calls are auth, not Admin API."""
    return {m: n for m, n in calls.items() if not m.startswith(NOT_ADMIN_API)}


def writes(calls: Mapping[str, int]) -> dict[str, int]:
    return {m: n for m, n in calls.items() if m.rsplit(".", 1)[-1] in WRITE_VERBS}


def _pages(items: int, size: int) -> int:
    """A list call costs a page even when empty."""
    return max(1, math.ceil(items / size))


def list_page_lower_bound(
    tenant: Mapping[str, Any], reseller: ResellerAccount, settings: Settings
) -> dict[str, int]:
    """The fewest Admin API calls that observe `tenant` (a customer in the emulator's `GET state`), by method.

    One orgunits.get for the portal OU; roles.list over every role (100 a page); users.list per domain over
    that domain's users in the OU (500 a page); roleAssignments.list per existing role that opens the portal
    (200 a page); the Cloud Identity Free listing over its holders (1,000 a page). Page sizes are Google's
    maxima. Paid licenses are not part of it: portalsync lists them only after a run that created accounts
    (the symptom of automatic licensing is a *new* account holding one), never on a no-op sync.
    """
    in_ou = [u for u in tenant["users"] if u.get("orgUnitPath") == reseller.ou_path]
    listed_roles = [
        r.role_id for r in accepted_roles(reseller, [to_role(r) for r in tenant["roles"]], settings)
    ]
    licenses: Mapping[str, list[str]] = tenant["licenses"]
    return {
        "directory.orgunits.get": 1,
        "directory.roles.list": _pages(len(tenant["roles"]), ROLES_PAGE),
        "directory.users.list": sum(
            _pages(sum(u["primaryEmail"].endswith("@" + d) for u in in_ou), USERS_PAGE)
            for d in reseller.domains
        ),
        "directory.roleAssignments.list": sum(
            _pages(sum(a["roleId"] == r for a in tenant["roleAssignments"]), ASSIGNMENTS_PAGE)
            for r in listed_roles
        ),
        "licensing.licenseAssignments.listForProductAndSku": _pages(
            len(licenses.get(f"{CI_FREE_PRODUCT}/{CI_FREE_SKU}", [])), LICENSES_PAGE
        ),
    }
