"""Send mail with the Gmail API (`users.messages.send`) as the configured sender, through delegation.

The sender must be a licensed Workspace user with a mailbox; portal accounts (Cloud Identity) have none.
HTTPS only, so it works from Cloud Functions without a relay, a static IP or an open port 25/587.
"""

from __future__ import annotations

import base64
from functools import cached_property
from typing import Any

from google.auth import credentials as auth_credentials

from portalsync.adapters.google_calls import discovery_client
from portalsync.adapters.google_errors import from_exception
from portalsync.adapters.retry import Retrier, RetryPolicy, SystemTimer, Timer
from portalsync.mail.delivery import MailError
from portalsync.mail.message import MailMessage, build_mime

GMAIL_ENDPOINT = "https://gmail.googleapis.com/"
MALFORMED = frozenset({"invalidArgument", "invalid", "badRequest"})


class GmailMailer:
    """A `Mailer`; `credentials` are delegated to `sender` with the gmail.send scope."""

    def __init__(
        self,
        credentials: auth_credentials.Credentials,
        sender: str,
        sender_name: str = "",
        endpoint: str = GMAIL_ENDPOINT,
        retry: RetryPolicy | None = None,
        timer: Timer | None = None,
    ) -> None:
        self._credentials = credentials
        self.sender = sender
        self.sender_name = sender_name
        self._endpoint = endpoint
        self._retrier = Retrier(retry or RetryPolicy(), timer or SystemTimer())

    @cached_property
    def _gmail(self) -> Any:
        return discovery_client("gmail", "v1", self._credentials, self._endpoint)

    def send(self, message: MailMessage) -> str:
        mime = build_mime(message, self.sender, self.sender_name)
        raw = base64.urlsafe_b64encode(mime.as_bytes()).decode("ascii")
        messages = self._gmail.users().messages()
        try:
            sent = self._retrier.run(
                lambda: messages.send(userId="me", body={"raw": raw}).execute(), from_exception
            )
        except Exception as raised:
            error = from_exception(raised)
            if error is None:
                raise
            # Only a message Gmail rejects as malformed is hopeless; a refused grant or a sender without a
            # mailbox is fixed by an admin, after which the queued mail should still go out.
            permanent = error.status == 400 and error.reason in MALFORMED
            raise MailError(f"Gmail: {error.status} {error.reason}: {error}", permanent) from raised
        return str(sent["id"])
