"""Desired state: reseller accounts, the staff roster and settings, validated with pydantic.

A bad document or roster row is reported with where it came from, the field and why (see `validation.py`),
and skipped; the rest of the work goes on.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
USERNAME_RE = re.compile(r"^[a-z0-9](?:[a-z0-9._'-]{0,62}[a-z0-9])?$")
# Google's name rule: Unicode letters, digits, spaces and - / . ' ; at most 60 characters.
NAME_RE = re.compile(r"^[^\W_](?:[^\W_]|[ \-/.'])*$")

DEFAULT_OU = "/Customer Care Portal"
DEFAULT_CUSTOM_ROLE = "Customer Care Portal"
#: portalsync marks the accounts it manages with this externalIds entry (type custom, customType below).
MANAGED_MARK = "portalsync"


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value):
        raise ValueError("not an e-mail address")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _domain(value: str) -> str:
    value = value.strip().lower()
    if not DOMAIN_RE.match(value):
        raise ValueError("not a domain name")
    return value


def _name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    if len(value) > 60:
        raise ValueError("longer than 60 characters (Google's limit)")
    if not NAME_RE.match(value):
        raise ValueError("only letters (any script), digits, spaces and - / . ' are allowed")
    return value


def _document_id(value: str) -> str:
    """Ids name Firestore documents (`people/{id}`, `account_state/{id}/provisioning/{person}@{domain}`):
    a `/` would split the path and Firestore reserves `.`, `..` and `__*__`."""
    if "/" in value:
        raise ValueError("not a Firestore document id: must not contain '/'")
    if value in (".", "..") or re.fullmatch(r"__.*__", value, re.DOTALL):
        raise ValueError("not a Firestore document id: '.', '..' and '__...__' are reserved")
    if len(value.encode()) > 1500:
        raise ValueError("not a Firestore document id: longer than 1500 bytes")
    return value


Email = Annotated[str, AfterValidator(_email)]
DocumentId = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(_document_id)]
Domain = Annotated[str, AfterValidator(_domain)]
PersonName = Annotated[str, AfterValidator(_name)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class RoleSpec(Strict):
    """The role that opens the Customer Care Portal: the Reseller Admin system role or a custom role."""

    kind: Literal["reseller_admin", "custom"] = "reseller_admin"
    custom_role_name: str = DEFAULT_CUSTOM_ROLE


class ResellerAccount(Strict):
    """One reseller account = one Workspace customer, with its primary and secondary domains."""

    account_id: DocumentId
    customer_id: str = Field(pattern=r"^C[0-9a-zA-Z]{5,}$")
    admin_subject: Email
    domains: list[Domain] = Field(min_length=1)
    ou_path: str = DEFAULT_OU
    role: RoleSpec = RoleSpec()
    enabled: bool = True

    @field_validator("ou_path")
    @classmethod
    def _ou(cls, value: str) -> str:
        if not value.startswith("/") or value == "/" or value.endswith("/") or "//" in value:
            raise ValueError("an OU path such as /Customer Care Portal (not the root)")
        return value

    @model_validator(mode="after")
    def _subject_on_domain(self) -> ResellerAccount:
        if len(set(self.domains)) != len(self.domains):
            raise ValueError("domains: listed twice")
        if self.admin_subject.rsplit("@", 1)[1] not in self.domains:
            raise ValueError("admin_subject: must be a super admin on one of the account's domains")
        return self


class Person(Strict):
    """A roster entry: someone who needs Customer Care Portal access."""

    person_id: DocumentId
    given_name: PersonName
    family_name: PersonName
    workspace_email: Email
    username: str | None = None
    accounts: list[str] | None = None  # reseller account ids; None = all
    domains: list[Domain] | None = None  # None = every domain of those accounts
    active: bool = True
    locale: Literal["ja", "en"] = "en"
    #: per-domain username override, e.g. after a conflict with an unmanaged account
    username_overrides: dict[Domain, str] = Field(default_factory=dict)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        value = value.lower()
        if not USERNAME_RE.match(value):
            raise ValueError("letters, digits and . _ - ' only, starting and ending with a letter or digit")
        return value

    @field_validator("username_overrides")
    @classmethod
    def _overrides(cls, value: dict[str, str]) -> dict[str, str]:
        for domain, name in value.items():
            if not USERNAME_RE.match(name.lower()):
                raise ValueError(f"{domain}: not a valid username")
        return {d: n.lower() for d, n in value.items()}

    @property
    def default_username(self) -> str:
        return self.username or self.workspace_email.rsplit("@", 1)[0].lower()


class Settings(Strict):
    """Operator settings: safety thresholds, notification addresses, naming and role resolution."""

    guard_max_count: int = Field(default=5, ge=0)
    guard_max_percent: float = Field(default=20.0, ge=0, le=100)
    notify_recipients: list[Email] = Field(default_factory=list)
    #: the language of alert mails and the digest (onboarding mail follows each person's own locale)
    notify_locale: Literal["ja", "en"] = "en"
    sender: Email | None = None
    #: how the username of a portal account is formed; {username} is the person's username
    naming_template: str = "{username}"
    send_credentials: bool = True  # off for resellers whose users sign in by SSO
    reseller_admin_role_names: list[str] = Field(default_factory=lambda: ["_RESELLER_ADMIN_ROLE"])
    legacy_role_names: list[str] = Field(
        default_factory=lambda: ["_LEGACY_RESOLD_ENTERPRISE_SUPPORT_ROLE", "_LEGACY_ENTERPRISE_SUPPORT_ROLE"]
    )
    view_customers_privilege: str = "VIEW_CUSTOMERS"
    support_cases_privilege: str = "ACCESS_CUSTOMER_SUPPORT_CASES"
    paid_product_ids: list[str] = Field(default_factory=lambda: ["Google-Apps"])

    @field_validator("naming_template")
    @classmethod
    def _template(cls, value: str) -> str:
        if "{username}" not in value:
            raise ValueError("must contain {username}")
        try:
            value.format(username="x")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"only {{username}} may be used: {exc}") from exc
        return value


class DesiredAccount(Strict):
    """One Cloud Identity account portalsync wants: a person on one domain of one reseller account."""

    account_id: str
    person_id: str
    domain: str
    email: str
    given_name: str
    family_name: str
    recovery_email: str
    locale: Literal["ja", "en"]
    #: the person's own Workspace address is on this domain: that account only gets the role
    own_account: bool = False
    #: the username before the naming template, so a conflict can suggest an override for it
    username: str | None = None
