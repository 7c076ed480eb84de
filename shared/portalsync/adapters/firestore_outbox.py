"""`Outbox` on Firestore: one document per message id, so a mail is queued once and sent once.

States: queued → sending (claimed, with a lease) → sent, or back to queued with a backoff, or failed when
hopeless or out of attempts. Only queued and sending documents carry `next_attempt_at` (when they are due:
the retry time, or the end of the lease), so "what is due" is a single-field range query that needs no
composite index, and a claim whose sender died is picked up again once its lease ends.
Credentials mail never comes here: `MailMessage.to_dict` refuses to serialise it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from google.api_core.exceptions import AlreadyExists
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from portalsync import names
from portalsync.mail.message import MailMessage

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
#: seconds to wait after failed attempt 1, 2, ...; the last one repeats
BACKOFF = (60, 300, 1800, 3600, 7200)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def doc_id(message_id: str) -> str:
    """Message ids hold `/`, which a document id may not; a hash keeps ids short and unique."""
    return hashlib.sha256(message_id.encode()).hexdigest()[:40]


class FirestoreOutbox:
    def __init__(
        self,
        client: firestore.Client,
        now: Callable[[], dt.datetime] = _utc_now,
        lease_seconds: float = 300.0,
        max_attempts: int = 8,
    ) -> None:
        self.client = client
        self._now = now
        self.lease = dt.timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self._collection = client.collection(names.COL_OUTBOX)

    def _ref(self, message_id: str) -> Any:
        return self._collection.document(doc_id(message_id))

    def enqueue(self, messages: Sequence[MailMessage]) -> int:
        new = 0
        now = self._now()
        for message in messages:
            document = {
                "message_id": message.message_id,
                "kind": message.kind.value,
                "message": message.to_dict(),  # raises for a credentials mail
                "state": QUEUED,
                "attempts": 0,
                "created_at": now,
                "next_attempt_at": now,
            }
            try:
                self._ref(message.message_id).create(document)
            except AlreadyExists:
                continue  # enqueued before (a retried run): the first one stands, whatever its state
            new += 1
        return new

    def claim(self, limit: int) -> list[MailMessage]:
        now = self._now()
        due = (
            self._collection.where(filter=FieldFilter("next_attempt_at", "<=", now))
            .order_by("next_attempt_at")
            .limit(limit)
        )
        claimed = []
        for snapshot in due.stream():
            message = _claim_one(
                self.client.transaction(), snapshot.reference, now, self.lease, self.max_attempts
            )
            if message is not None:
                claimed.append(message)
        return claimed

    def mark_sent(self, message_id: str, provider_id: str) -> None:
        self._ref(message_id).update(
            {
                "state": SENT,
                "provider_id": provider_id,
                "sent_at": self._now(),
                "next_attempt_at": firestore.DELETE_FIELD,
            }
        )

    def mark_failed(self, message_id: str, error: str, permanent: bool) -> None:
        _fail(
            self.client.transaction(),
            self._ref(message_id),
            error[:1000],
            permanent,
            self._now(),
            self.max_attempts,
        )

    def status(self, message_id: str) -> dict[str, Any] | None:
        """The stored document (state, attempts, last_error ...), for operators and tests."""
        snapshot = self._ref(message_id).get()
        return snapshot.to_dict() if snapshot.exists else None


@firestore.transactional
def _claim_one(
    transaction: Any, ref: Any, now: dt.datetime, lease: dt.timedelta, max_attempts: int
) -> MailMessage | None:
    """Re-read inside a transaction so two drains never both take the same message."""
    data = ref.get(transaction=transaction).to_dict()
    due = data.get("next_attempt_at") if data else None
    if data is None or data["state"] not in (QUEUED, SENDING) or due is None or due > now:
        return None
    if data["attempts"] >= max_attempts:  # its last sender died mid-send, again and again: give up
        transaction.update(ref, {"state": FAILED, "next_attempt_at": firestore.DELETE_FIELD})
        return None
    transaction.update(
        ref, {"state": SENDING, "attempts": data["attempts"] + 1, "next_attempt_at": now + lease}
    )
    return MailMessage.from_dict(data["message"])


@firestore.transactional
def _fail(
    transaction: Any, ref: Any, error: str, permanent: bool, now: dt.datetime, max_attempts: int
) -> None:
    data = ref.get(transaction=transaction).to_dict() or {}
    attempts = int(data.get("attempts", 0))
    update: dict[str, Any] = {"last_error": error}
    if permanent or attempts >= max_attempts:
        update |= {"state": FAILED, "next_attempt_at": firestore.DELETE_FIELD}
    else:
        wait = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
        update |= {"state": QUEUED, "next_attempt_at": now + dt.timedelta(seconds=wait)}
    transaction.update(ref, update)
