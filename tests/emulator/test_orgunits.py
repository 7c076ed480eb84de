"""Directory orgunits through google-api-python-client over HTTP: nesting, addressing, listing, deleting."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator


def reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


@pytest.fixture
def svc(control: ControlClient, emulator_url: str) -> Any:
    return directory(emulator_url, "admin@a.example")


@pytest.fixture
def tree(svc: Any) -> dict[str, dict[str, Any]]:
    """/Cloud Identity/Support/Tier 2 and /Sales."""
    ous = svc.orgunits()
    made: dict[str, dict[str, Any]] = {}
    made["ci"] = ous.insert(
        customerId="my_customer",
        body={"name": "Cloud Identity", "parentOrgUnitPath": "/", "description": "CCP"},
    ).execute()
    made["support"] = ous.insert(
        customerId="my_customer", body={"name": "Support", "parentOrgUnitId": made["ci"]["orgUnitId"]}
    ).execute()
    made["tier2"] = ous.insert(
        customerId="C01aaaaaa", body={"name": "Tier 2", "parentOrgUnitPath": "/Cloud Identity/Support"}
    ).execute()
    made["sales"] = ous.insert(
        customerId="my_customer", body={"name": "Sales", "parentOrgUnitPath": "/"}
    ).execute()
    return made


def paths(resp: dict[str, Any]) -> list[str]:
    return [ou["orgUnitPath"] for ou in resp.get("organizationUnits", [])]


def test_insert_nests_by_parent_path_or_parent_id(tree: dict[str, dict[str, Any]]) -> None:
    ci, support, tier2 = tree["ci"], tree["support"], tree["tier2"]
    assert ci["orgUnitPath"] == "/Cloud Identity"
    assert ci["parentOrgUnitPath"] == "/"
    assert ci["description"] == "CCP"
    assert support["orgUnitPath"] == "/Cloud Identity/Support"
    assert support["parentOrgUnitId"] == ci["orgUnitId"]
    assert tier2["orgUnitPath"] == "/Cloud Identity/Support/Tier 2"
    assert tier2["parentOrgUnitPath"] == "/Cloud Identity/Support"
    assert tier2["orgUnitId"].startswith("id:")
    assert len({ci["orgUnitId"], support["orgUnitId"], tier2["orgUnitId"]}) == 3


def test_get_by_path_without_leading_slash_and_by_id(svc: Any, tree: dict[str, dict[str, Any]]) -> None:
    tier2 = tree["tier2"]
    by_path = (
        svc.orgunits().get(customerId="my_customer", orgUnitPath="Cloud Identity/Support/Tier 2").execute()
    )
    by_id = svc.orgunits().get(customerId="my_customer", orgUnitPath=tier2["orgUnitId"]).execute()
    case_folded = (
        svc.orgunits().get(customerId="my_customer", orgUnitPath="cloud identity/support/tier 2").execute()
    )
    assert by_path == by_id == case_folded == tier2


def test_get_unknown_org_unit_is_404(svc: Any) -> None:
    with pytest.raises(HttpError) as caught:
        svc.orgunits().get(customerId="my_customer", orgUnitPath="Nowhere").execute()
    assert caught.value.resp.status == 404
    assert reason(caught.value) == "notFound"


def test_insert_needs_an_existing_parent_and_a_free_name(svc: Any, tree: dict[str, dict[str, Any]]) -> None:
    attempts = [
        {"name": "X", "parentOrgUnitPath": "/Nowhere"},
        {"name": "X"},
        {"name": "Sales", "parentOrgUnitPath": "/"},
        {"name": "sales", "parentOrgUnitPath": "/"},  # sibling names are case-insensitive
        {"parentOrgUnitPath": "/"},
    ]
    for body in attempts:
        with pytest.raises(HttpError) as caught:
            svc.orgunits().insert(customerId="my_customer", body=body).execute()
        assert caught.value.resp.status == 400, body
        assert reason(caught.value) == "invalid", body


def test_list_defaults_to_immediate_children_of_the_root(svc: Any, tree: dict[str, dict[str, Any]]) -> None:
    assert paths(svc.orgunits().list(customerId="my_customer").execute()) == ["/Cloud Identity", "/Sales"]


def test_list_types_all_and_all_including_parent(svc: Any, tree: dict[str, dict[str, Any]]) -> None:
    ous = svc.orgunits()
    everything = paths(ous.list(customerId="my_customer", type="all").execute())
    assert everything == [
        "/Cloud Identity",
        "/Cloud Identity/Support",
        "/Cloud Identity/Support/Tier 2",
        "/Sales",
    ]
    below_ci = ous.list(customerId="my_customer", orgUnitPath="/Cloud Identity", type="all").execute()
    assert paths(below_ci) == ["/Cloud Identity/Support", "/Cloud Identity/Support/Tier 2"]
    children = ous.list(customerId="my_customer", orgUnitPath="/Cloud Identity", type="children").execute()
    assert paths(children) == ["/Cloud Identity/Support"]
    with_parent = ous.list(
        customerId="my_customer", orgUnitPath="/Cloud Identity/Support", type="allIncludingParent"
    ).execute()
    assert paths(with_parent) == ["/Cloud Identity/Support", "/Cloud Identity/Support/Tier 2"]
    leaf = ous.list(customerId="my_customer", orgUnitPath="/Sales").execute()
    assert "organizationUnits" not in leaf


def test_delete_refuses_while_child_org_units_or_users_remain(
    svc: Any, tree: dict[str, dict[str, Any]]
) -> None:
    ous = svc.orgunits()
    with pytest.raises(HttpError) as has_children:
        ous.delete(customerId="my_customer", orgUnitPath="Cloud Identity/Support").execute()
    assert has_children.value.resp.status == 400
    assert reason(has_children.value) == "conditionNotMet"

    svc.users().insert(
        body={
            "primaryEmail": "sam@a.example",
            "name": {"givenName": "Sam", "familyName": "Lee"},
            "password": "s3cret-pw!",
            "orgUnitPath": "/Sales",
        }
    ).execute()
    with pytest.raises(HttpError) as has_users:
        ous.delete(customerId="my_customer", orgUnitPath="Sales").execute()
    assert has_users.value.resp.status == 400
    assert reason(has_users.value) == "conditionNotMet"
    assert ous.get(customerId="my_customer", orgUnitPath="Sales").execute()["name"] == "Sales"


def test_delete_an_empty_org_unit_by_path_or_id(svc: Any, tree: dict[str, dict[str, Any]]) -> None:
    ous = svc.orgunits()
    assert ous.delete(customerId="my_customer", orgUnitPath="Cloud Identity/Support/Tier 2").execute() == ""
    assert ous.delete(customerId="my_customer", orgUnitPath=tree["support"]["orgUnitId"]).execute() == ""
    assert paths(ous.list(customerId="my_customer", type="all").execute()) == ["/Cloud Identity", "/Sales"]
    with pytest.raises(HttpError) as caught:
        ous.get(customerId="my_customer", orgUnitPath="Cloud Identity/Support").execute()
    assert caught.value.resp.status == 404


def test_patch_renames_and_carries_sub_units_and_users(svc: Any, tree: dict[str, dict[str, Any]]) -> None:
    svc.users().insert(
        body={
            "primaryEmail": "kim@a.example",
            "name": {"givenName": "Kim", "familyName": "Ng"},
            "password": "s3cret-pw!",
            "orgUnitPath": "/Cloud Identity/Support/Tier 2",
        }
    ).execute()
    renamed = (
        svc.orgunits()
        .patch(customerId="my_customer", orgUnitPath="Cloud Identity", body={"name": "CCP Access"})
        .execute()
    )
    assert renamed["orgUnitPath"] == "/CCP Access"
    assert renamed["orgUnitId"] == tree["ci"]["orgUnitId"]
    assert renamed["description"] == "CCP"
    moved = svc.orgunits().get(customerId="my_customer", orgUnitPath=tree["tier2"]["orgUnitId"]).execute()
    assert moved["orgUnitPath"] == "/CCP Access/Support/Tier 2"
    assert svc.users().get(userKey="kim@a.example").execute()["orgUnitPath"] == "/CCP Access/Support/Tier 2"
    assert svc.users().list(customer="my_customer", query="orgUnitPath='/CCP Access'").execute()["users"]


def test_another_customers_admin_gets_403(emulator_url: str, tree: dict[str, dict[str, Any]]) -> None:
    intruder = directory(emulator_url, "admin@b.example")
    attempts = [
        intruder.orgunits().list(customerId="C01aaaaaa", type="all"),
        intruder.orgunits().get(customerId="C01aaaaaa", orgUnitPath="Sales"),
        intruder.orgunits().insert(customerId="C01aaaaaa", body={"name": "X", "parentOrgUnitPath": "/"}),
        intruder.orgunits().delete(customerId="C01aaaaaa", orgUnitPath="Sales"),
    ]
    for request in attempts:
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert caught.value.resp.status == 403
    assert "organizationUnits" not in intruder.orgunits().list(customerId="my_customer", type="all").execute()
