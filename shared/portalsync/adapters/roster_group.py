"""Read the staff roster from a Google Group in the reseller's main domain.

Membership comes from Directory `members.list` (paged, 200 a page); names and languages from one paged
`users.list` over the customer rather than a `users.get` per member, so a roster of any size costs a few
list pages. A member that is not a user of the customer (a nested group, an outside address) cannot be
given a name and is reported as a `ValidationIssue` marked as a warning: it is not a bad roster entry (nobody
is skipped by mistake), so it does not hold back the deactivation of people who left the group.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from google.auth import credentials as auth_credentials

from portalsync.adapters.google_calls import ApiCaller, discovery_client
from portalsync.adapters.retry import Retrier, RetryPolicy, SystemTimer, Timer
from portalsync.adapters.throttle import DIRECTORY_PER_MINUTE, TokenBucket
from portalsync.model import Person
from portalsync.ports import ValidationIssue
from portalsync.validation import validate

DIRECTORY_ENDPOINT = "https://admin.googleapis.com/"
MEMBERS_PAGE = 200
USERS_PAGE = 500
USER_FIELDS = "nextPageToken,users(primaryEmail,name(givenName,familyName),languages,suspended)"


class GroupRoster:
    """Everyone in one group, as the main domain's admin (delegated credentials)."""

    def __init__(
        self,
        credentials: auth_credentials.Credentials,
        group_email: str,
        endpoint: str = DIRECTORY_ENDPOINT,
        retry: RetryPolicy | None = None,
        timer: Timer | None = None,
    ) -> None:
        self._credentials = credentials
        self._endpoint = endpoint
        self.group = group_email.lower()
        timer = timer or SystemTimer()
        bucket = TokenBucket(DIRECTORY_PER_MINUTE, timer=timer)  # the Directory quota, like the adapter's
        self._calls = ApiCaller(Retrier(retry or RetryPolicy(), timer), {"directory": bucket})

    @property
    def api_calls(self) -> int:
        return self._calls.calls

    @property
    def name(self) -> str:
        return f"group {self.group}"

    @cached_property
    def _directory(self) -> Any:
        return discovery_client("admin", "directory_v1", self._credentials, self._endpoint)

    def members(self) -> list[dict[str, Any]]:
        api = self._directory.members()
        return self._calls.pages(
            "directory",
            lambda t: api.list(groupKey=self.group, maxResults=MEMBERS_PAGE, pageToken=t),
            "members",
        )

    def users(self) -> dict[str, dict[str, Any]]:
        api = self._directory.users()
        pages = self._calls.pages(
            "directory",
            lambda t: api.list(
                customer="my_customer",
                maxResults=USERS_PAGE,
                projection="basic",
                fields=USER_FIELDS,
                pageToken=t,
            ),
            "users",
        )
        return {str(u["primaryEmail"]).lower(): u for u in pages}

    def load(self) -> tuple[list[Person], list[ValidationIssue]]:
        people: list[Person] = []
        issues: list[ValidationIssue] = []
        members = self.members()
        users = self.users() if members else {}
        for member in members:
            email = str(member.get("email", "")).lower()
            source = f"group {self.group} member {email or member.get('id')}"
            kind = str(member.get("type", "USER"))
            if kind != "USER":
                message = f"a {kind.lower()} member, not a person: skipped"
                issues.append(ValidationIssue(source, "type", message, warning=True))
                continue
            user = users.get(email)
            if user is None:
                message = "not a user of this Workspace account: skipped"
                issues.append(ValidationIssue(source, "email", message, warning=True))
                continue
            person, problems = validate(Person, _person_data(user, member), source)
            issues.extend(problems)
            if person is not None:
                people.append(person)
        return people, issues


def _person_data(user: dict[str, Any], member: dict[str, Any]) -> dict[str, Any]:
    name = user.get("name") or {}
    preferred = [str(lang.get("languageCode", "")) for lang in user.get("languages") or []]
    suspended = bool(user.get("suspended")) or member.get("status") == "SUSPENDED"
    email = str(user["primaryEmail"])
    return {
        "person_id": email.lower(),
        "given_name": name.get("givenName", ""),
        "family_name": name.get("familyName", ""),
        "workspace_email": email,
        "locale": "ja" if any(code.lower().startswith("ja") for code in preferred) else "en",
        "active": not suspended,  # a suspended staff member has left: their portal accounts follow
    }
