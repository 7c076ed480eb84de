"""Directory tenant facts: domains, the customer record, and group members.

portalsync reads these to find every reseller domain, to turn `my_customer` into the real `C…` id the
Licensing API needs, and to resolve who is notified.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from workspace_emulator.calls import Call, handles, page
from workspace_emulator.errors import forbidden, not_found
from workspace_emulator.state import Customer, Group, etag

#: members.list documents "Max allowed value is 200" but discovery sets no maximum, so larger asks are capped.
MEMBERS_MAX = 200


def _epoch_ms(rfc3339: str) -> str:
    """Domains carry creationTime as int64 milliseconds (a JSON string), unlike users' RFC 3339."""
    instant = datetime.fromisoformat(rfc3339.replace("Z", "+00:00"))
    return str(int(instant.timestamp() * 1000))


def _domain(customer: Customer, name: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "kind": "admin#directory#domain",
        "domainName": name,
        "isPrimary": name == customer.primary_domain,
        "verified": True,
        "creationTime": _epoch_ms(customer.creation_time),
    }
    resource["etag"] = etag(resource)
    return resource


@handles("directory.domains.list")
def domains_list(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    domains = [_domain(customer, name) for name in customer.domains]
    return {"kind": "admin#directory#domains", "etag": etag(domains), "domains": domains}


@handles("directory.domains.get")
def domains_get(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customer"])
    name = str(call.params["domainName"]).lower()
    if name not in customer.domains:
        if name in call.state.domain_owner:
            raise forbidden()
        raise not_found("domain")
    return _domain(customer, name)


@handles("directory.customers.get")
def customers_get(call: Call) -> dict[str, Any]:
    customer = call.customer(call.params["customerKey"])
    resource: dict[str, Any] = {
        "kind": "admin#directory#customer",
        "id": customer.id,
        "customerDomain": customer.primary_domain,
        "customerCreationTime": customer.creation_time,
        "language": "en",
    }
    resource["etag"] = etag(resource)
    return resource


def _group(call: Call) -> Group:
    own = call.require_admin()
    key = str(call.params["groupKey"]).lower()
    owner = call.state.domain_owner.get(key.rsplit("@", 1)[-1]) if "@" in key else own.id
    if owner is not None and owner != own.id:
        raise forbidden()
    group = own.groups.get(key)
    if group is None:
        raise not_found("groupKey")
    return group


def _member(member: dict[str, Any]) -> dict[str, Any]:
    rendered = copy.deepcopy(member)
    rendered.pop("etag", None)
    rendered["etag"] = etag(rendered)
    return rendered


@handles("directory.members.list")
def members_list(call: Call) -> dict[str, Any]:
    group = _group(call)
    members = group.members
    roles = call.params.get("roles")
    if roles:
        wanted = {r.strip().upper() for r in str(roles).split(",") if r.strip()}
        members = [m for m in members if str(m.get("role", "MEMBER")).upper() in wanted]
    params = dict(call.params)
    params["maxResults"] = min(int(params.get("maxResults") or MEMBERS_MAX), MEMBERS_MAX)
    chunk, next_token = page(members, params, MEMBERS_MAX)
    rendered = [_member(m) for m in chunk]
    out: dict[str, Any] = {"kind": "admin#directory#members", "etag": etag(rendered)}
    if rendered:  # Google leaves `members` out of an empty page
        out["members"] = rendered
    if next_token:
        out["nextPageToken"] = next_token
    return out


@handles("directory.members.get")
def members_get(call: Call) -> dict[str, Any]:
    group = _group(call)
    key = str(call.params["memberKey"]).lower()
    for member in group.members:
        if str(member.get("email", "")).lower() == key or str(member.get("id")) == key:
            return _member(member)
    raise not_found("memberKey")
