"""The Firestore outbox on the Firestore emulator: once by message id, claimed once, retried, given up."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest

from portalsync import names
from portalsync.adapters.firestore_outbox import FirestoreOutbox, doc_id
from portalsync.mail.delivery import MailError, drain
from portalsync.mail.message import MailKind, MailMessage

pytestmark = pytest.mark.integration

START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def mail(n: int = 1, kind: MailKind = MailKind.ALERT) -> MailMessage:
    return MailMessage(
        f"alert/kind/acct-{n}/2025", kind, ("ops@corp.example",), f"subject {n}", "text", "<p>h</p>"
    )


def stored(outbox: FirestoreOutbox, message: MailMessage) -> dict[str, Any]:
    """The message's outbox document, which must exist."""
    status = outbox.status(message.message_id)
    assert status is not None, message.message_id
    return status


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(firestore_client: Any, clock: Clock) -> FirestoreOutbox:
    return FirestoreOutbox(firestore_client, now=clock, lease_seconds=300, max_attempts=3)


def test_a_message_is_enqueued_once_and_claimed_once(outbox: FirestoreOutbox, clock: Clock) -> None:
    assert outbox.enqueue([mail(1), mail(2)]) == 2
    assert outbox.enqueue([mail(1)]) == 0  # a retried run composes the same mail again
    claimed = outbox.claim(10)
    assert sorted(m.message_id for m in claimed) == [mail(1).message_id, mail(2).message_id]
    assert claimed[0] in (mail(1), mail(2))
    assert outbox.claim(10) == []  # leased
    outbox.mark_sent(mail(1).message_id, "gmail-1")
    clock.advance(3600)
    assert [m.message_id for m in outbox.claim(10)] == [mail(2).message_id]  # its lease ended unsettled
    status = outbox.status(mail(1).message_id)
    assert status is not None
    assert (status["state"], status["provider_id"], status["attempts"]) == ("sent", "gmail-1", 1)
    assert "next_attempt_at" not in status


def test_a_sent_message_enqueued_again_is_not_sent_again(outbox: FirestoreOutbox, clock: Clock) -> None:
    outbox.enqueue([mail()])
    (claimed,) = outbox.claim(5)
    outbox.mark_sent(claimed.message_id, "id")
    assert outbox.enqueue([mail()]) == 0
    clock.advance(86400)
    assert outbox.claim(5) == []


def test_a_credentials_mail_is_never_stored(outbox: FirestoreOutbox, firestore_client: Any) -> None:
    with pytest.raises(ValueError, match="never stored"):
        outbox.enqueue([mail(kind=MailKind.CREDENTIALS)])
    assert list(firestore_client.collection(names.COL_OUTBOX).stream()) == []


def test_a_transient_failure_is_retried_after_backoff(outbox: FirestoreOutbox, clock: Clock) -> None:
    outbox.enqueue([mail()])
    outbox.claim(5)
    outbox.mark_failed(mail().message_id, "503 backendError", permanent=False)
    status = outbox.status(mail().message_id)
    assert status is not None
    assert (status["state"], status["last_error"]) == ("queued", "503 backendError")
    clock.advance(30)
    assert outbox.claim(5) == []
    clock.advance(31)
    assert [m.message_id for m in outbox.claim(5)] == [mail().message_id]
    assert stored(outbox, mail())["attempts"] == 2


def test_permanent_failure_and_running_out_of_attempts_both_give_up(
    outbox: FirestoreOutbox, clock: Clock
) -> None:
    outbox.enqueue([mail(1), mail(2)])
    outbox.claim(5)
    outbox.mark_failed(mail(1).message_id, "invalid recipient", permanent=True)
    for _ in range(3):
        outbox.mark_failed(mail(2).message_id, "timeout", permanent=False)
        clock.advance(86400)
        outbox.claim(5)
    assert stored(outbox, mail(1))["state"] == "failed"
    assert stored(outbox, mail(2))["state"] == "failed"
    clock.advance(86400)
    assert outbox.claim(5) == []


def test_concurrent_drains_never_claim_the_same_message(firestore_client: Any, clock: Clock) -> None:
    first = FirestoreOutbox(firestore_client, now=clock)
    first.enqueue([mail(n) for n in range(12)])
    results: list[list[str]] = []

    def claim() -> None:
        outbox = FirestoreOutbox(firestore_client, now=clock)
        results.append([m.message_id for m in outbox.claim(12)])

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    taken = [message_id for batch in results for message_id in batch]
    assert sorted(taken) == sorted(mail(n).message_id for n in range(12))


class FlakyMailer:
    """A Mailer that refuses some recipients; stands in for Gmail or SMTP behind the port."""

    def __init__(self, outcomes: dict[str, MailError]) -> None:
        self.outcomes = outcomes
        self.sent: list[str] = []

    def send(self, message: MailMessage) -> str:
        if message.message_id in self.outcomes:
            raise self.outcomes[message.message_id]
        self.sent.append(message.message_id)
        return f"provider-{len(self.sent)}"


def test_drain_settles_every_claimed_message(outbox: FirestoreOutbox, firestore_client: Any) -> None:
    outbox.enqueue([mail(1), mail(2), mail(3)])
    mailer = FlakyMailer(
        {mail(2).message_id: MailError("busy"), mail(3).message_id: MailError("no such user", permanent=True)}
    )
    result = drain(outbox, mailer)
    assert (result.sent, result.retrying, result.failed) == (1, 1, 1)
    states = {d.id: d.to_dict()["state"] for d in firestore_client.collection(names.COL_OUTBOX).stream()}
    assert states == {
        doc_id(mail(1).message_id): "sent",
        doc_id(mail(2).message_id): "queued",
        doc_id(mail(3).message_id): "failed",
    }
    assert drain(outbox, mailer).sent == 0  # nothing due again yet
