"""Directory users: insert, get, list (with Google's search syntax), update/patch, delete.

Eventual consistency is part of the contract clients must survive, so the windows in
`emulator.consistency` shape answers here: a fresh user is missing from `get` and `list` for a while and
refuses mutations with 412 until "creation is complete".
"""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from typing import Any

from workspace_emulator.accounts import add_user, check_name, find_ou
from workspace_emulator.calls import Call, handles, page
from workspace_emulator.errors import (
    bad_request,
    creation_not_complete,
    duplicate,
    forbidden,
    invalid,
    not_found,
)
from workspace_emulator.state import Customer, UserRecord, etag

Predicate = Callable[[UserRecord], bool]


def _render(record: UserRecord) -> dict[str, Any]:
    """A private copy: the response is serialised after the state lock is released."""
    return copy.deepcopy(record.resource)


def _refresh_etag(resource: dict[str, Any]) -> None:
    resource.pop("etag", None)
    resource["etag"] = etag(resource)


def _complete(call: Call, record: UserRecord) -> None:
    if call.emulator.within(record.created, call.emulator.consistency.incomplete_seconds):
        raise creation_not_complete()


@handles("directory.users.insert")
def insert(call: Call) -> dict[str, Any]:
    """Super admins only: Google lets delegated admins manage users but not create them."""
    customer = call.require_admin()
    caller = customer.user(call.principal.subject)
    if caller is None or not caller.resource.get("isAdmin"):
        raise forbidden()
    body = call.body
    # A body sent as a JSON string (body=json.dumps(...)) reaches Google as no user at all; it answers so.
    if not isinstance(body, dict) or not isinstance(body.get("name", {}), dict):
        raise invalid("Invalid Given/Family Name: FamilyName")
    record = add_user(call.state, customer, body)
    return _render(record)


@handles("directory.users.get")
def get(call: Call) -> dict[str, Any]:
    _, record = call.user(call.params["userKey"])
    if call.emulator.within(record.created, call.emulator.consistency.get_lag_seconds):
        raise not_found("userKey")
    return _render(record)


# --- users.list and its query language -------------------------------------------------------------------

# A quoted value may hold its own quote escaped with a backslash (`'/O\'Brien'`), as Google's search syntax
# allows and clients send for such OU paths.
_QUOTED = r"'(?:[^'\\]|\\.)*'" + r'|"(?:[^"\\]|\\.)*"'
_CLAUSE = re.compile(
    r"""\s*(?:(?P<field>[A-Za-z][A-Za-z0-9_.]*)\s*(?P<op>[:=])\s*"""
    rf"""(?P<value>{_QUOTED}|[^\s'"]*)|(?P<word>{_QUOTED}|\S+))"""
)
_ESCAPE = re.compile(r"\\(.)")
_BOOLEAN_FIELDS = {
    "isadmin": "isAdmin",
    "isdelegatedadmin": "isDelegatedAdmin",
    "issuspended": "suspended",
    "isarchived": "archived",
}
_TEXT_FIELDS = {"email", "givenname", "familyname", "name", "externalid"}


