"""What applying one action came to: the value apply returns for every action of a plan, failures included."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from portalsync.actions import Action, FindingKind
from portalsync.errors import AuthError, CapReachedError, NotSubscribedError, WorkspaceError


class Outcome(StrEnum):
    DONE = "done"  # changed now
    ALREADY = "already"  # Google said it was there (409), confirmed by reading it back
    CONFLICT = "conflict"  # the address belongs to an account portalsync does not manage
    FAILED = "failed"  # with the API's message
    SKIPPED = "skipped"  # depended on an action that did not succeed


@dataclass(frozen=True)
class ActionResult:
    action: Action
    outcome: Outcome
    detail: str = ""
    user_id: str | None = None
    #: what to report when this calls for an operator; a conflict has none, the re-plan reports it
    finding: FindingKind | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.DONE, Outcome.ALREADY)

    @property
    def count_key(self) -> str:
        """`<action>:<outcome>`, as the run record counts them."""
        return f"{type(self.action).__name__}:{self.outcome.value}"


def finding_for(error: WorkspaceError) -> FindingKind:
    """The finding an error raises, so a cap or a missing subscription reaches the operator as such."""
    if isinstance(error, CapReachedError):
        return FindingKind.CI_FREE_CAP_REACHED
    if isinstance(error, NotSubscribedError):
        return FindingKind.CI_FREE_NOT_SUBSCRIBED
    if isinstance(error, AuthError):
        return FindingKind.ACCOUNT_UNREACHABLE
    return FindingKind.ACTION_FAILED


PasswordFactory = Callable[[], str]

_ALPHABET = string.ascii_letters + string.digits + "-_.!@#%"


def random_password(length: int = 20) -> str:
    """An initial password from `secrets`: letters, digits and a symbol; the user must change it at login."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        has_all = (
            any(c.islower() for c in candidate)
            and any(c.isupper() for c in candidate)
            and any(c.isdigit() for c in candidate)
            and any(not c.isalnum() for c in candidate)
        )
        if has_all:
            return candidate
