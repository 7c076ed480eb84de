"""Roles, privileges and role assignments as portalsync drives them: through the real Google client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory
from workspace_emulator.catalog import ACCESS_SUPPORT_CASES, RESELLER_SERVICE_ID, VIEW_CUSTOMERS
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

A, B = "C01aaaaaa", "C02bbbbbb"


def error(err: HttpError) -> tuple[int, str, str]:
    body = json.loads(err.content)["error"]
    return body["code"], body["errors"][0]["reason"], body["message"]


def new_user(url: str, email: str, org_unit: str = "/") -> str:
    """A fresh Cloud Identity account, created by users.insert as portalsync creates it."""
    admin = "admin@" + ("b.example" if email.endswith("@b.example") else "a.example")
    body = {
        "primaryEmail": email,
        "name": {"givenName": "Cara", "familyName": "Ident"},
        "password": "correct-horse-battery",
        "orgUnitPath": org_unit,
    }
    return str(directory(url, admin).users().insert(body=body).execute()["id"])


def is_delegated_admin(url: str, email: str) -> bool:
    return bool(directory(url, "admin@a.example").users().get(userKey=email).execute()["isDelegatedAdmin"])


def support_ou_id(url: str) -> str:
    body = {"name": "Support", "parentOrgUnitPath": "/"}
    return str(
        directory(url, "admin@a.example")
        .orgunits()
        .insert(customerId="my_customer", body=body)
        .execute()["orgUnitId"]
    )


def role_id(svc: Any, name: str) -> str:
    roles = svc.roles().list(customer="my_customer").execute()["items"]
    return str(next(r["roleId"] for r in roles if r["roleName"] == name))


def find(nodes: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    for node in nodes:
        if node["privilegeName"] == name:
            return node
        hit = find(node.get("childPrivileges", []), name)
        if hit:
            return hit
    return None


# --- privileges ----------------------------------------------------------------------------------------


def test_privileges_tree_holds_the_reseller_support_privileges(
    control: ControlClient, emulator_url: str
) -> None:
    svc = directory(emulator_url, "admin@a.example")
    result = svc.privileges().list(customer="my_customer").execute()
    assert result["kind"] == "admin#directory#privileges"
    customers = find(result["items"], "CUSTOMERS")
    assert customers is not None
    assert customers["serviceId"] == RESELLER_SERVICE_ID
    children = {c["privilegeName"] for c in customers["childPrivileges"]}
    assert {VIEW_CUSTOMERS, ACCESS_SUPPORT_CASES} <= children


# --- roles ---------------------------------------------------------------------------------------------


def test_roles_list_pages_through_system_roles_to_the_last_page(
    control: ControlClient, emulator_url: str
) -> None:
    svc = directory(emulator_url, "admin@a.example")
    seen: list[dict[str, Any]] = []
    token = None
    pages = 0
    while True:
        resp = svc.roles().list(customer="my_customer", maxResults=2, pageToken=token).execute()
        assert len(resp["items"]) <= 2
        seen.extend(resp["items"])
        pages += 1
        token = resp.get("nextPageToken")
        if not token:
            break
    names = [r["roleName"] for r in seen]
    assert len(names) == len(set(names))
    assert pages >= 3
    by_name = {r["roleName"]: r for r in seen}
    assert by_name["_SEED_ADMIN_ROLE"]["isSuperAdminRole"] is True
    assert by_name["_RESELLER_ADMIN_ROLE"]["isSystemRole"] is True
    assert all(isinstance(r["roleId"], str) and r["roleId"].isdigit() for r in seen)


def test_roles_list_rejects_max_results_out_of_range(control: ControlClient, emulator_url: str) -> None:
    svc = directory(emulator_url, "admin@a.example")
    for bad in (0, 101):
        with pytest.raises(HttpError) as err:
            svc.roles().list(customer="my_customer", maxResults=bad).execute()
        assert error(err.value)[:2] == (400, "invalid")


def test_custom_role_with_reseller_privileges_is_created_once(
    control: ControlClient, emulator_url: str
) -> None:
    svc = directory(emulator_url, "admin@a.example")
    privileges = [
        {"serviceId": RESELLER_SERVICE_ID, "privilegeName": VIEW_CUSTOMERS},
        {"serviceId": RESELLER_SERVICE_ID, "privilegeName": ACCESS_SUPPORT_CASES},
    ]
    body = {
        "roleName": "CCP Support",
        "roleDescription": "Customer Care Portal",
        "rolePrivileges": privileges,
    }
    role = svc.roles().insert(customer="my_customer", body=body).execute()
    assert role["isSystemRole"] is False
    assert role["isSuperAdminRole"] is False
    assert role["rolePrivileges"] == privileges
    assert svc.roles().get(customer="my_customer", roleId=role["roleId"]).execute() == role
    with pytest.raises(HttpError) as err:
        svc.roles().insert(customer="my_customer", body=body).execute()
    assert error(err.value)[:2] == (409, "duplicate")
    # The role exists only in A.
    b_names = [
        r["roleName"]
        for r in directory(emulator_url, "admin@b.example")
        .roles()
        .list(customer="my_customer")
        .execute()["items"]
    ]
    assert "CCP Support" not in b_names


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (
            {
                "roleName": "X",
                "rolePrivileges": [{"serviceId": RESELLER_SERVICE_ID, "privilegeName": "NOPE"}],
            },
            400,
        ),
        (
            {
                "roleName": "X",
                "rolePrivileges": [{"serviceId": "00wrongservice", "privilegeName": VIEW_CUSTOMERS}],
            },
            400,
        ),
        ({"rolePrivileges": [{"serviceId": RESELLER_SERVICE_ID, "privilegeName": VIEW_CUSTOMERS}]}, 400),
        ({"roleName": "X", "rolePrivileges": []}, 400),
        ({"roleName": "X"}, 400),
    ],
    ids=["unknown-privilege", "privilege-of-other-service", "no-name", "empty-privileges", "no-privileges"],
)
def test_role_insert_validates_name_and_privileges(
    control: ControlClient, emulator_url: str, body: dict[str, Any], status: int
) -> None:
    svc = directory(emulator_url, "admin@a.example")
    with pytest.raises(HttpError) as err:
        svc.roles().insert(customer="my_customer", body=body).execute()
    assert error(err.value)[0] == status
    assert "X" not in [r["roleName"] for r in svc.roles().list(customer="my_customer").execute()["items"]]


def test_role_get_unknown_is_404(control: ControlClient, emulator_url: str) -> None:
    with pytest.raises(HttpError) as err:
        directory(emulator_url, "admin@a.example").roles().get(customer="my_customer", roleId="999").execute()
    assert error(err.value)[:2] == (404, "notFound")


# --- role assignments ----------------------------------------------------------------------------------


def test_assignment_by_numeric_id_makes_the_user_a_delegated_admin(
    control: ControlClient, emulator_url: str
) -> None:
    uid = new_user(emulator_url, "ccp1@a.example")
    svc = directory(emulator_url, "admin@a.example")
    rid = role_id(svc, "_RESELLER_ADMIN_ROLE")
    made = (
        svc.roleAssignments()
        .insert(customer="my_customer", body={"roleId": rid, "assignedTo": uid, "scopeType": "CUSTOMER"})
        .execute()
    )
    assert made["assignedTo"] == uid
    assert made["roleId"] == rid
    assert made["scopeType"] == "CUSTOMER"
    assert made["assigneeType"] == "user"
    assert made["kind"] == "admin#directory#roleAssignment"
    assert made["roleAssignmentId"].isdigit()
    got = (
        svc.roleAssignments().get(customer="my_customer", roleAssignmentId=made["roleAssignmentId"]).execute()
    )
    assert got == made
    assert is_delegated_admin(emulator_url, "ccp1@a.example") is True


def test_assignment_rejects_email_and_duplicates(control: ControlClient, emulator_url: str) -> None:
    uid = new_user(emulator_url, "ccp2@a.example")
    svc = directory(emulator_url, "admin@a.example")
    rid = role_id(svc, "_RESELLER_ADMIN_ROLE")
    with pytest.raises(HttpError) as err:
        svc.roleAssignments().insert(
            customer="my_customer",
            body={"roleId": rid, "assignedTo": "ccp2@a.example", "scopeType": "CUSTOMER"},
        ).execute()
    assert error(err.value)[:2] == (400, "invalid")
    body = {"roleId": rid, "assignedTo": uid, "scopeType": "CUSTOMER"}
    svc.roleAssignments().insert(customer="my_customer", body=body).execute()
    with pytest.raises(HttpError) as err:
        svc.roleAssignments().insert(customer="my_customer", body=body).execute()
    assert error(err.value)[:2] == (409, "duplicate")
    assert len(svc.roleAssignments().list(customer="my_customer", userKey=uid).execute()["items"]) == 1


def test_assignment_scoped_to_an_org_unit(control: ControlClient, emulator_url: str) -> None:
    uid = new_user(emulator_url, "ccp3@a.example")
    svc = directory(emulator_url, "admin@a.example")
    rid = role_id(svc, "_HELP_DESK_ADMIN_ROLE")
    ou = support_ou_id(emulator_url)
    made = (
        svc.roleAssignments()
        .insert(
            customer="my_customer",
            body={"roleId": rid, "assignedTo": uid, "scopeType": "ORG_UNIT", "orgUnitId": ou},
        )
        .execute()
    )
    # GAM passes the id without "id:"; both spellings name the same OU and the answer omits the prefix.
    assert made["scopeType"] == "ORG_UNIT"
    assert made["orgUnitId"] == ou.removeprefix("id:")
    with pytest.raises(HttpError) as err:
        svc.roleAssignments().insert(
            customer="my_customer",
            body={
                "roleId": rid,
                "assignedTo": uid,
                "scopeType": "ORG_UNIT",
                "orgUnitId": ou.removeprefix("id:"),
            },
        ).execute()
    assert error(err.value)[:2] == (409, "duplicate")


@pytest.mark.parametrize(
    ("extra", "status", "reason"),
    [
        ({"scopeType": "ORG_UNIT"}, 400, "required"),
        ({"scopeType": "ORG_UNIT", "orgUnitId": "id:nope"}, 400, "invalid"),
        ({"scopeType": "DOMAIN"}, 400, "invalid"),
        ({"roleId": "424242"}, 404, "notFound"),
        ({"assignedTo": "100000000000000999999"}, 404, "notFound"),
    ],
    ids=["ou-without-id", "unknown-ou", "bad-scope", "unknown-role", "unknown-user-id"],
)
def test_assignment_insert_validation(
    control: ControlClient, emulator_url: str, extra: dict[str, str], status: int, reason: str
) -> None:
    uid = new_user(emulator_url, "ccp4@a.example")
    svc = directory(emulator_url, "admin@a.example")
    body = {
        "roleId": role_id(svc, "_RESELLER_ADMIN_ROLE"),
        "assignedTo": uid,
        "scopeType": "CUSTOMER",
        **extra,
    }
    with pytest.raises(HttpError) as err:
        svc.roleAssignments().insert(customer="my_customer", body=body).execute()
    assert error(err.value)[:2] == (status, reason)
    assert svc.roleAssignments().list(customer="my_customer", userKey=uid).execute()["items"] == []


def test_assignments_list_filters_and_pages(control: ControlClient, emulator_url: str) -> None:
    svc = directory(emulator_url, "admin@a.example")
    reseller = role_id(svc, "_RESELLER_ADMIN_ROLE")
    helpdesk = role_id(svc, "_HELP_DESK_ADMIN_ROLE")
    uids = [new_user(emulator_url, f"pager{i}@a2.example") for i in range(3)]
    for uid in uids:
        svc.roleAssignments().insert(
            customer="my_customer", body={"roleId": reseller, "assignedTo": uid, "scopeType": "CUSTOMER"}
        ).execute()
    svc.roleAssignments().insert(
        customer="my_customer", body={"roleId": helpdesk, "assignedTo": uids[0], "scopeType": "CUSTOMER"}
    ).execute()

    by_email = (
        svc.roleAssignments().list(customer="my_customer", userKey="pager0@a2.example").execute()["items"]
    )
    by_id = svc.roleAssignments().list(customer="my_customer", userKey=uids[0]).execute()["items"]
    assert by_email == by_id
    assert {a["roleId"] for a in by_id} == {reseller, helpdesk}
    both = svc.roleAssignments().list(customer="my_customer", userKey=uids[0], roleId=helpdesk).execute()
    assert [a["roleId"] for a in both["items"]] == [helpdesk]

    collected: list[str] = []
    token = None
    while True:
        resp = (
            svc.roleAssignments()
            .list(customer="my_customer", roleId=reseller, maxResults=1, pageToken=token)
            .execute()
        )
        assert len(resp["items"]) == 1
        collected.append(resp["items"][0]["assignedTo"])
        token = resp.get("nextPageToken")
        if not token:
            break
    assert collected == uids

    with pytest.raises(HttpError) as err:
        svc.roleAssignments().list(customer="my_customer", maxResults=201).execute()
    assert error(err.value)[:2] == (400, "invalid")
    # The super admin's seed assignment is there from the start.
    everything = svc.roleAssignments().list(customer="my_customer", maxResults=200).execute()
    assert len(everything["items"]) == 5
    assert "nextPageToken" not in everything


def test_assignment_delete_revokes_and_is_then_gone(control: ControlClient, emulator_url: str) -> None:
    uid = new_user(emulator_url, "ccp5@a.example")
    svc = directory(emulator_url, "admin@a.example")
    rid = role_id(svc, "_RESELLER_ADMIN_ROLE")
    made = (
        svc.roleAssignments()
        .insert(customer="my_customer", body={"roleId": rid, "assignedTo": uid, "scopeType": "CUSTOMER"})
        .execute()
    )
    assert (
        svc.roleAssignments()
        .delete(customer="my_customer", roleAssignmentId=made["roleAssignmentId"])
        .execute()
        == ""
    )
    assert svc.roleAssignments().list(customer="my_customer", userKey=uid).execute()["items"] == []
    assert is_delegated_admin(emulator_url, "ccp5@a.example") is False
    for call in (svc.roleAssignments().get, svc.roleAssignments().delete):
        with pytest.raises(HttpError) as err:
            call(customer="my_customer", roleAssignmentId=made["roleAssignmentId"]).execute()
        assert error(err.value)[:2] == (404, "notFound")


def test_new_user_is_not_complete_then_not_visible_then_assignable(
    control: ControlClient, emulator_url: str
) -> None:
    """Right after users.insert Google answers 404 and then 412 until the user has propagated."""
    svc = directory(emulator_url, "admin@a.example")
    rid = role_id(svc, "_RESELLER_ADMIN_ROLE")
    control.post("consistency", {"incompleteSeconds": 60, "getLagSeconds": 30})
    uid = new_user(emulator_url, "fresh@a.example")
    body = {"roleId": rid, "assignedTo": uid, "scopeType": "CUSTOMER"}
    with pytest.raises(HttpError) as err:
        svc.roleAssignments().insert(customer="my_customer", body=body).execute()
    assert error(err.value)[:2] == (404, "notFound")
    control.post("clock", {"advanceSeconds": 31})
    with pytest.raises(HttpError) as err:
        svc.roleAssignments().insert(customer="my_customer", body=body).execute()
    assert error(err.value) == (412, "conditionNotMet", "User creation is not complete.")
    control.post("clock", {"advanceSeconds": 30})
    assert svc.roleAssignments().insert(customer="my_customer", body=body).execute()["assignedTo"] == uid


# --- tenant isolation and callers ----------------------------------------------------------------------


def test_other_customers_admin_is_forbidden(control: ControlClient, emulator_url: str) -> None:
    uid = new_user(emulator_url, "victim@a.example")
    a_svc = directory(emulator_url, "admin@a.example")
    rid = role_id(a_svc, "_SEED_ADMIN_ROLE")
    b_svc = directory(emulator_url, "admin@b.example")
    calls = [
        b_svc.roles().list(customer=A),
        b_svc.roles().get(customer=A, roleId=rid),
        b_svc.privileges().list(customer=A),
        b_svc.roleAssignments().list(customer=A),
        b_svc.roleAssignments().list(customer="my_customer", userKey="victim@a.example"),
        b_svc.roleAssignments().insert(
            customer=A, body={"roleId": rid, "assignedTo": uid, "scopeType": "CUSTOMER"}
        ),
    ]
    for request in calls:
        with pytest.raises(HttpError) as err:
            request.execute()
        assert error(err.value)[:2] == (403, "forbidden")
    # B can't reach A's user through its own customer either: the id is unknown there.
    with pytest.raises(HttpError) as err:
        b_svc.roleAssignments().insert(
            customer="my_customer",
            body={"roleId": role_id(b_svc, "_SEED_ADMIN_ROLE"), "assignedTo": uid, "scopeType": "CUSTOMER"},
        ).execute()
    assert error(err.value)[0] == 404
    assert a_svc.roleAssignments().list(customer=A, userKey=uid).execute()["items"] == []


def test_my_customer_is_the_callers_own_tenant(control: ControlClient, emulator_url: str) -> None:
    a_roles = (
        directory(emulator_url, "admin@a.example").roles().list(customer="my_customer").execute()["items"]
    )
    b_roles = directory(emulator_url, "admin@b.example").roles().list(customer=B).execute()["items"]
    assert {r["roleName"] for r in a_roles} == {r["roleName"] for r in b_roles}
    assert not {r["roleId"] for r in a_roles} & {r["roleId"] for r in b_roles}


def test_non_admin_caller_is_forbidden(control: ControlClient, emulator_url: str) -> None:
    new_user(emulator_url, "plain@a.example")
    with pytest.raises(HttpError) as err:
        directory(emulator_url, "plain@a.example").roles().list(customer="my_customer").execute()
    assert error(err.value)[:2] == (403, "forbidden")
