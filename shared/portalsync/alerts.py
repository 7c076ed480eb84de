"""Findings become alerts: one per dedup key, opened once, counted while it lasts, resolved when it clears.

Pure: the service passes in a run's findings, the alerts currently open and the scope the run covered, and
stores what comes back. Keeping the lifecycle here is what makes "one alert mail per condition, not one per
retry" and "a run for account X resolves only X's alerts" testable with plain data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Literal

from portalsync import remedies
from portalsync.actions import Finding, FindingKind

Locale = Literal["ja", "en"]
LOCALES: tuple[Locale, ...] = ("en", "ja")


class Severity(StrEnum):
    CRITICAL = "critical"  # nobody new gets portal access until an admin acts
    WARNING = "warning"  # one person or domain is affected, or money is being spent
    INFO = "info"


class AlertStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


SEVERITY: Mapping[FindingKind, Severity] = {
    FindingKind.CI_FREE_NOT_SUBSCRIBED: Severity.CRITICAL,
    FindingKind.CI_FREE_CAP_REACHED: Severity.CRITICAL,
    FindingKind.ROLE_UNRESOLVABLE: Severity.CRITICAL,
    FindingKind.PRIVILEGES_UNRESOLVABLE: Severity.CRITICAL,
    FindingKind.ACCOUNT_UNREACHABLE: Severity.CRITICAL,
    FindingKind.ROSTER_SOURCE_UNREADABLE: Severity.CRITICAL,
    FindingKind.REMOVAL_GUARD: Severity.WARNING,
    FindingKind.PAID_LICENSE_ASSIGNED: Severity.WARNING,
    FindingKind.CI_FREE_MISSING: Severity.WARNING,
    FindingKind.ACCOUNT_CONFLICT: Severity.WARNING,
    FindingKind.ACTION_FAILED: Severity.WARNING,
    FindingKind.MAIL_UNDELIVERABLE: Severity.WARNING,
    FindingKind.ROSTER_LEAVERS_BLOCKED: Severity.WARNING,
    FindingKind.INVALID_INPUT: Severity.INFO,
}

#: A run that reports one of these could not read what it checks, so the absence of its other alerts
#: proves nothing and resolves none of them.
BLIND: frozenset[FindingKind] = frozenset(
    {FindingKind.ACCOUNT_UNREACHABLE, FindingKind.ROSTER_SOURCE_UNREADABLE}
)

#: The fix in words for a finding, per locale; None when there are no console steps to give.
RemedyText = Callable[[Finding, Locale], str | None]


def no_remedy(finding: Finding, locale: Locale) -> str | None:
    return None


def console_steps(finding: Finding, locale: Locale) -> str | None:
    """The numbered Admin console steps remedies.py has for the finding's kind."""
    return remedies.remedy(finding.kind, locale) or None


@dataclass(frozen=True)
class Alert:
    key: str
    kind: FindingKind
    account_id: str
    severity: Severity
    detail: str
    first_seen: str
    last_seen: str
    count: int  # runs that reported it
    status: AlertStatus = AlertStatus.OPEN
    domain: str | None = None
    person_id: str | None = None
    email: str | None = None
    suggestion: str | None = None
    fix: Mapping[str, str] | None = None  # locale -> console steps in words
    resolved_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            **vars(self),
            "kind": self.kind.value,
            "severity": self.severity.value,
            "status": self.status.value,
            "fix": dict(self.fix) if self.fix else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Alert:
        fields = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(
            **{
                **fields,
                "kind": FindingKind(data["kind"]),
                "severity": Severity(data["severity"]),
                "status": AlertStatus(data["status"]),
            }
        )


@dataclass(frozen=True)
class Scope:
    """What a run looked at: one account, or (onboarding) one person within it."""

    account_id: str
    person_id: str | None = None

    def covers(self, alert: Alert) -> bool:
        if alert.account_id != self.account_id:
            return False
        return self.person_id is None or alert.person_id == self.person_id


@dataclass(frozen=True)
class AlertChanges:
    opened: tuple[Alert, ...] = ()  # one alert mail each
    updated: tuple[Alert, ...] = ()  # still present: count and last_seen moved on
    resolved: tuple[Alert, ...] = ()
    #: the updated alerts worth rewriting: what they say changed, or the first sighting of a (UTC) day
    bumped: tuple[Alert, ...] = ()

    @property
    def to_write(self) -> tuple[Alert, ...]:
        """What the notifier writes: a no-op run's unchanged bumps wait for the next day."""
        return self.opened + self.bumped + self.resolved


