"""A mail ready to send, and its RFC 5322 form.

`message_id` is derived from what the mail is about (an alert's key and first sighting, a digest's run group,
the accounts an onboarding mail lists), so enqueueing the same mail twice is a no-op in the outbox and,
because it is also the Message-ID header, a resend after a crash lands in Gmail as the same message.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from enum import StrEnum
from typing import Any

MESSAGE_ID_DOMAIN = "portalsync.invalid"


class MailKind(StrEnum):
    ONBOARDING = "onboarding"
    CREDENTIALS = "credentials"  # holds a password: sent directly, never stored in the outbox
    ALERT = "alert"
    DIGEST = "digest"


@dataclass(frozen=True)
class MailMessage:
    message_id: str
    kind: MailKind
    to: tuple[str, ...]
    subject: str
    text: str
    html: str
    locale: str = "en"

    @property
    def storable(self) -> bool:
        return self.kind is not MailKind.CREDENTIALS

    @property
    def header_id(self) -> str:
        digest = hashlib.sha256(self.message_id.encode()).hexdigest()[:32]
        return f"<{digest}@{MESSAGE_ID_DOMAIN}>"

    def to_dict(self) -> dict[str, Any]:
        if not self.storable:
            raise ValueError("a credentials mail is never stored")
        return {**vars(self), "kind": self.kind.value, "to": list(self.to)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MailMessage:
        return cls(
            message_id=data["message_id"],
            kind=MailKind(data["kind"]),
            to=tuple(data["to"]),
            subject=data["subject"],
            text=data["text"],
            html=data["html"],
            locale=data.get("locale", "en"),
        )


def _address(value: str, display_name: str = "") -> Address:
    local, domain = value.rsplit("@", 1)
    return Address(display_name=display_name, username=local, domain=domain)


def build_mime(message: MailMessage, sender: str, sender_name: str = "") -> EmailMessage:
    """multipart/alternative (text + HTML), UTF-8 throughout; headers encoded as RFC 2047 where needed."""
    mime = EmailMessage()
    mime["From"] = _address(sender, sender_name)
    mime["To"] = [_address(addr) for addr in message.to]
    mime["Subject"] = message.subject
    mime["Message-ID"] = message.header_id
    mime["Date"] = formatdate(usegmt=True)
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    mime.set_content(message.text, charset="utf-8")
    mime.add_alternative(message.html, subtype="html", charset="utf-8")
    return mime
