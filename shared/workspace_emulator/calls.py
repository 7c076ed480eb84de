"""What a handler receives, how handlers register, and the tenant checks every handler shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workspace_emulator.discovery import Method
from workspace_emulator.errors import ApiError, forbidden, not_found
from workspace_emulator.state import Customer, State, UserRecord

if TYPE_CHECKING:
    from workspace_emulator.emulator import Emulator


@dataclass(frozen=True)
class Principal:
    """Who is calling: the delegated subject and the scopes its token carries (None = every scope)."""

    subject: str
    scopes: frozenset[str] | None
    client_id: str | None = None


@dataclass
class Call:
    emulator: Emulator
    method: Method
    params: dict[str, Any]
    body: Any
    principal: Principal

    @property
    def state(self) -> State:
        return self.emulator.state

    def caller_customer(self) -> Customer:
        found = self.state.customer_of_email(self.principal.subject)
        if found is None:
            raise ApiError(401, "authError", "Invalid Credentials", domain="global")
        return found

    def require_admin(self) -> Customer:
        """The caller's own customer, if the subject is an admin there (Directory and Licensing need one)."""
        customer = self.caller_customer()
        record = customer.user(self.principal.subject)
        if record is None or not (record.resource.get("isAdmin") or record.resource.get("isDelegatedAdmin")):
            raise forbidden()
        return customer

    def customer(self, key: str) -> Customer:
        """Resolve `my_customer` or a customer id; any tenant but the caller's is forbidden."""
        own = self.require_admin()
        if key in ("my_customer", own.id):
            return own
        raise forbidden()

    def domain_customer(self, domain: str) -> Customer:
        own = self.require_admin()
        owner = self.state.domain_owner.get(domain.lower())
        if owner is None:
            raise not_found("domain")
        if owner != own.id:
            raise forbidden()
        return own

    def user(self, key: str) -> tuple[Customer, UserRecord]:
        """A user of the caller's customer by primary e-mail or id; a foreign domain is forbidden."""
        own = self.require_admin()
        if "@" in key:
            owner = self.state.domain_owner.get(key.rsplit("@", 1)[1].lower())
            if owner is not None and owner != own.id:
                raise forbidden()
        record = own.user(key)
        if record is None:
            raise not_found("userKey")
        return own, record


Handler = Callable[[Call], Any]
HANDLERS: dict[str, Handler] = {}


def handles(method_id: str) -> Callable[[Handler], Handler]:
    """Register a handler for one discovery method id."""

    def register(func: Handler) -> Handler:
        HANDLERS[method_id] = func
        return func

    return register


def page(items: list[Any], params: dict[str, Any], default_size: int) -> tuple[list[Any], str | None]:
    """Offset paging with an opaque-enough token; the list is already in a stable order.

    Only tokens this function issues (`p` and a non-negative offset) are accepted: anything else, a
    negative offset included, is 400 as Google answers a token it did not issue.
    """
    size = int(params.get("maxResults") or default_size)
    token = str(params.get("pageToken") or "")
    start = 0
    if token:
        digits = token.removeprefix("p")
        if not token.startswith("p") or not (digits.isascii() and digits.isdigit()):
            raise ApiError(400, "invalid", "Invalid page token")
        start = int(digits)
    chunk = items[start : start + size]
    nxt = f"p{start + size}" if start + size < len(items) else None
    return chunk, nxt
