"""License assignments through the real Google client: Cloud Identity Free as a site license, paid SKUs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory, licensing
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

A, B = "C01aaaaaa", "C02bbbbbb"
CI_PRODUCT, CI_SKU = "101001", "1010010001"
APPS, ENTERPRISE, STARTER = "Google-Apps", "1010020020", "1010020028"


def error(err: HttpError) -> tuple[int, str, str]:
    body = json.loads(err.content)["error"]
    return body["code"], body["errors"][0]["reason"], body["message"]


def fails(request: Any) -> tuple[int, str, str]:
    with pytest.raises(HttpError) as err:
        request.execute()
    return error(err.value)


def new_user(url: str, email: str, org_unit: str = "/") -> dict[str, Any]:
    admin = "admin@" + ("b.example" if email.endswith("@b.example") else "a.example")
    body = {
        "primaryEmail": email,
        "name": {"givenName": "Cara", "familyName": "Ident"},
        "password": "correct-horse-battery",
        "orgUnitPath": org_unit,
    }
    user: dict[str, Any] = directory(url, admin).users().insert(body=body).execute()
    return user


def lic(url: str, subject: str = "admin@a.example") -> Any:
    return licensing(url, subject).licenseAssignments()


def mailbox(url: str, email: str) -> bool:
    return bool(directory(url, "admin@a.example").users().get(userKey=email).execute()["isMailboxSetup"])


# --- Cloud Identity Free -------------------------------------------------------------------------------


def test_new_user_gets_cloud_identity_free_automatically(control: ControlClient, emulator_url: str) -> None:
    new_user(emulator_url, "ccp@a.example")
    got = lic(emulator_url).get(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example").execute()
    assert got["kind"] == "licensing#licenseAssignment"
    assert (got["productId"], got["skuId"], got["userId"]) == (CI_PRODUCT, CI_SKU, "ccp@a.example")
    assert got["productName"] == "Cloud Identity Free"
    assert got["skuName"] == "Cloud Identity Free"
    assert got["selfLink"].endswith("/product/101001/sku/1010010001/user/ccp@a.example")
    assert isinstance(got["etags"], str)
    # ... and no paid license, so no mailbox.
    assert fails(lic(emulator_url).get(productId=APPS, skuId=ENTERPRISE, userId="ccp@a.example"))[:2] == (
        404,
        "notFound",
    )
    assert mailbox(emulator_url, "ccp@a.example") is False


def test_cloud_identity_free_insert_for_a_holder_is_a_precondition_failure(
    control: ControlClient, emulator_url: str
) -> None:
    """Google's licensing guide: 412 "User already has a license for the specified product and SKU"."""
    new_user(emulator_url, "ccp@a.example")
    code, reason, message = fails(
        lic(emulator_url).insert(productId=CI_PRODUCT, skuId=CI_SKU, body={"userId": "ccp@a.example"})
    )
    assert (code, reason) == (412, "conditionNotMet")
    assert "already has a license" in message


def test_cloud_identity_free_cannot_be_removed(control: ControlClient, emulator_url: str) -> None:
    new_user(emulator_url, "ccp@a.example")
    assert fails(lic(emulator_url).delete(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example")) == (
        412,
        "conditionNotMet",
        "Auto License un-assignment is not allowed.",
    )
    assert lic(emulator_url).get(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example").execute()


def test_unsubscribed_customer_is_not_authorized_for_cloud_identity_free(
    control: ControlClient, emulator_url: str
) -> None:
    control.post("subscription", {"customerId": A, "cloudIdentityFree": False})
    new_user(emulator_url, "ccp@a.example")
    svc = lic(emulator_url)
    requests = [
        svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example"),
        svc.insert(productId=CI_PRODUCT, skuId=CI_SKU, body={"userId": "ccp@a.example"}),
        svc.listForProductAndSku(productId=CI_PRODUCT, skuId=CI_SKU, customerId=A),
        svc.listForProduct(productId=CI_PRODUCT, customerId=A),
    ]
    for request in requests:
        assert fails(request) == (403, "forbidden", "Unauthorized operation for the given domain.")
    # The paid product stays listable: the super admin holds it.
    paid = svc.listForProduct(productId=APPS, customerId=A).execute()["items"]
    assert [i["userId"] for i in paid] == ["admin@a.example"]


def test_manual_cloud_identity_free_respects_the_cap(control: ControlClient, emulator_url: str) -> None:
    control.post("subscription", {"customerId": A, "cloudIdentityFree": False})
    new_user(emulator_url, "early1@a.example")
    new_user(emulator_url, "early2@a.example")
    control.post("subscription", {"customerId": A, "cloudIdentityFree": True, "freeLicenseCap": 1})
    svc = lic(emulator_url)
    made = svc.insert(productId=CI_PRODUCT, skuId=CI_SKU, body={"userId": "early1@a.example"}).execute()
    assert made["userId"] == "early1@a.example"
    code, reason, message = fails(
        svc.insert(productId=CI_PRODUCT, skuId=CI_SKU, body={"userId": "early2@a.example"})
    )
    assert (code, reason) == (412, "conditionNotMet")
    assert "aren't enough available licenses" in message
    assert fails(svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="early2@a.example"))[0] == 404
    # Even a hand-assigned free license stays.
    assert fails(svc.delete(productId=CI_PRODUCT, skuId=CI_SKU, userId="early1@a.example"))[0] == 412


def test_cloud_identity_free_for_a_workspace_user_keeps_failing_with_backend_error(
    control: ControlClient, emulator_url: str
) -> None:
    """GAM-team/GAM#1176: the insert never succeeds, so callers must cap retries and verify with get."""
    control.post(
        "users", {"primaryEmail": "staff@a.example", "name": {"givenName": "Sam", "familyName": "Staff"}}
    )
    svc = lic(emulator_url)
    for _ in range(2):
        assert fails(svc.insert(productId=CI_PRODUCT, skuId=CI_SKU, body={"userId": "staff@a.example"}))[
            :2
        ] == (
            503,
            "backendError",
        )
    assert fails(svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="staff@a.example"))[0] == 404


