"""`GoogleWorkspace`: the `Workspace` port over the Directory and Licensing APIs (google-api-python-client).

Services are built lazily from the discovery documents bundled with the client (no network, ~2 ms), so
constructing an adapter at cold start costs nothing. `api_endpoint` points both APIs at one host for the
emulator; batches go to `<endpoint>/batch`, because `new_batch_http_request()` ignores `api_endpoint`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from google.auth import credentials as auth_credentials

from portalsync.actions import CreateUser
from portalsync.adapters.auth import AuthConfig, delegated_credentials
from portalsync.adapters.directory_reads import CI_FREE_PRODUCT, CI_FREE_SKU, TenantReader, to_user
from portalsync.adapters.google_calls import BATCH_SIZE, ApiCaller, discovery_client
from portalsync.adapters.retry import Retrier, RetryPolicy, SystemTimer, Timer
from portalsync.adapters.throttle import DIRECTORY_PER_MINUTE, LICENSING_PER_MINUTE, TokenBucket
from portalsync.errors import AlreadyExistsError, PermanentError, WorkspaceError
from portalsync.model import MANAGED_MARK, ResellerAccount, Settings
from portalsync.observed import ObservedAccount, ObservedUser
from portalsync.ports import Privilege

DIRECTORY_ENDPOINT = "https://admin.googleapis.com/"
LICENSING_ENDPOINT = "https://licensing.googleapis.com/"


@dataclass(frozen=True)
class GoogleEndpoints:
    directory: str = DIRECTORY_ENDPOINT
    licensing: str = LICENSING_ENDPOINT

    @classmethod
    def single_host(cls, url: str) -> GoogleEndpoints:
        """Both APIs on one host (the emulator)."""
        return cls(url.rstrip("/") + "/", url.rstrip("/") + "/")


@dataclass(frozen=True)
class ApiLimits:
    directory_per_minute: float = DIRECTORY_PER_MINUTE
    licensing_per_minute: float = LICENSING_PER_MINUTE
    batch_size: int = BATCH_SIZE
    burst_seconds: float = 1.0  # how many seconds' worth of calls may go at once


def _flatten(nodes: Sequence[Mapping[str, Any]]) -> list[Privilege]:
    found: list[Privilege] = []
    for node in nodes:
        found.append(Privilege(str(node["serviceId"]), str(node["privilegeName"])))
        found.extend(_flatten(node.get("childPrivileges") or []))
    return found


class GoogleWorkspace:
    """One reseller account's tenant, as its super admin; every call throttled, retried and counted."""

    def __init__(
        self,
        credentials: auth_credentials.Credentials,
        endpoints: GoogleEndpoints | None = None,
        limits: ApiLimits | None = None,
        retry: RetryPolicy | None = None,
        timer: Timer | None = None,
    ) -> None:
        self._credentials = credentials
        self._endpoints = endpoints or GoogleEndpoints()
        limits = limits or ApiLimits()
        timer = timer or SystemTimer()
        buckets = {
            "directory": TokenBucket(
                limits.directory_per_minute, limits.directory_per_minute / 60 * limits.burst_seconds, timer
            ),
            "licensing": TokenBucket(
                limits.licensing_per_minute, limits.licensing_per_minute / 60 * limits.burst_seconds, timer
            ),
        }
        self._calls = ApiCaller(Retrier(retry or RetryPolicy(), timer), buckets, limits.batch_size)

    @property
    def api_calls(self) -> int:
        return self._calls.calls

    def _build(self, api: str, version: str, endpoint: str) -> Any:
        return discovery_client(api, version, self._credentials, endpoint)

    @cached_property
    def _directory(self) -> Any:
        return self._build("admin", "directory_v1", self._endpoints.directory)

    @cached_property
    def _licensing(self) -> Any:
        return self._build("licensing", "v1", self._endpoints.licensing)

    def _batch_uri(self, endpoint: str) -> str:
        return endpoint.rstrip("/") + "/batch"

    # --- reads -----------------------------------------------------------------------------------------

    def observe(
        self,
        account: ResellerAccount,
        settings: Settings,
        known_ids: Mapping[str, str],
        *,
        check_paid_licenses: bool = False,
    ) -> ObservedAccount:
        return self._reader().observe(account, settings, known_ids, check_paid_licenses=check_paid_licenses)

    def _reader(self) -> TenantReader:
        return TenantReader(self._calls, self._directory, self._licensing)

    def get_user(self, email: str) -> ObservedUser | None:
        users = self._directory.users()
        found = self._calls.get_or_none("directory", lambda: users.get(userKey=email))
        return to_user(found) if found is not None else None

    def privileges(self) -> list[Privilege]:
        privileges = self._directory.privileges()
        answer = self._calls.execute("directory", lambda: privileges.list(customer="my_customer"))
        return _flatten(answer.get("items") or [])

    def find_role(self, name: str) -> str | None:
        roles = self._reader().roles()
        return next((r.role_id for r in roles if r.name == name), None)

    # --- writes ----------------------------------------------------------------------------------------

    def create_org_unit(self, path: str) -> None:
        """The OU and any missing parent: orgunits.insert makes one level, so `/Support/Portal` fails while
        `/Support` is missing. Google answers a plain 400 both for an existing OU ("Invalid Ou Id", not 409)
        and for a missing parent, so a failed insert reads the OU, then its parent, back to tell which; the
        usual case (the parent exists) stays one call."""
        parent, _, name = path.rstrip("/").rpartition("/")
        try:
            self._insert_org_unit(parent or "/", name)
            return
        except PermanentError as error:
            if type(error) is not PermanentError:
                raise
            reader = self._reader()
            if reader.ou_exists(path):
                raise AlreadyExistsError(f"org unit {path} exists", error.status, error.reason) from error
            if not parent or reader.ou_exists(parent):
                raise
        with suppress(AlreadyExistsError):  # created meanwhile by someone else: as good
            self.create_org_unit(parent)
        self._insert_org_unit(parent, name)

    def _insert_org_unit(self, parent: str, name: str) -> None:
        body = {"name": name, "parentOrgUnitPath": parent}
        orgunits = self._directory.orgunits()
        self._calls.execute("directory", lambda: orgunits.insert(customerId="my_customer", body=body))

    def create_role(self, name: str, privileges: Sequence[Privilege]) -> str:
        body = {
            "roleName": name,
            "roleDescription": "Customer Care Portal access, managed by portalsync",
            "rolePrivileges": [{"serviceId": p.service_id, "privilegeName": p.name} for p in privileges],
        }
        roles = self._directory.roles()
        created = self._calls.execute("directory", lambda: roles.insert(customer="my_customer", body=body))
        return str(created["roleId"])

    def insert_users(self, users: Sequence[tuple[CreateUser, str]]) -> list[str | WorkspaceError]:
        api = self._directory.users()
        requests = [partial(api.insert, body=_user_body(action, password)) for action, password in users]
        answers = self._calls.batch("directory", self._batch_uri(self._endpoints.directory), requests)
        return [a if isinstance(a, WorkspaceError) else str(a["id"]) for a in answers]

    def update_user(self, user_key: str, patch: Mapping[str, object]) -> None:
        users = self._directory.users()
        self._calls.execute("directory", partial(users.update, userKey=user_key, body=dict(patch)))

    def insert_licenses(self, emails: Sequence[str]) -> list[WorkspaceError | None]:
        api = self._licensing.licenseAssignments()
        requests = [
            partial(api.insert, productId=CI_FREE_PRODUCT, skuId=CI_FREE_SKU, body={"userId": email})
            for email in emails
        ]
        answers = self._calls.batch("licensing", self._batch_uri(self._endpoints.licensing), requests)
        return [a if isinstance(a, WorkspaceError) else None for a in answers]

    def assign_roles(self, pairs: Sequence[tuple[str, str]]) -> list[WorkspaceError | None]:
        api = self._directory.roleAssignments()
        requests = [
            partial(
                api.insert,
                customer="my_customer",
                body={"roleId": role_id, "assignedTo": user_id, "scopeType": "CUSTOMER"},
            )
            for role_id, user_id in pairs
        ]
        answers = self._calls.batch("directory", self._batch_uri(self._endpoints.directory), requests)
        return [a if isinstance(a, WorkspaceError) else None for a in answers]

    def revoke_role(self, assignment_id: str) -> None:
        api = self._directory.roleAssignments()
        self._calls.execute(
            "directory", lambda: api.delete(customer="my_customer", roleAssignmentId=assignment_id)
        )

    def update_users(
        self, updates: Sequence[tuple[str, Mapping[str, object]]]
    ) -> list[WorkspaceError | None]:
        api = self._directory.users()
        requests = [partial(api.update, userKey=key, body=dict(patch)) for key, patch in updates]
        answers = self._calls.batch("directory", self._batch_uri(self._endpoints.directory), requests)
        return [a if isinstance(a, WorkspaceError) else None for a in answers]

    def revoke_roles(self, assignment_ids: Sequence[str]) -> list[WorkspaceError | None]:
        api = self._directory.roleAssignments()
        requests = [partial(api.delete, customer="my_customer", roleAssignmentId=i) for i in assignment_ids]
        answers = self._calls.batch("directory", self._batch_uri(self._endpoints.directory), requests)
        return [a if isinstance(a, WorkspaceError) else None for a in answers]


def _user_body(action: CreateUser, password: str) -> dict[str, Any]:
    return {
        "primaryEmail": action.email,
        "name": {"givenName": action.given_name, "familyName": action.family_name},
        "password": password,
        "changePasswordAtNextLogin": True,
        "orgUnitPath": action.ou_path,
        "recoveryEmail": action.recovery_email,
        "externalIds": [{"type": "custom", "customType": MANAGED_MARK, "value": action.person_id}],
    }


def emulator_workspace(url: str, subject: str, **options: Any) -> GoogleWorkspace:
    """A workspace against the local emulator with its static `emulator:<subject>` token."""
    credentials = delegated_credentials(AuthConfig(mode="emulator"), subject)
    return GoogleWorkspace(credentials, GoogleEndpoints.single_host(url), **options)
