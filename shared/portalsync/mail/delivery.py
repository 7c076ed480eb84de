"""Getting mail out: drain the outbox through a mailer, or send a password mail directly.

Each claimed message is settled (sent or failed) before the next one is sent, so a crash loses at most the
one message in flight, and that one is retried after its lease (deduplicated by its Message-ID header).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from portalsync.mail.message import MailMessage

if TYPE_CHECKING:
    from portalsync.ports import Mailer, Outbox

log = logging.getLogger(__name__)


class MailError(Exception):
    """Sending failed; `permanent` (a refused recipient, a sender without a mailbox) means don't retry."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def drain(
    outbox: Outbox,
    mailer: Mailer,
    limit: int = 50,
    on_undeliverable: Callable[[MailMessage, MailError], None] | None = None,
) -> DrainResult:
    """Send up to `limit` due messages; failures are recorded, never raised. A message refused for good is
    marked failed and handed to `on_undeliverable` (an alert), since nothing will retry it."""
    result = DrainResult()
    for message in outbox.claim(limit):
        try:
            provider_id = mailer.send(message)
        except MailError as error:
            outbox.mark_failed(message.message_id, str(error), error.permanent)
            if error.permanent:
                result.failed += 1
                if on_undeliverable is not None:
                    on_undeliverable(message, error)
            else:
                result.retrying += 1
            log.warning(
                "mail not sent",
                extra={"message_id": message.message_id, "kind": message.kind.value, "error": str(error)},
            )
            continue
        outbox.mark_sent(message.message_id, provider_id)
        result.sent += 1
    return result


def send_direct(mailer: Mailer, message: MailMessage) -> str:
    """Send without the outbox: the initial-password mail, which must never be written anywhere."""
    if message.storable:
        raise ValueError("only mail that must not be stored bypasses the outbox")
    return mailer.send(message)
