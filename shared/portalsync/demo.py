"""`portalsync demo`: the whole product on a laptop, against the emulators, in about fifteen seconds.

Starts Google's Firestore and Pub/Sub emulators, the Workspace emulator and the Cloud Functions (one
functions-framework server per entry point, fed by push subscriptions), seeds two reseller accounts (one
with a secondary domain) with domain-wide delegation granted to a service account, and a roster of three (one
with a Japanese name, one whose own Workspace address is on a reseller domain). Then it publishes on the
nightly topic as Cloud Scheduler would, waits for every account's run record, shows what was provisioned,
publishes again to show that a converged tenant costs no Admin API write, and stops everything it started.
Auth is the production path: keyless delegation signed through (emulated) IAM.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from rich.console import Console
from rich.table import Table

from portalsync import names, scopes
from portalsync.adapters.auth import WORKSPACE_SCOPES
from portalsync.adapters.firestore_codec import run_from_doc
from portalsync.local_functions import LocalFunctions
from portalsync.local_stack import LocalStack
from portalsync.records import RunRecord
from portalsync.service import Service

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
SENDER = "admin@sakura-reseller.example"  # a licensed user with a mailbox: the mail goes out as them
OPS = "ops@staff.example"
FUNCTIONS = {"nightly_sync": names.TOPIC_NIGHTLY, "sync_account": names.TOPIC_SYNC_ACCOUNT}


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
                "scopes": [*WORKSPACE_SCOPES, scopes.GMAIL_SEND],
            },
        )


def seed_firestore(db: Any) -> None:
    for account_id, account in ACCOUNTS.items():
        db.collection(names.COL_ACCOUNTS).document(account_id).set(account)
    for person_id, person in PEOPLE.items():
        db.collection(names.COL_PEOPLE).document(person_id).set(person)
    db.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).set({"notify_recipients": [OPS]})


@contextmanager
def environment(stack: LocalStack) -> Iterator[None]:
    values = {
        "GOOGLE_CLOUD_PROJECT": PROJECT,
        "FIRESTORE_EMULATOR_HOST": stack.firestore_host,
        "PORTALSYNC_WORKSPACE_ENDPOINT": stack.workspace_url,
        "PORTALSYNC_AUTH_MODE": "keyless",
        "PORTALSYNC_SERVICE_ACCOUNT": SERVICE_ACCOUNT,
        "PORTALSYNC_MAIL_SENDER": SENDER,
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


def nightly(functions: LocalFunctions, db: Any, timeout: float = 120.0) -> list[RunRecord]:
    """Publish on the nightly topic, as Cloud Scheduler does, and wait until every account's run is recorded
    (the run group the nightly function writes counts them); the new run records."""
    seen = {s.id for s in db.collection(names.COL_RUNS).stream()}
    message_id = functions.publish(names.TOPIC_NIGHTLY, {})
    group = db.collection(names.COL_RUN_GROUPS).document(f"nightly-{message_id}")
    deadline = time.monotonic() + timeout
    while True:
        snap = group.get()
        found = snap.to_dict() or {} if snap.exists else {}
        if found and set(found["expected"]) <= set(found["done"]):
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"the nightly run did not finish within {timeout:.0f}s (logs: function-*.log)")
        time.sleep(0.2)
    return [
        run_from_doc(s.to_dict() or {}) for s in db.collection(names.COL_RUNS).stream() if s.id not in seen
    ]


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


MIN_WIDTH = 120


def wide_console(file: IO[str] | None = None) -> Console:
    """A console at least MIN_WIDTH columns wide: rich assumes 80 when stdout is not a terminal (CI logs,
    a pipe), which cuts the table's names and addresses short."""
    return Console(file=file, width=max(MIN_WIDTH, Console(file=file).width))


def run(console: Console | None = None) -> None:
    from portalsync.bootstrap import build_service
    from workspace_emulator.client import ControlClient

    console = console or wide_console()
    with tempfile.TemporaryDirectory(prefix="portalsync-demo-") as logs, LocalStack(Path(logs)) as stack:
        console.print(
            f"Firestore emulator on {stack.firestore_host}, Workspace emulator on {stack.workspace_url}"
        )
        control = ControlClient(stack.workspace_url)
        seed_workspace(control)
        with environment(stack), LocalFunctions(Path(logs), PROJECT, FUNCTIONS) as functions:
            console.print(
                f"Pub/Sub emulator on {functions.pubsub_host}; functions: {', '.join(functions.urls)}"
            )
            service = build_service()
            db = service.store.client  # type: ignore[attr-defined]
            seed_firestore(db)
            console.print(
                f"seeded {len(ACCOUNTS)} reseller accounts and {len(PEOPLE)} people; "
                f"publishing on {names.TOPIC_NIGHTLY} as Cloud Scheduler would"
            )
            first = nightly(functions, db)
            console.print(provisioned_table(service))
            _summary(console, "first nightly run", first, control)
            control.delete("calls")
            console.print("second nightly run (nothing has changed since)")
            second = nightly(functions, db)
            _summary(console, "second nightly run", second, control)
            _wait_outbox(db)
            kinds = Counter(_mail_kind(m["subject"]) for m in control.get("mail"))
            console.print("mail sent: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items())))
    console.print("stopped the emulators and the functions")


def _summary(console: Console, label: str, runs: list[RunRecord], control: Any) -> None:
    changes = sum(sum(r.counts.values()) for r in runs)
    console.print(
        f"{label}: {len(runs)} account run(s), {changes} change(s), "
        f"{admin_api_writes(control.calls())} Admin API write(s), "
        f"{sum(r.api_calls for r in runs)} API call(s)"
    )


def _wait_outbox(db: Any, timeout: float = 10.0) -> None:
    """The last account's function drains the outbox just after it marks the run group complete; mail
    still queued after `timeout` is an error, not a count to print as if complete."""
    deadline = time.monotonic() + timeout
    while True:
        states = Counter(s.get("state") for s in db.collection(names.COL_OUTBOX).stream())
        waiting = {state: n for state, n in states.items() if state in ("queued", "sending")}
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"mail still waiting after {timeout:.0f}s: {waiting} (logs: function-*.log)")
        time.sleep(0.2)


def _mail_kind(subject: str) -> str:
    for words, kind in (("パスワード", "password"), ("password", "password"), ("summary", "digest")):
        if words in subject.lower():
            return kind
    return "alert" if subject.startswith("[portalsync]") else "onboarding"
