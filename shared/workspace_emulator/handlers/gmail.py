"""Gmail users.messages.send: accept a base64url RFC 2822 message from a mailbox owner and keep it.

Messages land in `state.sent_mail` (control `GET /_emulator/mail`) instead of being delivered, so tests
can read exactly what portalsync sent. Error wording is Gmail's as seen by clients (GAM maps
"Mail service not enabled" to serviceNotAvailable).
"""

from __future__ import annotations

import base64
import binascii
import re
import time
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from workspace_emulator.calls import Call, handles
from workspace_emulator.errors import ApiError
from workspace_emulator.state import WORKSPACE_PRODUCT

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*={0,2}")


def _decode(raw: Any) -> bytes:
    if not isinstance(raw, str) or not raw:
        raise ApiError(
            400,
            "invalidArgument",
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
        )
    if not _BASE64URL.fullmatch(raw):
        raise ApiError(400, "invalidArgument", "Invalid value for ByteString")
    data = raw.rstrip("=")
    try:
        return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, "invalidArgument", "Invalid value for ByteString") from exc


def _addresses(values: list[str]) -> list[str]:
    return [addr for _, addr in getaddresses(values) if addr]


@handles("gmail.users.messages.send")
def send(call: Call) -> dict[str, Any]:
    subject = call.principal.subject
    user_id = str(call.params["userId"])
    if user_id != "me" and user_id.lower() != subject.lower():
        raise ApiError(403, "forbidden", f"Delegation denied for {subject}")
    found = call.state.find_user(subject)
    if found is None:
        raise ApiError(401, "authError", "Invalid Credentials")
    customer, record = found
    has_paid = any(p == WORKSPACE_PRODUCT and record.id in h for (p, _), h in customer.licenses.items())
    if not (has_paid or record.resource.get("isMailboxSetup")):
        # A Cloud Identity account has no Gmail mailbox to send from.
        raise ApiError(400, "failedPrecondition", "Mail service not enabled")
    raw = (call.body if isinstance(call.body, dict) else {}).get("raw")
    message = BytesParser(policy=policy.default).parsebytes(_decode(raw))
    to = _addresses(message.get_all("To", []))
    cc = _addresses(message.get_all("Cc", []))
    bcc = _addresses(message.get_all("Bcc", []))
    if not (to or cc or bcc):
        raise ApiError(400, "invalidArgument", "Recipient address required")
    sender = str(record.resource["primaryEmail"])
    claimed = _addresses(message.get_all("From", []))
    # Gmail sends as the authenticated user; a From naming someone else (no send-as alias) is replaced.
    from_ = claimed[0] if claimed and claimed[0].lower() == sender.lower() else sender
    message_id = format(int(call.state.next_id(16)), "x")
    call.state.sent_mail.append(
        {
            "id": message_id,
            "threadId": message_id,
            "sender": sender,
            "from": from_,
            "to": to,
            "cc": cc,
            "bcc": bcc,
            "subject": str(message.get("Subject", "")),
            "raw": raw,
            "internalDate": str(int(time.time() * 1000)),
        }
    )
    return {"id": message_id, "threadId": message_id, "labelIds": ["SENT"]}