# --- paid SKUs -----------------------------------------------------------------------------------------


def test_paid_license_is_assigned_and_removed_normally(control: ControlClient, emulator_url: str) -> None:
    new_user(emulator_url, "ccp@a.example")
    svc = lic(emulator_url)
    made = svc.insert(productId=APPS, skuId=STARTER, body={"userId": "ccp@a.example"}).execute()
    assert (made["productId"], made["skuId"], made["skuName"]) == (
        APPS,
        STARTER,
        "Google Workspace Business Starter",
    )
    assert (
        svc.get(productId=APPS, skuId=STARTER, userId="ccp@a.example").execute()["userId"] == "ccp@a.example"
    )
    assert mailbox(emulator_url, "ccp@a.example") is True

    code, reason, message = fails(svc.insert(productId=APPS, skuId=STARTER, body={"userId": "ccp@a.example"}))
    assert (code, reason) == (412, "conditionNotMet")
    assert "already has a license for the specified product and SKU" in message
    code, _, message = fails(svc.insert(productId=APPS, skuId=ENTERPRISE, body={"userId": "ccp@a.example"}))
    assert code == 412
    assert "different SKU" in message

    assert svc.delete(productId=APPS, skuId=STARTER, userId="ccp@a.example").execute() == {}
    assert mailbox(emulator_url, "ccp@a.example") is False
    for request in (
        svc.get(productId=APPS, skuId=STARTER, userId="ccp@a.example"),
        svc.delete(productId=APPS, skuId=STARTER, userId="ccp@a.example"),
    ):
        assert fails(request)[:2] == (404, "notFound")


def test_ou_auto_licensing_gives_new_accounts_a_paid_license(
    control: ControlClient, emulator_url: str
) -> None:
    """The symptom portalsync must detect: a new Cloud Identity account that holds a Workspace license."""
    directory(emulator_url, "admin@a.example").orgunits().insert(
        customerId="my_customer", body={"name": "Staff", "parentOrgUnitPath": "/"}
    ).execute()
    control.post(
        "auto-license", {"customerId": A, "orgUnitPath": "/Staff", "productId": APPS, "skuId": ENTERPRISE}
    )
    new_user(emulator_url, "inside@a.example", "/Staff")
    new_user(emulator_url, "outside@a.example")
    svc = lic(emulator_url)
    assert (
        svc.get(productId=APPS, skuId=ENTERPRISE, userId="inside@a.example").execute()["skuId"] == ENTERPRISE
    )
    assert svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="inside@a.example").execute()
    assert fails(svc.get(productId=APPS, skuId=ENTERPRISE, userId="outside@a.example"))[0] == 404

    # While the OU still hands it out the license can't be taken away; once switched off it can.
    assert fails(svc.delete(productId=APPS, skuId=ENTERPRISE, userId="inside@a.example")) == (
        412,
        "conditionNotMet",
        "Auto License un-assignment is not allowed.",
    )
    control.post("auto-license", {"customerId": A, "orgUnitPath": "/Staff", "enabled": False})
    assert svc.delete(productId=APPS, skuId=ENTERPRISE, userId="inside@a.example").execute() == {}
    assert fails(svc.get(productId=APPS, skuId=ENTERPRISE, userId="inside@a.example"))[0] == 404


# --- listing -------------------------------------------------------------------------------------------


def test_list_for_sku_pages_to_the_last_page(control: ControlClient, emulator_url: str) -> None:
    emails = [f"pager{i}@a2.example" for i in range(5)]
    for email in emails:
        new_user(emulator_url, email)
    svc = lic(emulator_url)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        resp = svc.listForProductAndSku(
            productId=CI_PRODUCT, skuId=CI_SKU, customerId=A, maxResults=2, pageToken=token
        ).execute()
        assert resp["kind"] == "licensing#licenseAssignmentList"
        assert len(resp["items"]) <= 2
        seen.extend(item["userId"] for item in resp["items"])
        pages += 1
        token = resp.get("nextPageToken")
        if not token:
            break
    assert seen == emails
    assert pages == 3
    # Customer B's users never show up in A's list.
    new_user(emulator_url, "other@b.example")
    everything = svc.listForProductAndSku(productId=CI_PRODUCT, skuId=CI_SKU, customerId=A).execute()
    assert [i["userId"] for i in everything["items"]] == emails


