"""Mail portalsync sends: onboarding, initial passwords, alerts and the nightly digest, in ja or en.

Core: composing and rendering only. Sending goes through the `Mailer` port, queueing through `Outbox`.
"""

from portalsync.mail.compose import alert_mail, credentials, digest_mail, onboarding
from portalsync.mail.message import MailKind, MailMessage, build_mime

__all__ = ["MailKind", "MailMessage", "alert_mail", "build_mime", "credentials", "digest_mail", "onboarding"]
