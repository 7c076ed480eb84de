"""Every route the emulator serves is a discovery method, and every response body fits that method's schema.

The cases below call each served method through google-api-python-client and validate what comes back with a
strict discovery-schema validator; a method served without a case here fails the coverage test.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import googleapiclient
import pytest
from googleapiclient.discovery import build

from tests.support.discovery_schema import validate
from tests.support.google_clients import bearer, directory, gmail, licensing, service
from workspace_emulator import handlers
from workspace_emulator.calls import HANDLERS
from workspace_emulator.client import ControlClient
from workspace_emulator.discovery import DOCUMENTS, all_methods
from workspace_emulator.emulator import Emulator

pytestmark = pytest.mark.emulator

ADMIN = "admin@a.example"
DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def _raw_methods(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {m["id"]: m for m in resource.get("methods", {}).values()}
    for child in resource.get("resources", {}).values():
        found.update(_raw_methods(child))
    return found


def test_every_served_route_is_a_bundled_discovery_method() -> None:
    handlers.load_all()
    bundled: dict[str, dict[str, Any]] = {}
    for filename in DOCUMENTS.values():
        bundled.update(_raw_methods(json.loads((DOCS / filename).read_text(encoding="utf-8"))))
    served = Emulator().router.methods
    assert served, "the emulator serves no methods"
    for method in served:
        raw = bundled.get(method.id)
        assert raw is not None, f"{method.id} is not in the bundled discovery documents"
        assert (method.http_method, method.path) == (raw["httpMethod"], raw["path"]), method.id


def test_a_path_outside_the_discovery_documents_is_not_served(
    emulator_url: str, control: ControlClient
) -> None:
    dir_service = directory(emulator_url, ADMIN)
    request = dir_service.users().list(customer="my_customer")
    request.uri = request.uri.replace("/users?", "/usersx?")
    with pytest.raises(googleapiclient.errors.HttpError) as caught:
        request.execute()
    assert caught.value.resp.status == 404


Case = Callable[[dict[str, Any]], Any]


def _world(url: str, control: ControlClient) -> dict[str, Any]:
    """One of everything, so each method has something to answer about."""
    d = directory(url, ADMIN)
    user = (
        d.users()
        .insert(
            body={
                "primaryEmail": "grace@a.example",
                "password": "pw-123456",
                "name": {"givenName": "Grace", "familyName": "ホッパー"},
            }
        )
        .execute()
    )
    ou = (
        d.orgunits()
        .insert(customerId="my_customer", body={"name": "Schema OU", "parentOrgUnitPath": "/"})
        .execute()
    )
    role = d.roles().list(customer="my_customer").execute()["items"][0]
    control.post("groups", {"email": "staff@a.example", "members": ["grace@a.example"]})
    control.post("sheets", {"spreadsheetId": "sheet1", "sheets": {"Sheet1": [["a", "b"], ["1", "2"]]}})
    account = control.post("service-accounts", {"email": "sa@p.iam.gserviceaccount.com", "clientId": "42"})
    customer = d.customers().get(customerKey="my_customer").execute()
    return {
        "d": d,
        "l": licensing(url, ADMIN),
        "g": gmail(url, ADMIN),
        "url": url,
        "user": user,
        "ou": ou,
        "role": role,
        "customer": customer["id"],
        "sa": account["email"],
    }


def _assignment(w: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = (
        w["d"]
        .roleAssignments()
        .insert(
            customer="my_customer",
            body={"roleId": w["role"]["roleId"], "assignedTo": w["user"]["id"], "scopeType": "CUSTOMER"},
        )
        .execute()
    )
    return result


def _iam(w: dict[str, Any]) -> Any:
    creds = bearer("emulator:caller")
    return (
        build(
            "iamcredentials",
            "v1",
            credentials=creds,
            client_options={"api_endpoint": w["url"]},
            static_discovery=True,
        )
        .projects()
        .serviceAccounts()
    )


def _paid(w: dict[str, Any]) -> Any:
    return (
        w["l"]
        .licenseAssignments()
        .insert(productId="Google-Apps", skuId="1010020028", body={"userId": "grace@a.example"})
        .execute()
    )


def _raw_mail() -> str:
    return base64.urlsafe_b64encode(b"To: x@b.example\r\nSubject: hi\r\n\r\nbody").decode()


CASES: dict[str, Case] = {
    "directory.customers.get": lambda w: w["d"].customers().get(customerKey="my_customer").execute(),
    "directory.domains.list": lambda w: w["d"].domains().list(customer="my_customer").execute(),
    "directory.domains.get": lambda w: (
        w["d"].domains().get(customer="my_customer", domainName="a.example").execute()
    ),
    "directory.members.list": lambda w: w["d"].members().list(groupKey="staff@a.example").execute(),
    "directory.members.get": lambda w: (
        w["d"].members().get(groupKey="staff@a.example", memberKey="grace@a.example").execute()
    ),
    "directory.orgunits.insert": lambda w: (
        w["d"]
        .orgunits()
        .insert(customerId="my_customer", body={"name": "Another", "parentOrgUnitPath": "/"})
        .execute()
    ),
    "directory.orgunits.get": lambda w: (
        w["d"].orgunits().get(customerId="my_customer", orgUnitPath="Schema OU").execute()
    ),
    "directory.orgunits.list": lambda w: (
        w["d"].orgunits().list(customerId="my_customer", type="all").execute()
    ),
    "directory.orgunits.patch": lambda w: (
        w["d"]
        .orgunits()
        .patch(customerId="my_customer", orgUnitPath="Schema OU", body={"description": "d"})
        .execute()
    ),
    "directory.orgunits.update": lambda w: (
        w["d"]
        .orgunits()
        .update(customerId="my_customer", orgUnitPath="Schema OU", body={"description": "e"})
        .execute()
    ),
    "directory.orgunits.delete": lambda w: (
        w["d"].orgunits().delete(customerId="my_customer", orgUnitPath="Schema OU").execute()
    ),
    "directory.privileges.list": lambda w: w["d"].privileges().list(customer="my_customer").execute(),
    "directory.roles.list": lambda w: w["d"].roles().list(customer="my_customer").execute(),
    "directory.roles.get": lambda w: (
        w["d"].roles().get(customer="my_customer", roleId=w["role"]["roleId"]).execute()
    ),
    "directory.roles.insert": lambda w: (
        w["d"]
        .roles()
        .insert(
            customer="my_customer",
            body={
                "roleName": "Portal",
                "rolePrivileges": [
                    {"serviceId": p["serviceId"], "privilegeName": p["privilegeName"]}
                    for p in w["d"].privileges().list(customer="my_customer").execute()["items"][:1]
                ],
            },
        )
        .execute()
    ),
    "directory.roleAssignments.insert": _assignment,
    "directory.roleAssignments.list": lambda w: (
        _assignment(w),
        w["d"].roleAssignments().list(customer="my_customer", roleId=w["role"]["roleId"]).execute(),
    )[1],
    "directory.roleAssignments.get": lambda w: (
        w["d"]
        .roleAssignments()
        .get(customer="my_customer", roleAssignmentId=_assignment(w)["roleAssignmentId"])
        .execute()
    ),
    "directory.roleAssignments.delete": lambda w: (
        w["d"]
        .roleAssignments()
        .delete(customer="my_customer", roleAssignmentId=_assignment(w)["roleAssignmentId"])
        .execute()
    ),
    "directory.users.insert": lambda w: (
        w["d"]
        .users()
        .insert(
            body={
                "primaryEmail": "ada@a2.example",
                "password": "pw-123456",
                "orgUnitPath": "/Schema OU",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "recoveryEmail": "ada@b.example",
                "externalIds": [{"type": "custom", "customType": "portalsync", "value": "p1"}],
            }
        )
        .execute()
    ),
    "directory.users.get": lambda w: w["d"].users().get(userKey="grace@a.example").execute(),
    "directory.users.list": lambda w: w["d"].users().list(domain="a.example", maxResults=1).execute(),
    "directory.users.patch": lambda w: (
        w["d"].users().patch(userKey="grace@a.example", body={"suspended": True}).execute()
    ),
    "directory.users.update": lambda w: (
        w["d"].users().update(userKey="grace@a.example", body={"suspended": False}).execute()
    ),
    "directory.users.delete": lambda w: w["d"].users().delete(userKey="grace@a.example").execute(),
    "licensing.licenseAssignments.insert": _paid,
    "licensing.licenseAssignments.get": lambda w: (
        w["l"]
        .licenseAssignments()
        .get(productId="101001", skuId="1010010001", userId="grace@a.example")
        .execute()
    ),
    "licensing.licenseAssignments.delete": lambda w: (
        _paid(w),
        w["l"]
        .licenseAssignments()
        .delete(productId="Google-Apps", skuId="1010020028", userId="grace@a.example")
        .execute(),
    )[1],
    "licensing.licenseAssignments.listForProduct": lambda w: (
        w["l"].licenseAssignments().listForProduct(productId="101001", customerId=w["customer"]).execute()
    ),
    "licensing.licenseAssignments.listForProductAndSku": lambda w: (
        w["l"]
        .licenseAssignments()
        .listForProductAndSku(productId="101001", skuId="1010010001", customerId=w["customer"])
        .execute()
    ),
    "gmail.users.messages.send": lambda w: (
        w["g"].users().messages().send(userId="me", body={"raw": _raw_mail()}).execute()
    ),
    "iamcredentials.projects.serviceAccounts.signJwt": lambda w: (
        _iam(w)
        .signJwt(name=f"projects/-/serviceAccounts/{w['sa']}", body={"payload": json.dumps({"iss": w["sa"]})})
        .execute()
    ),
    "iamcredentials.projects.serviceAccounts.signBlob": lambda w: (
        _iam(w)
        .signBlob(
            name=f"projects/-/serviceAccounts/{w['sa']}",
            body={"payload": base64.b64encode(b"hello").decode()},
        )
        .execute()
    ),
    "sheets.spreadsheets.values.get": lambda w: (
        service(w["url"], ADMIN, "sheets", "v4")
        .spreadsheets()
        .values()
        .get(spreadsheetId="sheet1", range="Sheet1")
        .execute()
    ),
}


def test_every_served_method_has_a_schema_case() -> None:
    handlers.load_all()
    assert not set(HANDLERS) - set(CASES), "add schema cases for these methods"


@pytest.mark.parametrize("method_id", sorted(CASES))
def test_response_fits_the_discovery_schema(
    method_id: str, emulator_url: str, control: ControlClient
) -> None:
    handlers.load_all()
    if method_id not in HANDLERS:
        pytest.skip(f"{method_id} is not served")
    world = _world(emulator_url, control)
    body = CASES[method_id](world)
    api = method_id.split(".", 1)[0]
    ref = all_methods()[method_id].response_schema
    if ref is None:
        assert body in ("", None, {}), f"{method_id} declares no response body but returned {body!r}"
        return
    assert validate(api, ref, body) == []
