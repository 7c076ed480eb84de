"""The steps apply takes per kind of action, sharing what one run learns (new ids, role ids, failures)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from portalsync.actions import (
    Action,
    AssignRole,
    CreateCustomRole,
    CreateOrgUnit,
    CreateUser,
    EnsureLicense,
    FindingKind,
    ReactivateUser,
    RevokeRole,
    SuspendUser,
    UpdateUserName,
)
from portalsync.errors import (
    AlreadyExistsError,
    NotFoundError,
    NotYetConsistentError,
    PermanentError,
    WorkspaceError,
)
from portalsync.observed import ObservedUser
from portalsync.ports import Clock, Privilege, Workspace
from portalsync.results import ActionResult, Outcome, PasswordFactory, finding_for

T = TypeVar("T")
UserUpdate = UpdateUserName | ReactivateUser | SuspendUser
FIRST_WAIT = 2.0
MAX_WAIT = 30.0


def failed(action: Action, error: WorkspaceError, user_id: str | None = None) -> ActionResult:
    return ActionResult(action, Outcome.FAILED, str(error), user_id, finding_for(error))


class Steps:
    def __init__(
        self,
        workspace: Workspace,
        clock: Clock,
        passwords: PasswordFactory,
        deadline: float,
        on_created: Callable[[CreateUser], None] | None = None,
    ) -> None:
        self.workspace = workspace
        self.on_created = on_created  # told of each account created now, never of its password
        self.clock = clock
        self.passwords = passwords
        self.deadline = deadline
        self.created: dict[str, str] = {}  # e-mail -> id of users created in this run
        self.user_ids: dict[str, str] = {}  # e-mail -> id, however learnt
        self.unavailable: dict[str, str] = {}  # e-mail -> why its account is not usable in this run
        self.role_ids: dict[str, str] = {}
        self._privileges: list[Privilege] | None = None

    # --- consistency waits -----------------------------------------------------------------------------

    def settle(
        self,
        count: int,
        attempt: Callable[[list[int]], Sequence[T | WorkspaceError]],
        fresh: Callable[[int], bool],
    ) -> list[T | WorkspaceError]:
        """Call `attempt(indices)` until no answer is a consistency error or the deadline passes.

        A consistency error is 412 "not complete", or 404 on something `fresh` (created in this run).
        """
        final: list[T | WorkspaceError] = [NotYetConsistentError("not attempted")] * count
        pending = list(range(count))
        started = self.clock.monotonic()
        wait = FIRST_WAIT
        while pending:
            waiting: list[int] = []
            for index, answer in zip(pending, attempt(pending), strict=True):
                final[index] = answer
                if isinstance(answer, NotYetConsistentError) or (
                    isinstance(answer, NotFoundError) and fresh(index)
                ):
                    waiting.append(index)
            remaining = self.deadline - (self.clock.monotonic() - started)
            if not waiting or remaining <= 0:
                break
            self.clock.sleep(min(wait, remaining))
            wait = min(wait * 2, MAX_WAIT)
            pending = waiting
        return final

    def call(self, func: Callable[[], T], fresh: bool = False) -> T | WorkspaceError:
        def attempt(_: list[int]) -> list[T | WorkspaceError]:
            try:
                return [func()]
            except WorkspaceError as error:
                return [error]

        return self.settle(1, attempt, lambda _: fresh)[0]

    # --- OU and role ----------------------------------------------------------------------------------

    def create_org_unit(self, action: CreateOrgUnit) -> ActionResult:
        answer = self.call(lambda: self.workspace.create_org_unit(action.path))
        if isinstance(answer, AlreadyExistsError):
            return ActionResult(action, Outcome.ALREADY)
        if isinstance(answer, WorkspaceError):
            return failed(action, answer)
        return ActionResult(action, Outcome.DONE)

    def create_custom_role(self, action: CreateCustomRole) -> ActionResult:
        if self._privileges is None:
            found = self.call(self.workspace.privileges)
            if isinstance(found, WorkspaceError):
                return failed(action, found)
            self._privileges = found
        by_name = {p.name: p for p in self._privileges}
        missing = [n for n in action.privilege_names if n not in by_name]
        if missing:
            detail = "privileges not found in privileges.list: " + ", ".join(missing)
            self.unavailable_role(action.role_name, detail)
            return ActionResult(action, Outcome.FAILED, detail, finding=FindingKind.PRIVILEGES_UNRESOLVABLE)
        wanted = [by_name[n] for n in action.privilege_names]
        answer = self.call(lambda: self.workspace.create_role(action.role_name, wanted))
        if isinstance(answer, AlreadyExistsError):
            existing = self.call(lambda: self.workspace.find_role(action.role_name))
            if isinstance(existing, str):
                self.role_ids[action.role_name] = existing
                return ActionResult(action, Outcome.ALREADY)
            answer = existing if isinstance(existing, WorkspaceError) else answer
        if isinstance(answer, WorkspaceError):
            self.unavailable_role(action.role_name, str(answer))
            return failed(action, answer)
        self.role_ids[action.role_name] = answer
        return ActionResult(action, Outcome.DONE)

    def unavailable_role(self, name: str, why: str) -> None:
        self.unavailable["role:" + name] = why

    # --- users ----------------------------------------------------------------------------------------

    def create_users(self, actions: Sequence[CreateUser]) -> list[ActionResult]:
        # The passwords live only in this call's frame: sent once, never kept, logged or returned.
        passwords = [self.passwords() for _ in actions]
        answers = self.workspace.insert_users(list(zip(actions, passwords, strict=True)))
        results: list[ActionResult] = []
        for action, answer in zip(actions, answers, strict=True):
            email = action.email.lower()
            if isinstance(answer, AlreadyExistsError):
                result = self.existing_user(action)
            elif isinstance(answer, WorkspaceError):
                result = failed(action, answer)
            else:
                self.created[email] = self.user_ids[email] = answer
                result = ActionResult(action, Outcome.DONE, user_id=answer)
                if self.on_created is not None:
                    self.on_created(action)
            if not result.ok:
                self.unavailable[email] = f"account not created ({result.outcome.value})"
            results.append(result)
        return results

    def existing_user(self, action: CreateUser) -> ActionResult:
        """After 409: read the account back; this person's is done, anyone else's is a conflict.

        A conflict carries no finding: the service re-plans with its address among the known conflicts, so
        the planner words it (and proposes the override) exactly as every later run will.
        """

        def read() -> ObservedUser:
            user = self.workspace.get_user(action.email)
            if user is None:
                raise NotFoundError(f"{action.email} answered 409 but cannot be read yet")
            return user

        user = self.call(read, fresh=True)
        if isinstance(user, WorkspaceError):
            return failed(action, user)
        self.user_ids[action.email.lower()] = user.id
        if user.managed and user.person_id in (None, action.person_id):
            return ActionResult(action, Outcome.ALREADY, user_id=user.id)
        detail = (
            f"{action.email} is the portal account portalsync made for {user.person_id}"
            if user.managed
            else f"{action.email} belongs to an account portalsync does not manage"
        )
        return ActionResult(action, Outcome.CONFLICT, detail, user.id)

    def update_users(self, updates: Sequence[tuple[UserUpdate, Mapping[str, object]]]) -> list[ActionResult]:
        """One batch of user patches (suspend, reactivate, rename), waiting out "not complete" as a create."""
        answers = self.settle(
            len(updates),
            lambda idx: self.workspace.update_users([(updates[i][0].user_id, updates[i][1]) for i in idx]),
            lambda _: False,
        )
        # A spurious 409 on update means the change applied (google-api-python-client#949): outcome() says so.
        return [
            self.outcome(action, answer, action.user_id)
            for (action, _), answer in zip(updates, answers, strict=True)
        ]

    def revoke_roles(self, actions: Sequence[RevokeRole]) -> list[ActionResult]:
        """One batch of assignment deletions; an assignment already gone is done."""
        answers = self.settle(
            len(actions),
            lambda idx: self.workspace.revoke_roles([actions[i].assignment_id for i in idx]),
            lambda _: False,
        )
        return [
            ActionResult(action, Outcome.ALREADY, user_id=action.user_id)
            if isinstance(answer, NotFoundError)
            else self.outcome(action, answer, action.user_id)
            for action, answer in zip(actions, answers, strict=True)
        ]

    # --- licences and roles ---------------------------------------------------------------------------

    def ensure_licenses(self, actions: Sequence[EnsureLicense]) -> list[ActionResult]:
        results: dict[int, ActionResult] = {}
        todo = [i for i, a in enumerate(actions) if not self.skip(a, results, i)]
        emails = [actions[i].email for i in todo]
        answers = self.settle(
            len(todo),
            lambda idx: self.workspace.insert_licenses([emails[i] for i in idx]),
            lambda i: emails[i].lower() in self.created,
        )
        for i, answer in zip(todo, answers, strict=True):
            result = self.outcome(actions[i], answer, self.user_ids.get(actions[i].email.lower()))
            if isinstance(answer, PermanentError) and result.finding is FindingKind.ACTION_FAILED:
                # refused for good, not for the cap or the subscription: the admin assigns it by hand
                result = replace(result, finding=FindingKind.CI_FREE_MISSING)
            results[i] = result
        return [results[i] for i in range(len(actions))]

    def assign_roles(self, actions: Sequence[AssignRole]) -> list[ActionResult]:
        results: dict[int, ActionResult] = {}
        pairs: dict[int, tuple[str, str]] = {}
        for i, action in enumerate(actions):
            if self.skip(action, results, i):
                continue
            resolved = self.resolve(action)
            if isinstance(resolved, ActionResult):
                results[i] = resolved
            else:
                pairs[i] = resolved
        todo = sorted(pairs)
        answers = self.settle(
            len(todo),
            lambda idx: self.workspace.assign_roles([pairs[todo[i]] for i in idx]),
            lambda i: actions[todo[i]].email.lower() in self.created,
        )
        for i, answer in zip(todo, answers, strict=True):
            results[i] = self.outcome(actions[i], answer, pairs[i][1])
        return [results[i] for i in range(len(actions))]

    def resolve(self, action: AssignRole) -> tuple[str, str] | ActionResult:
        """(role id, user id), from the plan, this run, or a read; an unresolvable one fails."""
        role_id = action.role_id or self.role_ids.get(action.role_name)
        if role_id is None:
            why = self.unavailable.get("role:" + action.role_name)
            if why is not None:
                return ActionResult(action, Outcome.SKIPPED, f"role {action.role_name} unavailable: {why}")
            found = self.call(lambda: self.workspace.find_role(action.role_name))
            if not isinstance(found, str):
                detail = str(found) if found is not None else f"role {action.role_name} not found"
                return ActionResult(action, Outcome.FAILED, detail, finding=FindingKind.ROLE_UNRESOLVABLE)
            role_id = self.role_ids[action.role_name] = found
        email = action.email.lower()
        user_id = action.user_id or self.user_ids.get(email)
        if user_id is None:
            answer = self.call(lambda: self._user_id(action.email), fresh=email in self.created)
            if isinstance(answer, WorkspaceError):
                return failed(action, answer)
            user_id = self.user_ids[email] = answer
        return role_id, user_id

    def _user_id(self, email: str) -> str:
        user = self.workspace.get_user(email)
        if user is None:
            raise NotFoundError(f"Resource Not Found: {email}")
        return user.id

    def skip(self, action: EnsureLicense | AssignRole, results: dict[int, ActionResult], index: int) -> bool:
        why = self.unavailable.get(action.email.lower())
        if why is not None:
            results[index] = ActionResult(action, Outcome.SKIPPED, why)
        return why is not None

    def outcome(self, action: Action, answer: object, user_id: str | None) -> ActionResult:
        if isinstance(answer, AlreadyExistsError):
            return ActionResult(action, Outcome.ALREADY, user_id=user_id)
        if isinstance(answer, WorkspaceError):
            return failed(action, answer, user_id)
        return ActionResult(action, Outcome.DONE, user_id=user_id)