def _unquote(value: str) -> str:
    """The text of a quoted value, `\\x` standing for `x`; an unquoted value is taken as it is."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return _ESCAPE.sub(r"\1", value[1:-1])
    return value


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\W_]+", text.lower()) if w]


def _text_match(candidates: list[str], op: str, value: str) -> bool:
    """`=` is an exact, case-insensitive match; `:` matches the whole value or a word, `x*` a prefix."""
    needle = value.lower()
    for candidate in candidates:
        text = candidate.lower()
        if op == "=":
            if text == needle:
                return True
            continue
        if needle.endswith("*"):
            stem = needle[:-1]
            if text.startswith(stem) or any(w.startswith(stem) for w in _words(text)):
                return True
        elif text == needle or needle in _words(text) or (" " in needle and needle in text):
            return True
    return False


def _field_values(record: UserRecord, field: str) -> list[str]:
    res = record.resource
    name = res.get("name", {})
    if field == "email":
        return [res["primaryEmail"], *res.get("aliases", [])]
    if field == "givenname":
        return [name.get("givenName", "")]
    if field == "familyname":
        return [name.get("familyName", "")]
    if field == "name":
        return [f"{name.get('givenName', '')} {name.get('familyName', '')}"]
    ids = res.get("externalIds") or []
    return [str(e.get("value", "")) for e in ids if isinstance(e, dict)]


def _ou_predicate(value: str) -> Predicate:
    """orgUnitPath= matches the OU and every OU below it, as Google documents."""
    path = (value.rstrip("/") or "/").lower()

    def match(record: UserRecord) -> bool:
        own = str(record.resource.get("orgUnitPath", "/")).lower()
        return path == "/" or own == path or own.startswith(path + "/")

    return match


def _clause(field: str, op: str, raw: str, query: str) -> Predicate:
    value = _unquote(raw)
    key = field.lower()
    if key == "orgunitpath" and op == "=":
        return _ou_predicate(value)
    if key in _BOOLEAN_FIELDS and op == "=" and value.lower() in ("true", "false"):
        attr, wanted = _BOOLEAN_FIELDS[key], value.lower() == "true"
        return lambda r: bool(r.resource.get(attr, False)) is wanted
    if key in _TEXT_FIELDS:
        return lambda r: _text_match(_field_values(r, key), op, value)
    raise invalid(f"Invalid Input: {query}")


def _free_text(word: str) -> Predicate:
    def match(record: UserRecord) -> bool:
        return any(
            _text_match(_field_values(record, f), ":", word) for f in ("givenname", "familyname", "email")
        )

    return match


def parse_query(query: str) -> list[Predicate]:
    """Space-separated `field op value` clauses, implicitly ANDed; a bare word searches names and email."""
    predicates: list[Predicate] = []
    pos = 0
    while pos < len(query):
        found = _CLAUSE.match(query, pos)
        if found is None or found.end() == pos:
            break
        pos = found.end()
        if found.group("field"):
            predicates.append(_clause(found.group("field"), found.group("op"), found.group("value"), query))
        elif found.group("word"):
            predicates.append(_free_text(_unquote(found.group("word"))))
    if query[pos:].strip():
        raise invalid(f"Invalid Input: {query}")
    return predicates


def _sort_key(order_by: str) -> Callable[[UserRecord], tuple[str, str]]:
    def key(record: UserRecord) -> tuple[str, str]:
        name = record.resource.get("name", {})
        primary = {"givenName": name.get("givenName", ""), "familyName": name.get("familyName", "")}.get(
            order_by, record.email
        )
        return (str(primary).casefold(), record.email)

    return key


@handles("directory.users.list")
def list_(call: Call) -> dict[str, Any]:
    params = call.params
    customer_key, domain = params.get("customer"), params.get("domain")
    if not customer_key and not domain:
        raise bad_request()
    customer = call.customer(customer_key) if customer_key else call.domain_customer(str(domain))
    if customer_key and domain:
        call.domain_customer(str(domain))
    records = list(customer.users.values())
    if domain:
        records = [r for r in records if r.email.rsplit("@", 1)[1] == str(domain).lower()]
    if str(params.get("showDeleted", "")).lower() == "true":
        records = []  # deleted users are not retained
    lag = call.emulator.consistency.list_lag_seconds
    records = [r for r in records if not call.emulator.within(r.created, lag)]
    for predicate in parse_query(str(params.get("query") or "")):
        records = [r for r in records if predicate(r)]
    # Without orderBy Google promises no order; email keeps pages stable.
    records.sort(
        key=_sort_key(str(params.get("orderBy") or "email")),
        reverse=params.get("sortOrder") == "DESCENDING",
    )
    chunk, next_token = page(records, params, 100)
    users = [_render(r) for r in chunk]
    out: dict[str, Any] = {"kind": "admin#directory#users", "etag": etag([u["etag"] for u in users])}
    if users:  # Google leaves `users` out of an empty page
        out["users"] = users
    if next_token:
        out["nextPageToken"] = next_token
    return out


# --- update / patch / delete ---------------------------------------------------------------------------

_REPLACEABLE = (
    "externalIds",
    "organizations",
    "phones",
    "addresses",
    "relations",
    "locations",
    "websites",
    "customSchemas",
    "notes",
    "keywords",
    "languages",
    "gender",
    "ims",
)
_FLAGS = ("changePasswordAtNextLogin", "includeInGlobalAddressList", "archived", "ipWhitelisted")


def _bool(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise invalid(f"Invalid value for: {field}")
    return value


def _rename(customer: Customer, record: UserRecord, res: dict[str, Any], new: Any) -> None:
    """Google keeps the old primary address as an alias, so mail and lookups by it keep working."""
    if not isinstance(new, str) or "@" not in new:
        raise invalid("Invalid Input: primary_user_email")
    old = res["primaryEmail"]
    if new.lower() == old.lower():
        res["primaryEmail"] = new
        return
    if new.rsplit("@", 1)[1].lower() not in customer.domains:
        raise forbidden()
    holder = customer.by_email.get(new.lower())
    if holder is not None and holder != record.id:
        raise duplicate()
    aliases = [a for a in res.get("aliases", []) if a.lower() != new.lower()]
    aliases.append(old)
    res["aliases"] = aliases
    res["primaryEmail"] = new
    res["emails"] = [{"address": new, "primary": True}] + [{"address": a} for a in aliases]


def _apply(call: Call, customer: Customer, record: UserRecord) -> None:
    body = call.body
    if not isinstance(body, dict):
        raise invalid("Invalid Input")
    res = copy.deepcopy(record.resource)
    if "name" in body:
        given = body["name"]
        if not isinstance(given, dict):
            raise invalid("Invalid Given/Family Name: FamilyName")
        name = {**res["name"], **{k: v for k, v in given.items() if k != "fullName"}}
        check_name("givenName", name.get("givenName"))
        check_name("familyName", name.get("familyName"))
        name["fullName"] = f"{name['givenName']} {name['familyName']}"
        res["name"] = name
    if "primaryEmail" in body:
        _rename(customer, record, res, body["primaryEmail"])
    if "orgUnitPath" in body:
        ou = find_ou(customer, str(body["orgUnitPath"] or ""))
        if ou is None:
            raise invalid("Invalid Input: INVALID_OU_ID")
        res["orgUnitPath"] = ou["orgUnitPath"]
    password_hash = record.password_sha256
    if "password" in body:
        if not isinstance(body["password"], str) or not body["password"]:
            raise invalid("Invalid Password")
        password_hash = hashlib.sha256(body["password"].encode()).hexdigest()
    if "suspended" in body:
        res["suspended"] = _bool("suspended", body["suspended"])
        if res["suspended"]:
            res["suspensionReason"] = "ADMIN"
        else:
            res.pop("suspensionReason", None)
    for flag in _FLAGS:
        if flag in body:
            res[flag] = _bool(flag, body[flag])
    for field in ("recoveryEmail", "recoveryPhone"):
        if field in body:
            if body[field]:
                res[field] = str(body[field])
            else:  # null or "" clears it
                res.pop(field, None)
    for field in _REPLACEABLE:
        if field in body:
            if body[field] is None:
                res.pop(field, None)
            else:
                res[field] = body[field]
    _refresh_etag(res)
    # Validated in full above, so nothing is half-applied when a field is refused.
    for address in res.get("aliases", []):
        customer.by_email[address.lower()] = record.id
    customer.by_email[res["primaryEmail"].lower()] = record.id
    record.resource = res
    record.password_sha256 = password_hash


@handles("directory.users.update")
@handles("directory.users.patch")
def update(call: Call) -> dict[str, Any]:
    """PUT has patch semantics in the Directory API, so both verbs share one implementation."""
    customer, record = call.user(call.params["userKey"])
    _complete(call, record)
    _apply(call, customer, record)
    return _render(record)


@handles("directory.users.delete")
def delete(call: Call) -> None:
    customer, record = call.user(call.params["userKey"])
    _complete(call, record)
    uid = record.id
    del customer.users[uid]
    for address in [a for a, holder in customer.by_email.items() if holder == uid]:
        del customer.by_email[address]
    for holders in customer.licenses.values():
        holders.pop(uid, None)
    for assignment_id in [k for k, a in customer.role_assignments.items() if a["assignedTo"] == uid]:
        del customer.role_assignments[assignment_id]
    addresses = {record.email, *(a.lower() for a in record.resource.get("aliases", []))}
    for group in customer.groups.values():
        group.members = [m for m in group.members if str(m.get("email", "")).lower() not in addresses]
