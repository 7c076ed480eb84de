"""Executing a plan through the `Workspace` port: batching, consistency waits, 409 = done, a result each.

HTTP retries live in the adapter; here live only the waits Google's eventual consistency needs after a
create (412 "User creation is not complete", 404 on a user made in this run), paced by the clock until a
deadline and never reported as failures while they last. A 409 is never guessed at: the account is read
back, and one portalsync does not manage is a conflict, not a success.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import TypeVar, assert_never

from portalsync.actions import (
    Action,
    AssignRole,
    CreateCustomRole,
    CreateOrgUnit,
    CreateUser,
    EnsureLicense,
    Plan,
    ReactivateUser,
    RevokeRole,
    SuspendUser,
    UpdateUserName,
)
from portalsync.apply_steps import Steps
from portalsync.ports import Clock, Workspace
from portalsync.results import ActionResult, Outcome, PasswordFactory, random_password

__all__ = ["ActionResult", "Outcome", "apply_plan", "random_password"]

log = logging.getLogger("portalsync.apply")

DEFAULT_CONSISTENCY_DEADLINE = 180.0

A = TypeVar("A", bound=Action)


def apply_plan(
    plan: Plan,
    workspace: Workspace,
    clock: Clock,
    password_factory: PasswordFactory,
    *,
    consistency_deadline: float = DEFAULT_CONSISTENCY_DEADLINE,
    on_created: Callable[[CreateUser], None] | None = None,
) -> list[ActionResult]:
    """Run the plan's actions in order, consecutive ones of a kind together (one batch); a result for each.

    Creates, licences, role assignments, user updates (suspend, reactivate, rename) and revocations go
    through the port's batch calls; the OU and the custom role are single calls.

    `on_created(action)` is called once for each account created now; the service uses it to record the
    address as due its first-sign-in mail (a fresh password is set and mailed later). The initial password
    never leaves apply: it is sent to Google and gone when the insert returns.
    """
    steps = Steps(workspace, clock, password_factory, consistency_deadline, on_created)
    results: list[ActionResult] = []
    for _, group in itertools.groupby(plan.actions, key=type):
        batch = list(group)
        for result in _run_group(steps, batch):
            _log(plan.account_id, result)
            results.append(result)
    return results


def _run_group(steps: Steps, batch: Sequence[Action]) -> list[ActionResult]:
    """One batch: consecutive actions of one type (`apply_plan` groups them by type)."""
    first = batch[0]
    match first:
        case CreateOrgUnit():
            return [steps.create_org_unit(a) for a in _of(CreateOrgUnit, batch)]
        case CreateCustomRole():
            return [steps.create_custom_role(a) for a in _of(CreateCustomRole, batch)]
        case CreateUser():
            return steps.create_users(_of(CreateUser, batch))
        case EnsureLicense():
            return steps.ensure_licenses(_of(EnsureLicense, batch))
        case AssignRole():
            return steps.assign_roles(_of(AssignRole, batch))
        case UpdateUserName() | ReactivateUser() | SuspendUser():
            updates = [a for a in batch if isinstance(a, UpdateUserName | ReactivateUser | SuspendUser)]
            return steps.update_users([(a, _patch(a)) for a in updates])
        case RevokeRole():
            return steps.revoke_roles(_of(RevokeRole, batch))
        case _:
            assert_never(first)


def _patch(action: UpdateUserName | ReactivateUser | SuspendUser) -> dict[str, object]:
    match action:
        case UpdateUserName():
            return {"name": {"givenName": action.given_name, "familyName": action.family_name}}
        case ReactivateUser():
            return {"suspended": False}
        case SuspendUser():
            return {"suspended": True}
        case _:
            assert_never(action)


def _of(kind: type[A], batch: Sequence[Action]) -> list[A]:
    return [a for a in batch if isinstance(a, kind)]


def _log(account_id: str, result: ActionResult) -> None:
    """Structured and secret-free: actions carry no password, results carry only the API's message."""
    action = result.action
    level = logging.WARNING if result.outcome in (Outcome.FAILED, Outcome.CONFLICT) else logging.INFO
    log.log(
        level,
        "%s %s",
        type(action).__name__,
        result.outcome.value,
        extra={
            "account_id": account_id,
            "action": type(action).__name__,
            "outcome": result.outcome.value,
            "email": getattr(action, "email", None),
            "detail": result.detail,
            "finding": result.finding.value if result.finding else None,
        },
    )
