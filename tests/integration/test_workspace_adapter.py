"""GoogleWorkspace and apply_plan against the Workspace emulator over real HTTP (google-api-python-client)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from portalsync.actions import AssignRole, CreateCustomRole, CreateOrgUnit, CreateUser, EnsureLicense, Plan
from portalsync.adapters.auth import WORKSPACE_SCOPES, AuthConfig, delegated_credentials
from portalsync.adapters.retry import RetryPolicy
from portalsync.adapters.workspace import ApiLimits, GoogleEndpoints, GoogleWorkspace, emulator_workspace
from portalsync.apply import apply_plan
from portalsync.errors import AlreadyExistsError, AuthError
from portalsync.model import DesiredAccount, ResellerAccount, RoleSpec, Settings
from portalsync.observed import Subscription
from portalsync.plan import plan_account
from portalsync.results import Outcome, random_password
from tests.support.google_clients import bearer
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

OU = "/Customer Care Portal"
ROLE = "Customer Care Portal"
ADMIN = "admin@a.example"
FAST_RETRY = RetryPolicy(max_attempts=10, max_elapsed=30.0, base=0.05, cap=0.5, jitter=0.05)
LIST_CALLS = {
    "directory.orgunits.get",
    "directory.roles.list",
    "directory.users.list",
    "directory.roleAssignments.list",
    "licensing.licenseAssignments.listForProductAndSku",
    "licensing.licenseAssignments.listForProduct",
}
ACCOUNT = ResellerAccount(
    account_id="a",
    customer_id="C01aaaaaa",
    admin_subject=ADMIN,
    domains=["a.example", "a2.example"],
    role=RoleSpec(kind="custom"),
)
SETTINGS = Settings()


class WallClock:
    def now_iso(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def workspace(url: str, **options: object) -> GoogleWorkspace:
    options.setdefault("retry", FAST_RETRY)
    return emulator_workspace(url, ADMIN, **options)


def user(email: str, person: str) -> CreateUser:
    return CreateUser("a", person, email.rsplit("@", 1)[1], email, "Aiko", "Sato", "aiko@corp.example", OU)


def full_plan(*emails: str) -> Plan:
    people = [(email, f"p{i}") for i, email in enumerate(emails)]
    return Plan(
        "a",
        (
            CreateOrgUnit("a", OU),
            CreateCustomRole("a", ROLE, ("VIEW_CUSTOMERS", "ACCESS_CUSTOMER_SUPPORT_CASES")),
            *(user(email, person) for email, person in people),
            *(EnsureLicense("a", person, email) for email, person in people),
            *(AssignRole("a", person, email, None, None, ROLE) for email, person in people),
        ),
    )


def apply(ws: GoogleWorkspace, plan: Plan, deadline: float = 30.0) -> list[Outcome]:
    results = apply_plan(plan, ws, WallClock(), random_password, consistency_deadline=deadline)
    return [r.outcome for r in results]


def assert_converged(ws: GoogleWorkspace, emails: list[str]) -> None:
    seen = ws.observe(ACCOUNT, SETTINGS, {})
    assert seen.ou_exists
    assert sorted(seen.users) == sorted(emails)
    assert all(u.managed and u.org_unit_path == OU for u in seen.users.values())
    role_id = next(r.role_id for r in seen.roles if r.name == ROLE)
    assigned = [a.user_id for a in seen.assignments if a.role_id == role_id]
    assert sorted(assigned) == sorted(u.id for u in seen.users.values())  # one each, no duplicates
    assert set(emails) <= seen.ci_free_holders


def test_observe_an_empty_tenant_with_list_calls_only(control: ControlClient, emulator_url: str) -> None:
    ws = workspace(emulator_url)
    seen = ws.observe(ACCOUNT, SETTINGS, {})
    assert not seen.ou_exists
    assert seen.users == {}
    assert seen.ci_free is Subscription.SUBSCRIBED
    assert {r.name for r in seen.roles} >= {"_RESELLER_ADMIN_ROLE", "_SEED_ADMIN_ROLE"}
    calls = control.calls()
    assert set(calls) <= LIST_CALLS
    assert ws.api_calls == sum(calls.values())


def test_unsubscribed_customer_is_observed_as_such(control: ControlClient, emulator_url: str) -> None:
    control.post("subscription", {"customerId": "C01aaaaaa", "cloudIdentityFree": False})
    seen = workspace(emulator_url).observe(ACCOUNT, SETTINGS, {})
    assert seen.ci_free is Subscription.NOT_SUBSCRIBED


def test_apply_a_plan_end_to_end_then_a_noop_observe(control: ControlClient, emulator_url: str) -> None:
    emails = ["aiko@a.example", "aiko@a2.example"]
    ws = workspace(emulator_url)
    outcomes = apply(ws, full_plan(*emails))
    assert Outcome.FAILED not in outcomes
    assert ws.api_calls == sum(control.calls().values())
    assert_converged(ws, emails)

    control.delete("calls")
    before = ws.api_calls
    seen = ws.observe(ACCOUNT, SETTINGS, {})
    calls = control.calls()
    assert set(calls) <= LIST_CALLS
    # OU get, roles, users per domain, assignments per accepted role (custom + 2 legacy absent), CI Free.
    assert calls == {
        "directory.orgunits.get": 1,
        "directory.roles.list": 1,
        "directory.users.list": 2,
        "directory.roleAssignments.list": 1,
        "licensing.licenseAssignments.listForProductAndSku": 1,
    }  # no tenant-wide paid-license list unless asked
    assert ws.api_calls - before == sum(calls.values())
    assert seen.paid_license_holders == frozenset()
    checked = ws.observe(ACCOUNT, SETTINGS, {}, check_paid_licenses=True)
    assert control.calls()["licensing.licenseAssignments.listForProduct"] == 1
    assert checked.paid_license_holders == frozenset()
    assert {u.email: u.person_id for u in seen.users.values()} == dict(zip(emails, ["p0", "p1"], strict=True))


def test_a_second_apply_is_already_done(control: ControlClient, emulator_url: str) -> None:
    ws = workspace(emulator_url)
    apply(ws, full_plan("aiko@a.example"))
    again = apply(ws, full_plan("aiko@a.example"))
    # Google answers 400 (not 409) for an existing OU; the adapter reads it back, so it counts as there too.
    assert again == [Outcome.ALREADY] * 5
    assert_converged(ws, ["aiko@a.example"])


def test_conflict_with_an_unmanaged_account(control: ControlClient, emulator_url: str) -> None:
    control.post("users", {"primaryEmail": "aiko@a.example", "name": {"givenName": "A", "familyName": "S"}})
    results = apply_plan(full_plan("aiko@a.example"), workspace(emulator_url), WallClock(), random_password)
    by_kind = {type(r.action).__name__: r for r in results}
    assert by_kind["CreateUser"].outcome is Outcome.CONFLICT
    assert "does not manage" in by_kind["CreateUser"].detail
    assert by_kind["AssignRole"].outcome is Outcome.SKIPPED


def test_faults_quotas_and_consistency_still_converge(control: ControlClient, emulator_url: str) -> None:
    emails = [f"u{i}@a.example" for i in range(6)] + ["u0@a2.example"]
    control.post("faults", {"method": "directory.users.insert", "count": 3, "status": 503})
    control.post(
        "faults",
        {"method": "directory.roleAssignments.insert", "count": 2, "status": 500, "reason": "internalError"},
    )
    control.post("faults", {"method": "licensing.licenseAssignments.insert", "count": 1, "status": 503})
    control.post("quotas", {"directoryPerMinute": 1200, "burstSeconds": 0.2})
    control.post("consistency", {"incompleteSeconds": 1.5, "getLagSeconds": 0.5, "listLagSeconds": 0.5})
    ws = workspace(emulator_url, limits=ApiLimits(directory_per_minute=100_000))  # let the emulator say no
    outcomes = apply(ws, full_plan(*emails))
    assert Outcome.FAILED not in outcomes
    assert ws.api_calls == sum(control.calls().values())
    control.post("clock", {"advanceSeconds": 1})  # past the list lag
    assert_converged(ws, emails)
    state = control.get("state")["customers"]["C01aaaaaa"]
    created = [u["primaryEmail"] for u in state["users"] if u["primaryEmail"] in emails]
    assert sorted(created) == sorted(emails)


def test_the_throttle_keeps_calls_under_the_quota(control: ControlClient, emulator_url: str) -> None:
    control.post("quotas", {"directoryPerMinute": 1200, "burstSeconds": 1.0})
    limits = ApiLimits(directory_per_minute=1100, burst_seconds=0.5)
    ws = workspace(emulator_url, limits=limits, retry=RetryPolicy(max_attempts=1))
    for _ in range(15):
        ws.observe(ACCOUNT, SETTINGS, {})  # would be refused with 403 userRateLimitExceeded unthrottled


def test_a_nested_org_unit_is_made_with_its_missing_parents(
    control: ControlClient, emulator_url: str
) -> None:
    ws = workspace(emulator_url)
    ws.create_org_unit("/Support/Care/Customer Care Portal")
    paths = {o["orgUnitPath"] for o in control.get("state")["customers"]["C01aaaaaa"]["orgunits"]}
    assert {"/Support", "/Support/Care", "/Support/Care/Customer Care Portal"} <= paths
    with pytest.raises(AlreadyExistsError):
        ws.create_org_unit("/Support/Care/Customer Care Portal")

    control.delete("calls")
    ws.create_org_unit("/Support/Care/Other")  # the parent exists: one call, as for a top-level OU
    assert control.calls() == {"directory.orgunits.insert": 1}


def test_inserts_are_batched(control: ControlClient, emulator_url: str) -> None:
    ws = workspace(emulator_url)
    ws.create_org_unit(OU)
    answers = ws.insert_users([(user(f"b{i}@a.example", f"p{i}"), random_password()) for i in range(8)])
    assert all(isinstance(a, str) for a in answers)
    assert control.calls()["directory.users.insert"] == 8  # each inner call counted
    assert control.batches() == 1  # in one multipart request, not eight


# --- authentication ----------------------------------------------------------------------------------------


def service_account(control: ControlClient, scopes: tuple[str, ...] = WORKSPACE_SCOPES) -> dict[str, str]:
    account: dict[str, str] = control.post(
        "service-accounts", {"email": "portalsync@proj.iam.gserviceaccount.com"}
    )
    control.post("dwd", {"customerId": "C01aaaaaa", "clientId": account["clientId"], "scopes": list(scopes)})
    return account


def keyless(url: str, subject: str = ADMIN) -> GoogleWorkspace:
    config = AuthConfig(
        mode="keyless",
        service_account_email="portalsync@proj.iam.gserviceaccount.com",
        token_uri=url + "token",
        iam_endpoint=url,
    )
    runtime = bearer("runtime-identity")  # the function's own identity; IAM checks not emulated
    credentials = delegated_credentials(config, subject, source=runtime)
    return GoogleWorkspace(credentials, GoogleEndpoints.single_host(url), retry=FAST_RETRY)


def test_keyless_delegation_signs_through_iam_and_trades_at_the_token_endpoint(
    control: ControlClient, emulator_url: str
) -> None:
    service_account(control)
    seen = keyless(emulator_url).observe(ACCOUNT, SETTINGS, {})
    assert seen.ci_free is Subscription.SUBSCRIBED
    calls = control.calls()
    assert calls["iamcredentials.projects.serviceAccounts.signBlob"] >= 1
    assert calls["oauth2.token"] == 1  # one token for every call of the account


def test_an_iam_outage_while_signing_is_retried_not_an_auth_error(
    control: ControlClient, emulator_url: str
) -> None:
    service_account(control)
    method = "iamcredentials.projects.serviceAccounts.signBlob"
    control.post("faults", {"method": method, "count": 2, "status": 503, "reason": "backendError"})
    assert keyless(emulator_url).get_user(ADMIN) is not None
    assert control.calls()[method] == 3


def test_keyless_without_the_grant_is_an_auth_error(control: ControlClient, emulator_url: str) -> None:
    service_account(control, scopes=WORKSPACE_SCOPES[:1])  # the console lacks most scopes
    with pytest.raises(AuthError, match="unauthorized_client"):
        keyless(emulator_url).observe(ACCOUNT, SETTINGS, {})


def test_key_file_delegation(control: ControlClient, emulator_url: str, tmp_path: Path) -> None:
    account = service_account(control)
    key = tmp_path / "key.json"
    key.write_text(
        json.dumps(
            {
                "type": "service_account",
                "client_email": account["email"],
                "client_id": account["clientId"],
                "private_key_id": account["privateKeyId"],
                "private_key": account["privateKeyPem"],
                "token_uri": emulator_url + "token",
            }
        )
    )
    config = AuthConfig(mode="keyfile", key_file=str(key), token_uri=emulator_url + "token")
    ws = GoogleWorkspace(delegated_credentials(config, ADMIN), GoogleEndpoints.single_host(emulator_url))
    assert ws.get_user(ADMIN) is not None


def test_a_reseller_role_found_only_by_the_fallback_has_its_assignments_observed(
    control: ControlClient, emulator_url: str
) -> None:
    """The adapter lists the assignments of the role the planner picks, also one only the fallback finds."""
    fallback_only = "_PARTNER_RESELLER_ROLE"  # matches no configured name; sorts before _RESELLER_ADMIN_ROLE
    control.post("roles", {"customerId": "C01aaaaaa", "roleName": fallback_only})
    settings = Settings(reseller_admin_role_names=["_NO_SUCH_ROLE"])
    reseller = ResellerAccount(
        account_id="a", customer_id="C01aaaaaa", admin_subject=ADMIN, domains=["a.example"]
    )
    desired = [
        DesiredAccount(
            account_id="a",
            person_id="p0",
            domain="a.example",
            email="aiko@a.example",
            given_name="Aiko",
            family_name="Sato",
            recovery_email="aiko@corp.example",
            locale="en",
            username="aiko",
        )
    ]
    ws = workspace(emulator_url)

    first = plan_account(reseller, desired, ws.observe(reseller, settings, {}), settings)
    assigns = [a for a in first.actions if isinstance(a, AssignRole)]
    assert [a.role_name for a in assigns] == [fallback_only]
    assert Outcome.FAILED not in apply(ws, first)

    seen = ws.observe(reseller, settings, {})
    role_id = next(r.role_id for r in seen.roles if r.name == fallback_only)
    assert [(a.role_id, a.user_id) for a in seen.assignments] == [(role_id, seen.users["aiko@a.example"].id)]

    control.delete("calls")
    again = plan_account(reseller, desired, seen, settings)
    assert again.actions == ()
    assert apply(ws, again) == []
    assert set(control.calls()) <= LIST_CALLS  # no role (or any other) write on the no-op sync
