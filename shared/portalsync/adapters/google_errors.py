"""Google's HTTP and OAuth errors turned into portalsync's own classes, in one table.

The class decides the retry policy (see `portalsync.errors`), so every rule that says "this Google answer
means that" lives here and nowhere else: the rest of the code only sees `WorkspaceError` subclasses.
"""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from typing import Any

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from portalsync.errors import (
    AlreadyExistsError,
    AuthError,
    CapReachedError,
    NotFoundError,
    NotSubscribedError,
    NotYetConsistentError,
    PermanentError,
    RateLimitedError,
    TransientError,
    WorkspaceError,
)

#: GAM's default retry reasons (glgapi.DEFAULT_RETRY_REASONS) plus serviceNotAvailable.
RATE_LIMIT_REASONS = frozenset({"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded"})
RETRY_REASONS = RATE_LIMIT_REASONS | frozenset(
    {
        "backendError",
        "badGateway",
        "gatewayTimeout",
        "internalError",
        "transientError",
        "serviceNotAvailable",
    }
)


@dataclass(frozen=True)
class Rule:
    """Matches when every given part matches; `None` matches anything. The message test is a substring."""

    error: type[WorkspaceError]
    status: int | None = None
    reasons: frozenset[str] | None = None
    message: str | None = None

    def matches(self, status: int, reason: str, message: str) -> bool:
        return (
            (self.status is None or self.status == status)
            and (self.reasons is None or reason in self.reasons)
            and (self.message is None or self.message.lower() in message.lower())
        )


#: First match wins; the order puts specific messages before generic statuses.
RULES: tuple[Rule, ...] = (
    Rule(NotYetConsistentError, 412, message="User creation is not complete"),
    Rule(CapReachedError, 412, message="Domain user limit exceeded"),
    Rule(CapReachedError, 412, message="enough available licenses"),
    Rule(CapReachedError, None, frozenset({"limitExceeded"}), "user limit"),
    # Licensing answers a second insert of the same SKU with 412; the license is there.
    Rule(AlreadyExistsError, 412, message="already has a license for the specified product and SKU"),
    # Concurrent mutations of one user: the other change won, this one did not apply (retry, don't assume).
    Rule(TransientError, 409, frozenset({"conflict"})),
    Rule(TransientError, 409, message="Conflicting requests"),
    Rule(AlreadyExistsError, 409),
    Rule(AlreadyExistsError, 500, message="role assignment exists"),
    # Licensing on a product the customer has no subscription for (GAMADV-XTD3#187).
    Rule(NotSubscribedError, 403, message="Unauthorized operation for the given domain"),
    Rule(NotFoundError, 404),
    # Licensing names an unknown (or not yet visible) user 400 invalid "...userId..." (GAM: userNotFound).
    Rule(NotFoundError, 400, frozenset({"invalid"}), "userId"),
    Rule(RateLimitedError, None, RATE_LIMIT_REASONS),
    Rule(RateLimitedError, 429),
    Rule(TransientError, None, RETRY_REASONS),
    Rule(TransientError, 408),
    Rule(AuthError, 401),
)


def _error_fields(content: bytes | str | None) -> tuple[str, str]:
    """(reason, message) from Google's JSON error body, or the google.rpc.Status shape IAM uses."""
    try:
        body = json.loads(content or b"{}")
    except (ValueError, TypeError):
        return "", ""
    error: Any = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", ""
    message = str(error.get("message") or "")
    details = error.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        return str(details[0].get("reason") or ""), str(details[0].get("message") or message)
    return str(error.get("status") or "").lower(), message


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header in seconds, whether given as a number or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def classify(status: int, reason: str, message: str, retry_after: float | None = None) -> WorkspaceError:
    """The portalsync error for one Google answer, by the first rule of `RULES` that matches."""
    text = message or f"HTTP {status}"
    for rule in RULES:
        if rule.matches(status, reason, message):
            if rule.error is RateLimitedError:
                return RateLimitedError(text, status, reason, retry_after)
            return rule.error(text, status, reason)
    if status >= 500:
        return TransientError(text, status, reason)
    return PermanentError(text, status, reason)


def from_http_error(error: HttpError) -> WorkspaceError:
    status = int(error.resp.status)
    reason, message = _error_fields(error.content)
    retry_after = retry_after_seconds(error.resp.get("retry-after"))
    return classify(status, reason, message or str(error.reason or ""), retry_after)


def from_exception(error: BaseException) -> WorkspaceError | None:
    """Any exception a Google call can raise, mapped; None for programming errors, which must propagate."""
    if isinstance(error, WorkspaceError):
        return error
    if isinstance(error, HttpError):
        return from_http_error(error)
    if isinstance(error, auth_exceptions.RefreshError):
        # unauthorized_client / invalid_grant: the delegation grant or subject needs fixing, not a retry.
        return AuthError(f"domain-wide delegation refused: {error.args[0] if error.args else error}")
    if isinstance(error, auth_exceptions.TransportError | httplib2.HttpLib2Error | OSError):
        return TransientError(f"network error: {type(error).__name__}: {error}")
    return None
