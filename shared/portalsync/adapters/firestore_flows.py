"""Firestore for the flows: leases, processed event ids, nightly run groups, alerts, credentials due,
welcomes.

Leases and run groups change inside transactions, so two function instances racing on one document see one
winner; event ids are written with `create` (fails if present), the create-if-absent the at-least-once
delivery needs. Queries use single-field indexes only (no composite index to deploy).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from google.api_core import exceptions as api_exceptions
from google.cloud import firestore

from portalsync import names
from portalsync.adapters.firestore_codec import safe_id
from portalsync.alerts import Alert, AlertStatus
from portalsync.flow_ports import RunGroup, Welcome


def _utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class FirestoreLeases:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        ref = self.client.collection(names.COL_LEASES).document(safe_id(name))

        @firestore.transactional
        def take(transaction: Any) -> bool:
            snap = ref.get(transaction=transaction)
            now = _utc()
            if snap.exists:
                held = snap.to_dict() or {}
                expires = held.get("expires_at")
                if held.get("holder") != holder and expires is not None and expires > now:
                    return False
            transaction.set(
                ref, {"holder": holder, "expires_at": now + dt.timedelta(seconds=seconds), "taken_at": now}
            )
            return True

        return bool(take(self.client.transaction()))

    def release(self, name: str, holder: str) -> None:
        ref = self.client.collection(names.COL_LEASES).document(safe_id(name))

        @firestore.transactional
        def give_back(transaction: Any) -> None:
            snap = ref.get(transaction=transaction)
            if snap.exists and (snap.to_dict() or {}).get("holder") == holder:
                transaction.delete(ref)

        give_back(self.client.transaction())


class FirestoreEventLog:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def _ref(self, event_id: str) -> Any:
        return self.client.collection(names.COL_EVENTS).document(safe_id(event_id))

    def seen(self, event_id: str) -> bool:
        return bool(self._ref(event_id).get().exists)

    def mark_done(self, event_id: str, summary: Mapping[str, object]) -> bool:
        try:
            self._ref(event_id).create({**summary, "event_id": event_id, "done_at": _utc()})
        except api_exceptions.Conflict:
            return False
        return True


class FirestoreRunGroups:
    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def _col(self) -> Any:
        return self.client.collection(names.COL_RUN_GROUPS)

    def latest_start(self) -> str | None:
        query = self._col().order_by("started_at", direction=firestore.Query.DESCENDING).limit(1)
        found = [s.to_dict() or {} for s in query.stream()]
        return str(found[0]["started_at"]) if found else None

    def start(self, group: RunGroup) -> None:
        doc = {
            "group_id": group.group_id,
            "started_at": group.started_at,
            "since": group.since,
            "expected": list(group.expected),
            "done": list(group.done),
            "open": True,  # until complete or closed as overdue (a single-field query finds open ones)
        }
        with contextlib.suppress(api_exceptions.Conflict):  # a redelivered nightly event: kept
            self._col().document(safe_id(group.group_id)).create(doc)

    def finish(self, group_id: str, account_id: str) -> RunGroup | None:
        ref = self._col().document(safe_id(group_id))

        @firestore.transactional
        def mark(transaction: Any) -> RunGroup | None:
            snap = ref.get(transaction=transaction)
            if not snap.exists:
                return None
            data = snap.to_dict() or {}
            done = list(data.get("done") or [])
            if account_id in done:
                return _group(data)
            done.append(account_id)
            group = _group({**data, "done": done})
            update: dict[str, Any] = {"done": done, "updated_at": _utc()}
            if group.complete:
                update["open"] = False
            transaction.update(ref, update)
            return group

        result: RunGroup | None = mark(self.client.transaction())
        return result

    def open_groups(self) -> list[RunGroup]:
        query = self._col().where(filter=firestore.FieldFilter("open", "==", True))
        return [_group(s.to_dict() or {}) for s in query.stream()]

    def close(self, group_id: str) -> RunGroup | None:
        ref = self._col().document(safe_id(group_id))

        @firestore.transactional
        def shut(transaction: Any) -> RunGroup | None:
            snap = ref.get(transaction=transaction)
            data = (snap.to_dict() or {}) if snap.exists else {}
            if not data.get("open"):
                return None
            transaction.update(ref, {"open": False, "closed_at": _utc()})
            return _group(data)

        result: RunGroup | None = shut(self.client.transaction())
        return result


def _group(data: Mapping[str, Any]) -> RunGroup:
    return RunGroup(
        str(data["group_id"]),
        str(data["started_at"]),
        str(data.get("since") or ""),
        tuple(data.get("expected") or ()),
        tuple(data.get("done") or ()),
    )


class FirestoreAlertBook:
    """The alert documents; the notifier is their only writer (openings, daily bumps, resolutions)."""

    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def _col(self) -> Any:
        return self.client.collection(names.COL_ALERTS)

    def open_alerts(self, account_id: str | None = None) -> list[Alert]:
        query = self._col().where(filter=firestore.FieldFilter("status", "==", AlertStatus.OPEN.value))
        if account_id is not None:
            query = query.where(filter=firestore.FieldFilter("account_id", "==", account_id))
        return [Alert.from_dict(s.to_dict() or {}) for s in query.stream()]

    def alerts_since(self, since: str) -> list[Alert]:
        resolved = self._col().where(filter=firestore.FieldFilter("resolved_at", ">=", since))
        recent = [Alert.from_dict(s.to_dict() or {}) for s in resolved.stream()]
        return self.open_alerts() + [a for a in recent if a.status is AlertStatus.RESOLVED]

    def save_alerts(self, alerts: Sequence[Alert]) -> None:
        batch = self.client.batch()
        for alert in alerts:
            batch.set(self._col().document(safe_id(alert.key)), alert.to_dict(), merge=True)
        if alerts:
            batch.commit()


#: seconds before a failed credentials mail is tried again, after attempt 1, 2, ...; the last one repeats
CREDENTIALS_BACKOFF = (300, 1800, 3600, 4 * 3600, 12 * 3600)


class FirestoreCredentialsDue:
    """`credentials_due/{address}`: account, person, address, attempts, `next_attempt_at` (due at or after;
    moved on by a claim's lease or a failure's backoff), so "what is due" is one single-field range query."""

    def __init__(self, client: firestore.Client, lease_seconds: float = 300.0) -> None:
        self.client = client
        self.lease = dt.timedelta(seconds=lease_seconds)

    def _col(self) -> Any:
        return self.client.collection(names.COL_CREDENTIALS_DUE)

    def _ref(self, email: str) -> Any:
        return self._col().document(safe_id(email.lower()))

    def add(self, account_id: str, person_id: str, email: str) -> None:
        doc = {"account_id": account_id, "person_id": person_id, "email": email, "attempts": 0}
        self._ref(email).set({**doc, "created_at": _utc(), "next_attempt_at": _utc()})

    def claim(self, limit: int, emails: Collection[str] | None = None) -> list[tuple[str, str, str]]:
        now = _utc()
        if emails is None:
            query = (
                self._col()
                .where(filter=firestore.FieldFilter("next_attempt_at", "<=", now))
                .order_by("next_attempt_at")
                .limit(limit)
            )
            refs = [s.reference for s in query.stream()]
        else:
            refs = [self._ref(e) for e in list(emails)[:limit]]
        claimed = []
        for ref in refs:
            taken = _claim_due(self.client.transaction(), ref, now, self.lease)
            if taken is not None:
                claimed.append(taken)
        return claimed

    def retry_later(self, email: str, error: str) -> None:
        _retry_later(self.client.transaction(), self._ref(email), error[:1000], _utc())

    def remove(self, email: str) -> None:
        self._ref(email).delete()


@firestore.transactional
def _claim_due(
    transaction: Any, ref: Any, now: dt.datetime, lease: dt.timedelta
) -> tuple[str, str, str] | None:
    """Re-read inside the transaction: of two drains, one claims and the other sees it held."""
    snap = ref.get(transaction=transaction)
    data = (snap.to_dict() or {}) if snap.exists else {}
    due = data.get("next_attempt_at")
    if not data or due is None or due > now:
        return None
    attempts = int(data.get("attempts") or 0) + 1
    transaction.update(ref, {"attempts": attempts, "next_attempt_at": now + lease, "claimed_at": now})
    return str(data["account_id"]), str(data["person_id"]), str(data["email"])


@firestore.transactional
def _retry_later(transaction: Any, ref: Any, error: str, now: dt.datetime) -> None:
    snap = ref.get(transaction=transaction)
    if not snap.exists:
        return
    attempts = int((snap.to_dict() or {}).get("attempts") or 1)
    wait = CREDENTIALS_BACKOFF[min(max(attempts, 1), len(CREDENTIALS_BACKOFF)) - 1]
    transaction.update(
        ref, {"last_error": error, "failed_at": now, "next_attempt_at": now + dt.timedelta(seconds=wait)}
    )


class FirestoreWelcomes:
    """`welcomes/{person_id}@{domain}`: state "due" or "welcomed"; single-field queries only."""

    def __init__(self, client: firestore.Client) -> None:
        self.client = client

    def _col(self) -> Any:
        return self.client.collection(names.COL_WELCOMES)

    def mark_due(self, welcomes: Sequence[Welcome], again: bool) -> None:
        for welcome in welcomes:
            doc = {
                "person_id": welcome.person_id,
                "account_id": welcome.account_id,
                "domain": welcome.domain,
                "email": welcome.email,
                "state": "due",
                "token": uuid.uuid4().hex,
                "due_at": _utc(),
            }
            ref = self._col().document(safe_id(welcome.key))
            if again:
                ref.set(doc)
            else:
                with contextlib.suppress(api_exceptions.Conflict):
                    ref.create(doc)

    def due_people(self) -> set[str]:
        query = self._col().where(filter=firestore.FieldFilter("state", "==", "due"))
        return {str((s.to_dict() or {})["person_id"]) for s in query.stream()}

    def states(self, person_id: str) -> dict[str, str]:
        query = self._col().where(filter=firestore.FieldFilter("person_id", "==", person_id))
        found = [s.to_dict() or {} for s in query.stream()]
        return {
            f"{d['person_id']}@{d['domain']}": "welcomed" if d["state"] == "welcomed" else str(d["token"])
            for d in found
        }

    def mark_welcomed(self, person_id: str, keys: Sequence[str]) -> None:
        batch = self.client.batch()
        for key in keys:
            update = {"state": "welcomed", "welcomed_at": _utc()}
            batch.set(self._col().document(safe_id(key)), update, merge=True)
        if keys:
            batch.commit()

    def forget(self, person_id: str, keys: Sequence[str]) -> None:
        for key in keys:
            self._col().document(safe_id(key)).delete()
