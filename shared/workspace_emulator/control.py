"""The `/_emulator/` control API (JSON): tenants, grants, quotas, consistency, faults, mail, counters.

Documented in docs/workspace-emulator.md. Tests and `make demo` set the emulator up through it only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from workspace_emulator import accounts, oauth
from workspace_emulator.emulator import Emulator, Response
from workspace_emulator.errors import ApiError, invalid, not_found
from workspace_emulator.policies import Consistency, Fault, QuotaConfig
from workspace_emulator.state import Customer, Group

Route = Callable[[Emulator, Any], Any]
ROUTES: dict[tuple[str, str], Route] = {}


def route(method: str, name: str) -> Callable[[Route], Route]:
    def register(func: Route) -> Route:
        ROUTES[(method, name)] = func
        return func

    return register


def handle(emulator: Emulator, method: str, path: str, body: bytes) -> Response:
    name = path.removeprefix("/_emulator/").strip("/")
    func = ROUTES.get((method, name))
    if func is None:
        return Response.json(404, {"error": {"code": 404, "message": f"no control route {method} {path}"}})
    try:
        payload = json.loads(body) if body else {}
        with emulator.state.lock:
            result = func(emulator, payload)
    except ApiError as error:
        return Response.json(error.code, error.body())
    except (KeyError, TypeError, ValueError) as error:
        return Response.json(400, {"error": {"code": 400, "message": f"bad control request: {error!r}"}})
    return Response.json(200, result if result is not None else {"ok": True})


def _customer(emulator: Emulator, customer_id: str) -> Customer:
    customer = emulator.state.customers.get(customer_id)
    if customer is None:
        raise not_found("customer")
    return customer


@route("POST", "reset")
def reset(emulator: Emulator, _: Any) -> None:
    emulator.reset()


@route("POST", "customers")
def create_customer(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    customer = accounts.new_customer(
        emulator.state,
        body["customerId"],
        list(body["domains"]),
        body["superAdmin"],
        ci_free=bool(body.get("cloudIdentityFree", True)),
        cap=int(body.get("freeLicenseCap", 50)),
    )
    return {"customerId": customer.id, "domains": customer.domains, "superAdmin": customer.super_admin}


@route("POST", "users")
def create_user(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """Seed an existing account (a staff member's own Workspace user); `license: null` for none."""
    owner = emulator.state.customer_of_email(body["primaryEmail"])
    if owner is None:
        raise invalid("unknown domain")
    license_ = body.get("license", "Google-Apps/1010020020")
    paid = tuple(license_.split("/", 1)) if license_ else None
    resource = dict(body)
    resource.setdefault("password", "seeded-password")
    record = accounts.add_user(
        emulator.state,
        owner,
        resource,
        paid_license=paid,
        admin=bool(body.get("isAdmin", False)),
    )
    return dict(record.resource)


@route("POST", "subscription")
def subscription(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    customer = _customer(emulator, body["customerId"])
    customer.ci_free_subscribed = bool(body.get("cloudIdentityFree", customer.ci_free_subscribed))
    customer.free_license_cap = int(body.get("freeLicenseCap", customer.free_license_cap))
    return {
        "cloudIdentityFree": customer.ci_free_subscribed,
        "freeLicenseCap": customer.free_license_cap,
        "inUse": customer.ci_free_in_use(),
    }


@route("POST", "auto-license")
def auto_license(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """Switch automatic assignment of a paid SKU on (or off, with `"enabled": false`) for an OU."""
    customer = _customer(emulator, body["customerId"])
    path = str(body.get("orgUnitPath", "/")).lower()
    if body.get("enabled", True):
        customer.auto_license[path] = (body.get("productId", "Google-Apps"), body.get("skuId", "1010020020"))
    else:
        customer.auto_license.pop(path, None)
    return {"autoLicense": {p: "/".join(s) for p, s in customer.auto_license.items()}}


@route("POST", "roles")
def create_system_role(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """Add a role such as a legacy support role, which the API itself cannot create."""
    customer = _customer(emulator, body["customerId"])
    return accounts.add_role(
        emulator.state,
        customer,
        body["roleName"],
        body.get("roleDescription", ""),
        list(body.get("rolePrivileges", [])),
        system=bool(body.get("isSystemRole", True)),
    )


@route("POST", "role-assignments")
def seed_role_assignment(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    found = emulator.state.find_user(body["user"])
    if found is None:
        raise not_found("userKey")
    customer, record = found
    role = accounts.role_by_name(customer, body["roleName"])
    if role is None:
        raise not_found("role")
    return accounts.add_role_assignment(emulator.state, customer, role["roleId"], record.id)


@route("POST", "groups")
def create_group(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    owner = emulator.state.customer_of_email(body["email"])
    if owner is None:
        raise invalid("unknown domain")
    group = Group(body["email"].lower(), body.get("name", body["email"]))
    for member in body.get("members", []):
        entry = member if isinstance(member, dict) else {"email": member}
        group.members.append(
            {
                "kind": "admin#directory#member",
                "id": emulator.state.next_id(),
                "email": entry["email"],
                "role": entry.get("role", "MEMBER"),
                "type": entry.get("type", "USER"),
                "status": "ACTIVE",
            }
        )
    owner.groups[group.email] = group
    return {"email": group.email, "members": len(group.members)}


@route("POST", "sheets")
def create_sheet(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """Store a spreadsheet: `{"spreadsheetId", "title", "sheets": {"Sheet1": [[...], ...]}}`."""
    emulator.state.sheets[body["spreadsheetId"]] = {
        "title": body.get("title", body["spreadsheetId"]),
        "sheets": body.get("sheets", {}),
    }
    return {"spreadsheetId": body["spreadsheetId"]}


@route("GET", "calls")
def calls(emulator: Emulator, _: Any) -> dict[str, int]:
    """Calls per method id, plus `batch`: HTTP batch requests, so batching is shown by counts, not timing."""
    return {**emulator.state.calls, "batch": emulator.state.batch_requests}


@route("DELETE", "calls")
def clear_calls(emulator: Emulator, _: Any) -> None:
    emulator.state.calls.clear()
    emulator.state.batch_requests = 0


@route("POST", "quotas")
def quotas(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    config = QuotaConfig(
        directory_per_minute=body.get("directoryPerMinute"),
        licensing_per_minute=body.get("licensingPerMinute"),
        concurrent_per_customer=body.get("concurrentPerCustomer"),
        time_scale=float(body.get("timeScale", 1.0)),
        burst_seconds=float(body.get("burstSeconds", 1.0)),
    )
    emulator.quotas.configure(config)
    return vars(config)


@route("POST", "consistency")
def consistency(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    emulator.consistency = Consistency(
        incomplete_seconds=float(body.get("incompleteSeconds", 0.0)),
        get_lag_seconds=float(body.get("getLagSeconds", 0.0)),
        list_lag_seconds=float(body.get("listLagSeconds", 0.0)),
    )
    return vars(emulator.consistency)


@route("POST", "clock")
def clock(emulator: Emulator, body: dict[str, Any]) -> dict[str, float]:
    """Move the emulator clock forward, so consistency windows close and quota buckets refill at once."""
    offset = emulator.clock.advance(float(body["advanceSeconds"]))
    return {"offsetSeconds": offset}


@route("POST", "latency")
def latency(emulator: Emulator, body: dict[str, Any]) -> dict[str, float]:
    emulator.faults.latency_ms[body.get("method", "*")] = float(body["ms"])
    return emulator.faults.latency_ms


@route("POST", "faults")
def faults(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """`{"method", "count", "status", "reason", "message"}` queues failures; `{"random5xxRate", "seed"}`."""
    if "random5xxRate" in body:
        emulator.faults.set_random(float(body["random5xxRate"]), body.get("seed"))
    if "method" in body:
        emulator.faults.add(
            Fault(
                body["method"],
                int(body.get("count", 1)),
                int(body.get("status", 503)),
                body.get("reason", "backendError"),
                body.get("message", "Backend Error"),
            )
        )
    return {"pending": emulator.faults.pending(), "random5xxRate": emulator.faults.random_5xx_rate}


@route("DELETE", "faults")
def clear_faults(emulator: Emulator, _: Any) -> None:
    emulator.faults.reset()


@route("POST", "service-accounts")
def service_account(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    return oauth.register_service_account(emulator.state, body)


@route("POST", "dwd")
def grant_dwd(emulator: Emulator, body: dict[str, Any]) -> dict[str, Any]:
    """Authorize a client id for scopes in one customer (Admin console: Domain-wide delegation)."""
    _customer(emulator, body["customerId"])
    grants = emulator.state.dwd_grants.setdefault(body["customerId"], {})
    grants[str(body["clientId"])] = frozenset(body.get("scopes", []))
    return {cid: sorted(s) for cid, s in grants.items()}


@route("DELETE", "dwd")
def revoke_dwd(emulator: Emulator, body: dict[str, Any]) -> None:
    emulator.state.dwd_grants.get(body["customerId"], {}).pop(str(body["clientId"]), None)


@route("GET", "mail")
def mail(emulator: Emulator, _: Any) -> list[dict[str, Any]]:
    return list(emulator.state.sent_mail)


@route("DELETE", "mail")
def clear_mail(emulator: Emulator, _: Any) -> None:
    emulator.state.sent_mail.clear()


@route("GET", "state")
def dump(emulator: Emulator, _: Any) -> dict[str, Any]:
    """Everything, for debugging and the demo: users (without secrets), OUs, roles, assignments, licenses."""
    out: dict[str, Any] = {}
    for cid, c in emulator.state.customers.items():
        out[cid] = {
            "domains": c.domains,
            "cloudIdentityFree": c.ci_free_subscribed,
            "freeLicenseCap": c.free_license_cap,
            "users": [r.resource for r in c.users.values()],
            "orgunits": list(c.orgunits.values()),
            "roles": list(c.roles.values()),
            "roleAssignments": list(c.role_assignments.values()),
            "licenses": {f"{p}/{s}": sorted(holders) for (p, s), holders in c.licenses.items()},
            "autoLicense": {p: "/".join(s) for p, s in c.auto_license.items()},
            "groups": {g.email: g.members for g in c.groups.values()},
        }
    return {"customers": out, "sentMail": len(emulator.state.sent_mail), "calls": dict(emulator.state.calls)}


#: Every POST route but `reset`, in the order a seed applies them: tenants and their subscription first (the
#: cap and Cloud Identity Free decide what seeded users hold), then accounts, grants and content; auto-license
#: after users, so seeded accounts keep the licenses the seed gives them; policies last, so nothing seeded is
#: throttled or faulted and windows start when serving starts.
SEED_ORDER = (
    "customers",
    "subscription",
    "users",
    "roles",
    "role-assignments",
    "groups",
    "sheets",
    "service-accounts",
    "dwd",
    "auto-license",
    "quotas",
    "consistency",
    "latency",
    "faults",
    "clock",
)


class SeedError(ValueError):
    """A seed file that cannot be applied as written; the message names the key and entry."""


def load_seed(emulator: Emulator, seed: Any) -> None:
    """Apply a seed file: each key is a POST control route holding a list of bodies (or one body).

    Unknown keys are refused before anything is applied, so a typo cannot leave a half-seeded emulator
    that looks right.
    """
    if not isinstance(seed, dict):
        raise SeedError("a seed file is a JSON object whose keys are POST control routes")
    unknown = sorted(set(seed) - set(SEED_ORDER))
    if unknown:
        names = ", ".join(map(repr, unknown))
        raise SeedError(f"unknown seed key(s) {names}; known: {', '.join(SEED_ORDER)}")
    with emulator.state.lock:
        for key in SEED_ORDER:
            bodies = seed.get(key, [])
            for index, body in enumerate(bodies if isinstance(bodies, list) else [bodies]):
                if not isinstance(body, dict):
                    raise SeedError(f"seed {key!r}[{index}] is not a JSON object")
                try:
                    ROUTES[("POST", key)](emulator, body)
                except ApiError as error:
                    raise SeedError(f"seed {key!r}[{index}]: {error.code} {error.message}") from error
                except (KeyError, TypeError, ValueError) as error:
                    raise SeedError(f"seed {key!r}[{index}]: bad body: {error!r}") from error