def _fix(finding: Finding, remedy: RemedyText) -> dict[str, str] | None:
    texts: dict[str, str] = {}
    for locale in LOCALES:
        try:
            text = remedy(finding, locale)
        except (KeyError, LookupError, ValueError):
            text = None  # a kind without steps yet must not stop the alert itself
        if text:
            texts[locale] = text
    return texts or None


def _new(finding: Finding, now: str, remedy: RemedyText) -> Alert:
    return Alert(
        key=finding.dedup_key,
        kind=finding.kind,
        account_id=finding.account_id,
        severity=SEVERITY.get(finding.kind, Severity.WARNING),
        detail=finding.detail,
        first_seen=now,
        last_seen=now,
        count=1,
        domain=finding.domain,
        person_id=finding.person_id,
        email=finding.email,
        suggestion=finding.suggestion,
        fix=_fix(finding, remedy),
    )


def reconcile_alerts(
    findings: Iterable[Finding],
    open_alerts: Iterable[Alert],
    scopes: Sequence[Scope],
    now: str,
    remedy: RemedyText = console_steps,
) -> AlertChanges:
    """Open, bump or resolve alerts for one run.

    An open alert missing from this run's findings is resolved only if one of `scopes` covers it, and not
    when the run could not reach its account or read its roster source (absence there proves nothing).
    """
    latest: dict[str, Finding] = {}
    for finding in findings:
        latest[finding.dedup_key] = finding  # several findings with one key in a run count once
    blind = {f.account_id for f in latest.values() if f.kind in BLIND}
    current = {alert.key: alert for alert in open_alerts if alert.status is AlertStatus.OPEN}
    opened: list[Alert] = []
    updated: list[Alert] = []
    resolved: list[Alert] = []
    bumped: list[Alert] = []
    for key, finding in latest.items():
        alert = current.get(key)
        if alert is None:
            opened.append(_new(finding, now, remedy))
        else:
            seen = replace(
                alert,
                last_seen=now,
                count=alert.count + 1,
                detail=finding.detail,
                email=finding.email or alert.email,
                suggestion=finding.suggestion,
            )
            updated.append(seen)
            if _worth_writing(alert, seen, now):
                bumped.append(seen)
    for key, alert in current.items():
        if key in latest or alert.account_id in blind:
            continue
        if any(scope.covers(alert) for scope in scopes):
            resolved.append(replace(alert, status=AlertStatus.RESOLVED, resolved_at=now))
    return AlertChanges(tuple(opened), tuple(updated), tuple(resolved), tuple(bumped))


def _worth_writing(stored: Alert, seen: Alert, now: str) -> bool:
    """A still-open alert is rewritten when what it says changed, or once on a new (UTC) day."""
    same = (stored.detail, stored.email, stored.suggestion) == (seen.detail, seen.email, seen.suggestion)
    return not same or stored.last_seen[:10] != now[:10]


@dataclass(frozen=True)
class Digest:
    """The nightly summary: what appeared, what is still open, what cleared since the last digest."""

    since: str
    new: tuple[Alert, ...]
    still_open: tuple[Alert, ...]
    resolved: tuple[Alert, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.new or self.still_open or self.resolved)


def _order(alert: Alert) -> tuple[int, str, str]:
    rank = list(Severity).index(alert.severity)
    return rank, alert.account_id, alert.key


def digest(alerts: Iterable[Alert], since: str) -> Digest:
    """Split alerts (open, and those resolved recently) by what changed after `since` (ISO 8601, UTC)."""
    new: list[Alert] = []
    still_open: list[Alert] = []
    resolved: list[Alert] = []
    for alert in alerts:
        if alert.status is AlertStatus.OPEN:
            (new if alert.first_seen >= since else still_open).append(alert)
        elif alert.resolved_at is not None and alert.resolved_at >= since:
            resolved.append(alert)
    return Digest(
        since,
        tuple(sorted(new, key=_order)),
        tuple(sorted(still_open, key=_order)),
        tuple(sorted(resolved, key=_order)),
    )
