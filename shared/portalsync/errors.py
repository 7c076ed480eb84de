"""What can go wrong talking to Workspace, as portalsync's own classes: the error *is* the retry policy.

The Google adapter maps HTTP errors to these in one place (adapters/google_errors.py); the core never sees
an HttpError.
"""

from __future__ import annotations


class WorkspaceError(Exception):
    """An API call failed; `status` and `reason` are Google's."""

    def __init__(self, message: str, status: int = 0, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class TransientError(WorkspaceError):
    """5xx and backend errors: retried with backoff by the adapter; raised only when retries ran out."""


class RateLimitedError(TransientError):
    """Google's rate-limit reasons (403 userRateLimitExceeded / quotaExceeded, 429 rateLimitExceeded)."""

    def __init__(
        self, message: str, status: int = 0, reason: str = "", retry_after: float | None = None
    ) -> None:
        super().__init__(message, status, reason)
        self.retry_after = retry_after


class NotYetConsistentError(WorkspaceError):
    """412 "User creation is not complete." or 404 on a user just created: wait, don't report."""


class AlreadyExistsError(WorkspaceError):
    """409 duplicate: the thing is there; re-observe instead of guessing."""


class NotFoundError(WorkspaceError):
    """404 on something that should exist."""


class PermanentError(WorkspaceError):
    """Any other 4xx: retrying will not help; reported with the API's message."""


class CapReachedError(PermanentError):
    """Cloud Identity Free user cap reached (or no licenses left)."""


class NotSubscribedError(PermanentError):
    """The customer has no Cloud Identity Free subscription."""


class AuthError(PermanentError):
    """Domain-wide delegation refused (unauthorized_client / invalid_grant): the grant needs fixing."""
