"""One API call, end to end: route, count, authenticate, check scopes and quota, fault, delay, handle.

Plain HTTP requests and every part of a batch go through `Emulator.execute`, so a batched call is counted
and quota-checked exactly like a call of its own.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from workspace_emulator import handlers
from workspace_emulator.calls import HANDLERS, Call, Principal
from workspace_emulator.clock import Clock
from workspace_emulator.discovery import Method, Router
from workspace_emulator.errors import ApiError, invalid
from workspace_emulator.policies import Consistency, Faults, Quotas
from workspace_emulator.state import State

handlers.load_all()

# APIs whose calls run as a tenant's admin and count against that tenant's concurrency.
TENANT_APIS = {"directory", "licensing"}
# APIs any bearer token may call: IAM permission checks are not emulated, and the caller of IAM
# Credentials is a Cloud identity (a function's runtime service account), not a Workspace user.
OPEN_CALLER_APIS = {"iamcredentials"}


@dataclass
class Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=UTF-8"

    @classmethod
    def json(cls, status: int, payload: Any) -> Response:
        return cls(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


class Emulator:
    """The emulator's state and policies, and the pipeline every API call takes."""

    def __init__(self) -> None:
        # One clock for the emulator's life: a reset clears data, but time never runs backwards.
        self.clock = Clock()
        self.state = State(self.clock)
        self.quotas = Quotas(self.clock)
        self.consistency = Consistency()
        self.faults = Faults()
        self.router = Router(sorted(HANDLERS))

    def reset(self) -> None:
        self.state = State(self.clock)
        self.quotas = Quotas(self.clock)
        self.consistency = Consistency()
        self.faults.reset()

    def within(self, created: float, seconds: float) -> bool:
        """Whether a consistency window of `seconds` from `created` is still open on the emulator clock."""
        return Consistency.within(created, seconds, self.clock.now())

    def principal(self, authorization: str | None, api: str = "") -> Principal:
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not token:
            raise ApiError(401, "required", "Login Required.")
        if token.startswith("emulator:"):
            return Principal(subject=token.removeprefix("emulator:").lower(), scopes=None)
        with self.state.lock:
            grant = self.state.tokens.get(token)
        if api in OPEN_CALLER_APIS:
            return Principal(subject=grant.subject if grant else "anonymous-caller", scopes=None)
        if grant is None or grant.expires < time.time():
            raise ApiError(401, "authError", "Invalid Credentials")
        return Principal(subject=grant.subject, scopes=grant.scopes, client_id=grant.client_id)

    def execute(
        self, http_method: str, raw_path: str, query: str, authorization: str | None, body: bytes
    ) -> Response:
        matched = self.router.match(http_method, raw_path)
        if matched is None:
            return Response.json(
                404, ApiError(404, "notFound", f"No such method: {http_method} {raw_path}").body()
            )
        method, path_params = matched
        with self.state.lock:
            self.state.calls[method.id] += 1
        delayed = False
        try:
            principal = self.principal(authorization, method.api)
            _check_scopes(method, principal)
            self.quotas.check_rate(method.api, principal.subject, principal.client_id)
            self.faults.check(method.id)
            params = parse_params(method, path_params, query)
            payload = _parse_body(body)
            call = Call(self, method, params, payload, principal)
            slot = (
                self.quotas.concurrency(_tenant_key(self.state, principal))
                if method.api in TENANT_APIS
                else contextlib.nullcontext()
            )
            with slot:
                # Added latency is server time: the call holds its concurrency slot meanwhile.
                delayed = True
                self.faults.delay(method.id)
                result = self._handle(call)
        except ApiError as error:
            if not delayed:
                self.faults.delay(method.id)
            return Response.json(error.code, error.body())
        if result is None:
            return Response(204, b"")
        return Response.json(200, result)

    def _handle(self, call: Call) -> Any:
        with self.state.lock:
            return HANDLERS[call.method.id](call)


def _tenant_key(state: State, principal: Principal) -> str:
    customer = state.customer_of_email(principal.subject)
    return customer.id if customer else principal.subject


def _check_scopes(method: Method, principal: Principal) -> None:
    if principal.scopes is None or not method.scopes:
        return
    if not principal.scopes.intersection(method.scopes):
        raise ApiError(403, "insufficientPermissions", "Request had insufficient authentication scopes.")


def _parse_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError as exc:
        raise ApiError(400, "parseError", "Parse Error") from exc


def _convert(name: str, spec: dict[str, Any], raw: str) -> Any:
    kind = spec.get("type", "string")
    if kind == "integer":
        try:
            value: Any = int(raw)
        except ValueError as exc:
            raise invalid(f"Invalid value '{raw}'. Values must be integers.") from exc
        low, high = spec.get("minimum"), spec.get("maximum")
        if (low is not None and value < int(low)) or (high is not None and value > int(high)):
            raise invalid(f"Invalid value '{raw}'. Values must be within the range: [{low}, {high}]")
        return value
    if kind == "boolean":
        return raw.lower() == "true"
    if "enum" in spec and raw not in spec["enum"]:
        raise invalid(f"Invalid value for: {name} is not a valid value")
    return raw


def parse_params(method: Method, path_params: dict[str, str], query: str) -> dict[str, Any]:
    """Path and query parameters typed and range-checked as the discovery document declares them."""
    params: dict[str, Any] = {}
    for name, raw in path_params.items():
        params[name] = _convert(name, method.parameters.get(name, {}), unquote(raw))
    for name, values in parse_qs(query, keep_blank_values=True).items():
        spec = method.parameters.get(name)
        if spec is None:
            continue  # standard parameters (alt, fields, prettyPrint, quotaUser) change nothing here
        converted = [_convert(name, spec, v) for v in values]
        params[name] = converted if spec.get("repeated") else converted[-1]
    for name, spec in method.parameters.items():
        if spec.get("required") and name not in params:
            raise ApiError(400, "required", f"Required parameter: {name}")
    return params
