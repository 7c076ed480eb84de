"""Enterprise License Manager: license assignments, with Cloud Identity Free as the site license it is.

Answers follow Google's licensing developer guide error table (400 bad user / unknown product or SKU,
404 user lacks the license, 412 with the documented messages). Choices where Google is silent are marked
UNCONFIRMED.
"""

from __future__ import annotations

from typing import Any

from workspace_emulator import accounts
from workspace_emulator.calls import Call, handles, page
from workspace_emulator.errors import ApiError, creation_not_complete, forbidden, invalid
from workspace_emulator.state import (
    CI_FREE_PRODUCT,
    PRODUCTS,
    WORKSPACE_PRODUCT,
    Customer,
    UserRecord,
    etag,
)

BASE = "https://licensing.googleapis.com/apps/licensing/v1/"


def _precondition(message: str) -> ApiError:
    return ApiError(412, "conditionNotMet", message)


def _product(product_id: str) -> tuple[str, dict[str, str]]:
    """Unknown ids answer as GAM-team/GAM#865 shows ("400: Invalid ProductId: ... - Invalid")."""
    found = PRODUCTS.get(product_id)
    if found is None:
        raise invalid(f"Invalid productId: {product_id}")
    return found


def _sku(product_id: str, sku_id: str) -> str:
    _, skus = _product(product_id)
    if sku_id not in skus:
        raise invalid(f"Invalid skuId: {sku_id}")
    return skus[sku_id]


def _subscribed(customer: Customer, product_id: str) -> None:
    """A product the customer has no subscription for.

    GAMADV-XTD3#187 shows Google answering "Unauthorized operation for the given domain." when listing
    a SKU the domain lacks (GAM catches `forbidden` there). That the same 403 answers get/insert/delete
    is UNCONFIRMED; it keeps "not subscribed" (403) apart from "user lacks the license" (404).
    Workspace SKUs count as subscribed (every emulated customer's super admin holds one); Cloud
    Identity Premium is never subscribed here.
    """
    if product_id == WORKSPACE_PRODUCT:
        return
    if product_id == CI_FREE_PRODUCT and customer.ci_free_subscribed:
        return
    raise ApiError(403, "forbidden", "Unauthorized operation for the given domain.")


def _user(call: Call, customer: Customer, key: str) -> UserRecord:
    """The licensed user by primary e-mail (or id).

    An unknown user is 400 `invalid` with "userId" in the message: the guide lists "400 User email not
    valid" and GAM maps `invalid` + "userId" to userNotFound (exact wording UNCONFIRMED). Another
    customer's user is 403. Right after users.insert the user is "not complete" (412), as for the
    Directory API.
    """
    if "@" in key:
        owner = call.state.domain_owner.get(key.rsplit("@", 1)[1].lower())
        if owner is not None and owner != customer.id:
            raise forbidden()
    record = customer.user(key)
    if record is None:
        raise invalid(f"Invalid userId: {key}")
    consistency = call.emulator.consistency
    if call.emulator.within(record.created, consistency.incomplete_seconds):
        raise creation_not_complete()
    return record


def _assignment(product_id: str, sku_id: str, record: UserRecord) -> dict[str, Any]:
    product_name, skus = PRODUCTS[product_id]
    item: dict[str, Any] = {
        "kind": "licensing#licenseAssignment",
        "productId": product_id,
        "productName": product_name,
        "skuId": sku_id,
        "skuName": skus[sku_id],
        "userId": record.resource["primaryEmail"],
        "selfLink": f"{BASE}product/{product_id}/sku/{sku_id}/user/{record.resource['primaryEmail']}",
    }
    item["etags"] = etag(item)
    return item


def _held(customer: Customer, product_id: str, uid: str) -> str | None:
    """The SKU of `product_id` the user holds: one SKU per product per user."""
    for (product, sku), holders in customer.licenses.items():
        if product == product_id and uid in holders:
            return sku
    return None


def _set_mailbox(record: UserRecord, present: bool) -> None:
    """A Workspace license brings a Gmail mailbox (users.get `isMailboxSetup`); removing it takes it away."""
    resource = record.resource
    resource["isMailboxSetup"] = present
    resource.pop("etag", None)
    resource["etag"] = etag(resource)


