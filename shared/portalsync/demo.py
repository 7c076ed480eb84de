"""`portalsync demo`: the whole product on a laptop, against the emulators, in about ten seconds.

Starts Google's Firestore emulator and the Workspace emulator, seeds two reseller accounts (one with a
secondary domain) with domain-wide delegation granted to a service account, and a roster of three (one with a
Japanese name, one whose own Workspace address is on a reseller domain); syncs, shows what was provisioned,
syncs again to show that a converged tenant costs no Admin API or per-account Firestore write, and stops
everything it started. Auth is the production path: keyless delegation signed through (emulated) IAM.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from portalsync import names
from portalsync.adapters.auth import WORKSPACE_SCOPES
from portalsync.local_stack import LocalStack
from portalsync.service import AccountReport, Service

PROJECT = "demo-portalsync"
SERVICE_ACCOUNT = "portalsync@demo-portalsync.iam.gserviceaccount.com"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "sakura": {
        "customer_id": "C01sakura",
        "admin_subject": "admin@sakura-reseller.example",
        "domains": ["sakura-reseller.example", "sakura-support.example"],
    },
    "maple": {
        "customer_id": "C02maple",
        "admin_subject": "admin@maple-partners.example",
        "domains": ["maple-partners.example"],
    },
}
PEOPLE: dict[str, dict[str, Any]] = {
    "yamada": {
        "given_name": "太郎",
        "family_name": "山田",
        "workspace_email": "taro.yamada@staff.example",
        "locale": "ja",
    },
    "sato": {  # her own account is on a reseller domain: it only gets the role there
        "given_name": "花子",
        "family_name": "佐藤",
        "workspace_email": "hanako.sato@sakura-reseller.example",
        "locale": "ja",
    },
    "wilson": {
        "given_name": "Emma",
        "family_name": "Wilson",
        "workspace_email": "emma.wilson@staff.example",
        "accounts": ["maple"],
    },
}
WRITE_VERBS = ("insert", "update", "patch", "delete")


def admin_api_writes(calls: dict[str, int]) -> int:
    """Directory and Licensing calls that change something, from the emulator's per-method counters."""
    return sum(n for method, n in calls.items() if method.rsplit(".", 1)[-1] in WRITE_VERBS)


def seed_workspace(control: Any) -> None:
    for account in ACCOUNTS.values():
        control.add_customer(account["customer_id"], account["domains"], account["admin_subject"])
    control.post(
        "users",
        {
            "primaryEmail": PEOPLE["sato"]["workspace_email"],
            "name": {"givenName": PEOPLE["sato"]["given_name"], "familyName": PEOPLE["sato"]["family_name"]},
        },
    )
    client = control.post("service-accounts", {"email": SERVICE_ACCOUNT})
    for account in ACCOUNTS.values():
        control.post(
            "dwd",
            {
                "customerId": account["customer_id"],
                "clientId": client["clientId"],
                "scopes": list(WORKSPACE_SCOPES),
            },
        )


def seed_firestore(db: Any) -> None:
    for account_id, account in ACCOUNTS.items():
        db.collection(names.COL_ACCOUNTS).document(account_id).set(account)
    for person_id, person in PEOPLE.items():
        db.collection(names.COL_PEOPLE).document(person_id).set(person)


@contextmanager
def environment(stack: LocalStack) -> Iterator[None]:
    values = {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "FIRESTORE_EMULATOR_HOST": stack.firestore_host,
        "PORTALSYNC_WORKSPACE_ENDPOINT": stack.workspace_url,
        "PORTALSYNC_AUTH_MODE": "keyless",
        "PORTALSYNC_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def sync(service: Service) -> list[AccountReport]:
    """The one engine call of the demo (later: publish to the nightly topic and let the function run it)."""
    return service.sync_all("demo")


def provisioned_table(service: Service) -> Table:
    rows = [r for records in service.status().values() for r in records]
    notes = any(r.last_error for r in rows)
    table = Table(title="Customer Care Portal accounts", title_justify="left")
    for column in ("account", "person", "portal address", "status", *(["note"] if notes else [])):
        table.add_column(column, no_wrap=column != "note")
    for r in rows:
        status = r.status.value + (" (own account: role only)" if r.own_account else "")
        table.add_row(
            r.account_id, _name(r.person_id), r.email, status, *([r.last_error or ""] if notes else [])
        )
    return table


def _name(person_id: str) -> str:
    """Family name first for Japanese names, as they are written."""
    p = PEOPLE.get(person_id, {})
    parts = [p.get("family_name"), p.get("given_name")]
    if p.get("locale") != "ja":
        parts.reverse()
    return " ".join(x for x in parts if x) or person_id


def run(console: Console | None = None) -> None:
    from portalsync.bootstrap import build_service
    from workspace_emulator.client import ControlClient

    console = console or Console()
    with tempfile.TemporaryDirectory(prefix="portalsync-demo-") as logs, LocalStack(Path(logs)) as stack:
        console.print(
            f"Firestore emulator on {stack.firestore_host}, Workspace emulator on {stack.workspace_url}"
        )
        control = ControlClient(stack.workspace_url)
        seed_workspace(control)
        with environment(stack):
            service = build_service()
            store: Any = service.store
            seed_firestore(store.client)
            console.print(f"seeded {len(ACCOUNTS)} reseller accounts and {len(PEOPLE)} people; first sync")
            first = sync(service)
            console.print(provisioned_table(service))
            _summary(console, "first sync", first, control, store)
            control.delete("calls")
            store.writes_by_collection.clear()
            console.print("second sync (nothing has changed since)")
            second = sync(service)
            _summary(console, "second sync", second, control, store)
    console.print("stopped the emulators")


def _summary(console: Console, label: str, reports: list[AccountReport], control: Any, store: Any) -> None:
    changes = sum(sum(r.run.counts.values()) for r in reports)
    runs = store.writes_by_collection[names.COL_RUNS]
    console.print(
        f"{label}: {changes} change(s), {admin_api_writes(control.calls())} Admin API write(s), "
        f"{sum(r.run.api_calls for r in reports)} API call(s), "
        f"{store.writes - runs} Firestore write(s) besides the {runs} run record(s)"
    )