def test_list_for_product_spans_its_skus(control: ControlClient, emulator_url: str) -> None:
    new_user(emulator_url, "starter@a.example")
    svc = lic(emulator_url)
    svc.insert(productId=APPS, skuId=STARTER, body={"userId": "starter@a.example"}).execute()
    items = svc.listForProduct(productId=APPS, customerId=A, maxResults=1000).execute()["items"]
    assert {i["userId"]: i["skuId"] for i in items} == {
        "admin@a.example": ENTERPRISE,
        "starter@a.example": STARTER,
    }
    assert all(i["productId"] == APPS and i["productName"] == "Google Workspace" for i in items)


def test_list_needs_the_callers_real_customer_id(control: ControlClient, emulator_url: str) -> None:
    svc = lic(emulator_url)
    for customer_id in ("my_customer", "a.example"):
        assert fails(svc.listForProduct(productId=APPS, customerId=customer_id))[:2] == (400, "invalid")
    assert fails(svc.listForProduct(productId=APPS, customerId=A, maxResults=1001))[:2] == (400, "invalid")
    assert fails(lic(emulator_url, "admin@b.example").listForProduct(productId=APPS, customerId=A))[:2] == (
        403,
        "forbidden",
    )


# --- errors --------------------------------------------------------------------------------------------


def test_unknown_user_product_and_sku_are_invalid(control: ControlClient, emulator_url: str) -> None:
    svc = lic(emulator_url)
    code, reason, message = fails(svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="nobody@a.example"))
    # GAM reads `invalid` with "userId" in the message as userNotFound.
    assert (code, reason) == (400, "invalid")
    assert "userId" in message
    assert fails(svc.get(productId="No-Such-Product", skuId=CI_SKU, userId="admin@a.example"))[:2] == (
        400,
        "invalid",
    )
    assert fails(svc.get(productId=APPS, skuId="123", userId="admin@a.example"))[:2] == (400, "invalid")
    assert fails(svc.listForProductAndSku(productId=APPS, skuId=CI_SKU, customerId=A))[:2] == (400, "invalid")


def test_other_customers_admin_and_non_admins_are_forbidden(
    control: ControlClient, emulator_url: str
) -> None:
    new_user(emulator_url, "ccp@a.example")
    other = lic(emulator_url, "admin@b.example")
    for request in (
        other.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example"),
        other.insert(productId=APPS, skuId=STARTER, body={"userId": "ccp@a.example"}),
        other.delete(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example"),
        other.listForProductAndSku(productId=CI_PRODUCT, skuId=CI_SKU, customerId=A),
        lic(emulator_url, "ccp@a.example").get(productId=CI_PRODUCT, skuId=CI_SKU, userId="ccp@a.example"),
    ):
        assert fails(request)[:2] == (403, "forbidden")
    assert fails(lic(emulator_url).get(productId=APPS, skuId=STARTER, userId="ccp@a.example"))[0] == 404


def test_license_calls_on_a_fresh_user_are_not_complete(control: ControlClient, emulator_url: str) -> None:
    svc = lic(emulator_url)
    control.post("consistency", {"incompleteSeconds": 60})
    new_user(emulator_url, "fresh@a.example")
    for request in (
        svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="fresh@a.example"),
        svc.insert(productId=APPS, skuId=STARTER, body={"userId": "fresh@a.example"}),
        svc.delete(productId=CI_PRODUCT, skuId=CI_SKU, userId="fresh@a.example"),
    ):
        assert fails(request) == (412, "conditionNotMet", "User creation is not complete.")
    control.post("clock", {"advanceSeconds": 61})
    assert svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="fresh@a.example").execute()["userId"]
    assert (
        svc.insert(productId=APPS, skuId=STARTER, body={"userId": "fresh@a.example"}).execute()["skuId"]
        == STARTER
    )


def test_user_id_follows_a_renamed_primary_address(control: ControlClient, emulator_url: str) -> None:
    new_user(emulator_url, "old.name@a.example")
    directory(emulator_url, "admin@a.example").users().update(
        userKey="old.name@a.example", body={"primaryEmail": "new.name@a.example"}
    ).execute()
    svc = lic(emulator_url)
    assert svc.get(productId=CI_PRODUCT, skuId=CI_SKU, userId="new.name@a.example").execute()["userId"] == (
        "new.name@a.example"
    )
    items = svc.listForProductAndSku(productId=CI_PRODUCT, skuId=CI_SKU, customerId=A).execute()["items"]
    assert [i["userId"] for i in items] == ["new.name@a.example"]
