"""Send mail over SMTP (Google's smtp-relay, or a provider on 587/2525) instead of the Gmail API.

One connection per message keeps the function stateless between invocations. The password is a value the
composition root read from the environment or Secret Manager; it is never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field

from portalsync.mail.delivery import MailError
from portalsync.mail.message import MailMessage, build_mime


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    starttls: bool = True
    username: str = ""
    password: str = field(default="", repr=False)
    timeout: float = 30.0
    #: None: the system's trusted CAs; tests pass a context that trusts their own certificate.
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)


class SmtpMailer:
    """A `Mailer` over SMTP; returns the Message-ID header as the provider id (SMTP has no other)."""

    def __init__(self, config: SmtpConfig, sender: str, sender_name: str = "") -> None:
        self.config = config
        self.sender = sender
        self.sender_name = sender_name

    def send(self, message: MailMessage) -> str:
        mime = build_mime(message, self.sender, self.sender_name)
        config = self.config
        try:
            with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
                if config.starttls:
                    smtp.starttls(context=config.tls_context or ssl.create_default_context())
                if config.username:
                    smtp.login(config.username, config.password)
                refused = smtp.send_message(mime)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError(
                f"SMTP: every recipient refused: {sorted(error.recipients)}", permanent=True
            ) from error
        except smtplib.SMTPResponseException as error:
            # 5xx is the server's final word on this message; 4xx (greylisting, busy) is worth a retry.
            permanent = 500 <= error.smtp_code < 600 and not isinstance(
                error, smtplib.SMTPAuthenticationError
            )
            raise MailError(f"SMTP {error.smtp_code}: {error.smtp_error!r}", permanent) from error
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(f"SMTP: {type(error).__name__}: {error}") from error
        if refused:
            # Some recipients took it: sending again would duplicate it for them, so this counts as sent.
            return f"{message.header_id} (refused: {', '.join(sorted(refused))})"
        return message.header_id
