"""drain and send_direct through the ports, with in-memory fakes of the outbox and the mailer."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from portalsync.mail import MailKind, MailMessage
from portalsync.mail.delivery import MailError, drain, send_direct


def mail(message_id: str, kind: MailKind = MailKind.ALERT) -> MailMessage:
    return MailMessage(message_id, kind, ("ops@corp.example",), "s", "t", "<p>t</p>")


class MemoryOutbox:
    def __init__(self, messages: list[MailMessage]) -> None:
        self.queue = list(messages)
        self.settled: dict[str, str] = {}

    def enqueue(self, messages: Sequence[MailMessage]) -> int:
        self.queue.extend(messages)
        return len(messages)

    def claim(self, limit: int) -> list[MailMessage]:
        taken, self.queue = self.queue[:limit], self.queue[limit:]
        return taken

    def mark_sent(self, message_id: str, provider_id: str) -> None:
        self.settled[message_id] = f"sent {provider_id}"

    def mark_failed(self, message_id: str, error: str, permanent: bool) -> None:
        self.settled[message_id] = f"{'failed' if permanent else 'retry'} {error}"


class Mailer:
    def __init__(self, errors: dict[str, MailError] | None = None) -> None:
        self.errors = errors or {}
        self.sent: list[str] = []

    def send(self, message: MailMessage) -> str:
        if message.message_id in self.errors:
            raise self.errors[message.message_id]
        self.sent.append(message.message_id)
        return f"p{len(self.sent)}"


def test_drain_sends_what_it_claims_and_settles_each() -> None:
    outbox = MemoryOutbox([mail("a"), mail("b"), mail("c"), mail("d")])
    mailer = Mailer({"b": MailError("busy"), "c": MailError("bad address", permanent=True)})
    result = drain(outbox, mailer, limit=3)
    assert (result.sent, result.retrying, result.failed) == (1, 1, 1)
    assert outbox.settled == {"a": "sent p1", "b": "retry busy", "c": "failed bad address"}
    assert [m.message_id for m in outbox.queue] == ["d"]


def test_an_unexpected_error_is_not_swallowed() -> None:
    class Broken(Mailer):
        def send(self, message: MailMessage) -> str:
            raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        drain(MemoryOutbox([mail("a")]), Broken())


def test_only_a_credentials_mail_bypasses_the_outbox() -> None:
    mailer = Mailer()
    assert send_direct(mailer, mail("pw", MailKind.CREDENTIALS)) == "p1"
    with pytest.raises(ValueError, match="bypasses the outbox"):
        send_direct(mailer, mail("alert"))
    assert mailer.sent == ["pw"]
