"""Domains, the customer record and group members through google-api-python-client over HTTP."""

from __future__ import annotations

import json
import time
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
def intruder(control: ControlClient, emulator_url: str) -> Any:
    return directory(emulator_url, "admin@b.example")


def test_domains_list_marks_the_primary_and_every_secondary_domain(svc: Any) -> None:
    domains = svc.domains().list(customer="my_customer").execute()["domains"]
    assert [(d["domainName"], d["isPrimary"], d["verified"]) for d in domains] == [
        ("a.example", True, True),
        ("a2.example", False, True),
    ]
    for domain in domains:
        # int64 milliseconds since the epoch, sent as a JSON string
        assert isinstance(domain["creationTime"], str)
        assert abs(int(domain["creationTime"]) / 1000 - time.time()) < 3600


def test_domains_get_by_name(svc: Any) -> None:
    got = svc.domains().get(customer="C01aaaaaa", domainName="a2.example").execute()
    assert got["domainName"] == "a2.example"
    assert got["isPrimary"] is False
    with pytest.raises(HttpError) as missing:
        svc.domains().get(customer="my_customer", domainName="nowhere.example").execute()
    assert missing.value.resp.status == 404


def test_customers_get_resolves_my_customer_to_the_real_id(svc: Any) -> None:
    customer = svc.customers().get(customerKey="my_customer").execute()
    assert customer["id"] == "C01aaaaaa"
    assert customer["customerDomain"] == "a.example"
    assert customer["kind"] == "admin#directory#customer"
    assert customer["etag"]
    assert svc.customers().get(customerKey="C01aaaaaa").execute()["id"] == "C01aaaaaa"


def test_another_customers_tenant_facts_are_403(intruder: Any) -> None:
    attempts = [
        intruder.domains().list(customer="C01aaaaaa"),
        intruder.domains().get(customer="my_customer", domainName="a.example"),
        intruder.customers().get(customerKey="C01aaaaaa"),
    ]
    for request in attempts:
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert caught.value.resp.status == 403
    own = intruder.domains().list(customer="my_customer").execute()["domains"]
    assert [d["domainName"] for d in own] == ["b.example"]
    assert intruder.customers().get(customerKey="my_customer").execute()["id"] == "C02bbbbbb"


@pytest.fixture
def big_group(control: ControlClient) -> str:
    members: list[Any] = [
        {"email": "owner@a.example", "role": "OWNER"},
        {"email": "mgr@a.example", "role": "MANAGER"},
    ]
    members += [f"m{i:03d}@a.example" for i in range(448)]
    control.post("groups", {"email": "support-staff@a.example", "name": "Support staff", "members": members})
    return "support-staff@a.example"


def all_members(svc: Any, group: str, **kwargs: Any) -> tuple[list[int], list[dict[str, Any]]]:
    sizes, members, token = [], [], None
    while True:
        resp = svc.members().list(groupKey=group, pageToken=token, **kwargs).execute()
        sizes.append(len(resp.get("members", [])))
        members.extend(resp.get("members", []))
        token = resp.get("nextPageToken")
        if not token:
            return sizes, members


def test_members_list_pages_at_200_by_default_to_the_last_page(svc: Any, big_group: str) -> None:
    sizes, members = all_members(svc, big_group)
    assert sizes == [200, 200, 50]
    assert len({m["email"] for m in members}) == 450
    assert members[0] == {**members[0], "email": "owner@a.example", "role": "OWNER", "type": "USER"}


def test_members_list_max_results_is_capped_at_200(svc: Any, big_group: str) -> None:
    assert all_members(svc, big_group, maxResults=500)[0] == [200, 200, 50]
    assert all_members(svc, big_group, maxResults=120)[0] == [120, 120, 120, 90]


def test_members_list_filters_by_roles(svc: Any, big_group: str) -> None:
    _, managers = all_members(svc, big_group, roles="OWNER,MANAGER")
    assert [(m["email"], m["role"]) for m in managers] == [
        ("owner@a.example", "OWNER"),
        ("mgr@a.example", "MANAGER"),
    ]
    _, owners = all_members(svc, big_group, roles="OWNER")
    assert [m["email"] for m in owners] == ["owner@a.example"]


def test_members_get_by_email_and_unknown_member_404(svc: Any, big_group: str) -> None:
    member = svc.members().get(groupKey=big_group, memberKey="MGR@a.example").execute()
    assert member["role"] == "MANAGER"
    assert svc.members().get(groupKey=big_group, memberKey=member["id"]).execute() == member
    with pytest.raises(HttpError) as caught:
        svc.members().get(groupKey=big_group, memberKey="stranger@a.example").execute()
    assert caught.value.resp.status == 404
    assert reason(caught.value) == "notFound"


def test_members_of_an_unknown_group_is_404(svc: Any) -> None:
    with pytest.raises(HttpError) as caught:
        svc.members().list(groupKey="nosuch@a.example").execute()
    assert caught.value.resp.status == 404


def test_another_customers_group_is_403(intruder: Any, big_group: str) -> None:
    for request in (
        intruder.members().list(groupKey=big_group),
        intruder.members().get(groupKey=big_group, memberKey="owner@a.example"),
    ):
        with pytest.raises(HttpError) as caught:
            request.execute()
        assert caught.value.resp.status == 403
