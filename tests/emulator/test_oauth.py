"""Domain-wide delegation through google-auth against the emulator's token endpoint and IAM Credentials."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth.exceptions import RefreshError
from google.oauth2 import service_account
from googleapiclient.errors import HttpError

from tests.support.google_clients import keyed, service_with
from tests.support.keyless import SignJwtCredentials, blob_signed_credentials, iam_service
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

CUSTOMER_A = "C01aaaaaa"
SA_EMAIL = "portalsync@demo-project.iam.gserviceaccount.com"
CLIENT_ID = "109876543210987654321"
AUTH = "https://www.googleapis.com/auth/"
USERS = AUTH + "admin.directory.user"
USERS_READ = AUTH + "admin.directory.user.readonly"
LICENSING = AUTH + "apps.licensing"


def new_user(email: str) -> dict[str, Any]:
    return {
        "primaryEmail": email,
        "name": {"givenName": "Grace", "familyName": "Hopper"},
        "password": "pw-123456",
    }


@pytest.fixture
def account(control: ControlClient) -> dict[str, Any]:
    """A service account whose key the emulator generated (and keeps, for IAM signing)."""
    created: dict[str, Any] = control.post("service-accounts", {"email": SA_EMAIL, "clientId": CLIENT_ID})
    return created


def grant(control: ControlClient, *scopes: str, customer: str = CUSTOMER_A) -> None:
    control.post("dwd", {"customerId": customer, "clientId": CLIENT_ID, "scopes": list(scopes)})


def key_credentials(
    account: dict[str, Any], url: str, scopes: list[str], subject: str
) -> service_account.Credentials:
    info = {
        "type": "service_account",
        "client_email": account["email"],
        "client_id": account["clientId"],
        "private_key": account["privateKeyPem"],
        "private_key_id": account["privateKeyId"],
        "token_uri": url + "token",
    }
    return keyed(info, scopes, subject)


def directory_with(credentials: Any, url: str) -> Any:
    return service_with(url, credentials)


def refresh_failure(credentials: Any, url: str) -> RefreshError:
    svc = directory_with(credentials, url)
    with pytest.raises(RefreshError) as caught:
        svc.users().get(userKey="admin@a.example").execute()
    return caught.value


def test_granted_scopes_work_end_to_end_and_the_token_is_reused(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS, LICENSING)
    svc = directory_with(key_credentials(account, emulator_url, [USERS], "admin@a.example"), emulator_url)
    created = svc.users().insert(body=new_user("grace@a.example")).execute()
    fetched = svc.users().get(userKey=created["id"]).execute()
    assert fetched["primaryEmail"] == "grace@a.example"
    calls = control.calls()
    assert calls["oauth2.token"] == 1
    assert calls["directory.users.insert"] == calls["directory.users.get"] == 1


def test_scope_not_granted_is_unauthorized_client(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)
    error = refresh_failure(
        key_credentials(account, emulator_url, [USERS, LICENSING], "admin@a.example"), emulator_url
    )
    assert str(error.args[0]).startswith(
        "unauthorized_client: Client is unauthorized to retrieve access tokens"
    )
    assert error.args[1]["error"] == "unauthorized_client"
    assert not error.retryable


def test_subject_of_another_customer_is_unauthorized_client(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)  # granted in customer A only
    error = refresh_failure(key_credentials(account, emulator_url, [USERS], "admin@b.example"), emulator_url)
    assert "unauthorized_client" in str(error)


def test_revoked_grant_stops_new_tokens(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)
    control.delete("dwd", {"customerId": CUSTOMER_A, "clientId": CLIENT_ID})
    error = refresh_failure(key_credentials(account, emulator_url, [USERS], "admin@a.example"), emulator_url)
    assert "unauthorized_client" in str(error)


def test_unknown_subject_is_invalid_grant(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)
    error = refresh_failure(key_credentials(account, emulator_url, [USERS], "ghost@a.example"), emulator_url)
    assert str(error.args[0]) == "invalid_grant: Invalid email or User ID"


def test_assertion_signed_with_another_key_is_invalid_grant(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = dict(account)
    forged["privateKeyPem"] = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    error = refresh_failure(key_credentials(forged, emulator_url, [USERS], "admin@a.example"), emulator_url)
    assert str(error.args[0]) == "invalid_grant: Invalid JWT Signature."


def test_unregistered_service_account_is_invalid_grant(control: ControlClient, emulator_url: str) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    stranger = {
        "email": "nobody@x.iam.gserviceaccount.com",
        "clientId": "1",
        "privateKeyPem": pem,
        "privateKeyId": "k",
    }
    error = refresh_failure(key_credentials(stranger, emulator_url, [USERS], "admin@a.example"), emulator_url)
    assert str(error.args[0]).startswith("invalid_grant:")


def test_token_scopes_are_enforced_per_method(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS, USERS_READ)
    svc = directory_with(
        key_credentials(account, emulator_url, [USERS_READ], "admin@a.example"), emulator_url
    )
    assert svc.users().get(userKey="admin@a.example").execute()["isAdmin"] is True
    with pytest.raises(HttpError) as caught:
        svc.users().insert(body=new_user("grace@a.example")).execute()
    assert caught.value.resp.status == 403
    error = json.loads(caught.value.content)["error"]
    assert error["errors"][0]["reason"] == "insufficientPermissions"
    assert error["message"] == "Request had insufficient authentication scopes."


def test_public_key_only_account_works_with_its_own_key_but_cannot_be_signed_for(
    control: ControlClient, emulator_url: str
) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    registered = control.post(
        "service-accounts", {"email": SA_EMAIL, "clientId": CLIENT_ID, "publicKeyPem": public}
    )
    assert "privateKeyPem" not in registered
    grant(control, USERS)
    own = dict(registered)
    own["privateKeyPem"] = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    svc = directory_with(key_credentials(own, emulator_url, [USERS], "admin@a.example"), emulator_url)
    assert svc.users().get(userKey="admin@a.example").execute()["primaryEmail"] == "admin@a.example"
    iam = iam_service(emulator_url)
    with pytest.raises(HttpError) as caught:
        iam.projects().serviceAccounts().signBlob(
            name=f"projects/-/serviceAccounts/{SA_EMAIL}", body={"payload": "aGk="}
        ).execute()
    assert caught.value.resp.status == 400
    assert json.loads(caught.value.content)["error"]["status"] == "FAILED_PRECONDITION"


def test_iam_signing_for_an_unknown_account_is_not_found(control: ControlClient, emulator_url: str) -> None:
    iam = iam_service(emulator_url)
    with pytest.raises(HttpError) as caught:
        iam.projects().serviceAccounts().signJwt(
            name="projects/-/serviceAccounts/ghost@x.iam.gserviceaccount.com", body={"payload": "{}"}
        ).execute()
    assert caught.value.resp.status == 404
    assert json.loads(caught.value.content)["error"]["status"] == "NOT_FOUND"


def test_keyless_sign_blob_signer_gets_a_working_token(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)
    iam = iam_service(emulator_url)
    credentials = blob_signed_credentials(iam, SA_EMAIL, emulator_url + "token", [USERS], "admin@a.example")
    svc = directory_with(credentials, emulator_url)
    assert svc.users().get(userKey="admin@a.example").execute()["primaryEmail"] == "admin@a.example"
    assert control.calls()["iamcredentials.projects.serviceAccounts.signBlob"] == 1


def test_keyless_sign_jwt_gets_a_working_token_and_keeps_delegation_rules(
    control: ControlClient, emulator_url: str, account: dict[str, Any]
) -> None:
    grant(control, USERS)
    iam = iam_service(emulator_url)
    token_uri = emulator_url + "token"
    svc = directory_with(
        SignJwtCredentials(iam, SA_EMAIL, token_uri, [USERS], "admin@a.example"), emulator_url
    )
    assert svc.users().get(userKey="admin@a.example").execute()["primaryEmail"] == "admin@a.example"
    assert control.calls()["iamcredentials.projects.serviceAccounts.signJwt"] == 1
    denied = SignJwtCredentials(iam, SA_EMAIL, token_uri, [USERS, LICENSING], "admin@a.example")
    assert "unauthorized_client" in str(refresh_failure(denied, emulator_url))