def _lookup(call: Call) -> tuple[Customer, UserRecord, str, str]:
    customer = call.require_admin()
    product_id, sku_id = call.params["productId"], call.params["skuId"]
    _sku(product_id, sku_id)
    _subscribed(customer, product_id)
    key = call.params.get("userId")
    if key is None:
        body = call.body if isinstance(call.body, dict) else {}
        key = body.get("userId")
        if not isinstance(key, str) or not key:
            raise ApiError(400, "required", "Required field must not be blank: userId")
    return customer, _user(call, customer, str(key)), product_id, sku_id


@handles("licensing.licenseAssignments.get")
def get(call: Call) -> dict[str, Any]:
    customer, record, product_id, sku_id = _lookup(call)
    if record.id not in customer.licenses.get((product_id, sku_id), {}):
        raise ApiError(404, "notFound", "User does not have a license for specified sku and product")
    return _assignment(product_id, sku_id, record)


@handles("licensing.licenseAssignments.insert")
def insert(call: Call) -> dict[str, Any]:
    customer, record, product_id, sku_id = _lookup(call)
    current = _held(customer, product_id, record.id)
    if current == sku_id:
        # The guide's documented answer; GAM also knows `duplicate` from older behaviour.
        raise _precondition("User already has a license for the specified product and SKU")
    if current is not None:
        raise _precondition(
            "User already has a license of the product, but with a different SKU. To reassign a new "
            'SKU for this product, use the "update" operation.'
        )
    if product_id == CI_FREE_PRODUCT:
        if _held(customer, WORKSPACE_PRODUCT, record.id) is not None:
            # GAM-team/GAM#1176: adding CI Free to a Workspace-licensed user retried on backendError
            # until GAM gave up; callers must cap retries and verify with get instead.
            raise ApiError(503, "backendError", "Backend Error")
        if customer.ci_free_in_use() >= customer.free_license_cap:
            raise _precondition("There aren't enough available licenses for the specified product-SKU pair")
    customer.licenses.setdefault((product_id, sku_id), {})[record.id] = False
    if product_id == WORKSPACE_PRODUCT:
        _set_mailbox(record, True)
    return _assignment(product_id, sku_id, record)


@handles("licensing.licenseAssignments.delete")
def delete(call: Call) -> dict[str, Any]:
    """Cloud Identity Free can never be removed; a paid license given automatically can't while the
    user's OU still hands it out (Admin console: turn automatic licensing off first)."""
    customer, record, product_id, sku_id = _lookup(call)
    holders = customer.licenses.get((product_id, sku_id), {})
    if record.id not in holders:
        raise ApiError(404, "notFound", "User does not have a license for specified sku and product")
    automatic = holders[record.id] and accounts.auto_license_for(
        customer, str(record.resource.get("orgUnitPath", "/"))
    ) == (product_id, sku_id)
    if product_id == CI_FREE_PRODUCT or automatic:
        raise _precondition("Auto License un-assignment is not allowed.")
    del holders[record.id]
    if product_id == WORKSPACE_PRODUCT:
        _set_mailbox(record, False)
    return {}


def _list(call: Call, skus: list[str]) -> dict[str, Any]:
    """List a customer's assignments; `customerId` must be the caller's own `C…` id.

    GAM resolves my_customer to the real id before calling (setTrueCustomerId). Another customer's id is
    403; anything that is no customer id (my_customer, a domain) is 400 `invalid` (UNCONFIRMED wording).
    """
    customer = call.require_admin()
    product_id = call.params["productId"]
    wanted = call.params["customerId"]
    if wanted != customer.id:
        if wanted in call.state.customers:
            raise forbidden()
        raise invalid(f"Invalid customerId: {wanted}")
    _subscribed(customer, product_id)
    items: list[dict[str, Any]] = []
    for sku_id in skus:
        holders = customer.licenses.get((product_id, sku_id), {})
        for uid in sorted(holders, key=int):
            record = customer.users.get(uid)
            if record is not None:
                items.append(_assignment(product_id, sku_id, record))
    chunk, nxt = page(items, call.params, 100)
    out: dict[str, Any] = {"kind": "licensing#licenseAssignmentList", "etag": etag(chunk), "items": chunk}
    if nxt:
        out["nextPageToken"] = nxt
    return out


@handles("licensing.licenseAssignments.listForProduct")
def list_for_product(call: Call) -> dict[str, Any]:
    _, skus = _product(call.params["productId"])
    return _list(call, sorted(skus))


@handles("licensing.licenseAssignments.listForProductAndSku")
def list_for_product_and_sku(call: Call) -> dict[str, Any]:
    _sku(call.params["productId"], call.params["skuId"])
    return _list(call, [call.params["skuId"]])
