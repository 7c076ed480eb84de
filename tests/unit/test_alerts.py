"""Alert lifecycle with plain data: open once, count on repeat, resolve when cleared, only within scope."""

from __future__ import annotations

from dataclasses import replace

from portalsync.actions import Finding, FindingKind
from portalsync.alerts import (
    SEVERITY,
    Alert,
    AlertStatus,
    Locale,
    Scope,
    Severity,
    digest,
    no_remedy,
    reconcile_alerts,
)
from portalsync.mail.compose import TITLES

T1, T2, T3 = "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"
CAP = Finding(FindingKind.CI_FREE_CAP_REACHED, "acct-x", "50 of 50 in use", domain="x.example")
CONFLICT = Finding(FindingKind.ACCOUNT_CONFLICT, "acct-x", "taken", domain="x.example", person_id="p1")
OTHER = Finding(FindingKind.CI_FREE_CAP_REACHED, "acct-y", "cap", domain="y.example")
SCOPE_X = [Scope("acct-x")]


def run(findings: list[Finding], open_alerts: list[Alert], now: str, scopes: list[Scope] = SCOPE_X) -> Alert:
    changes = reconcile_alerts(findings, open_alerts, scopes, now, no_remedy)
    (alert,) = changes.to_write
    return alert


def test_a_new_finding_opens_one_alert_with_its_severity() -> None:
    changes = reconcile_alerts([CAP, CAP], [], SCOPE_X, T1)
    assert [a.key for a in changes.opened] == ["ci_free_cap_reached/acct-x/x.example"]
    alert = changes.opened[0]
    assert (alert.count, alert.first_seen, alert.last_seen) == (1, T1, T1)
    assert alert.severity is Severity.CRITICAL
    assert alert.status is AlertStatus.OPEN
    assert not changes.updated
    assert not changes.resolved


def test_a_repeat_bumps_count_and_last_seen_and_opens_nothing() -> None:
    first = run([CAP], [], T1)
    changes = reconcile_alerts([CAP], [first], SCOPE_X, T2)
    assert changes.opened == ()
    (again,) = changes.updated
    assert (again.count, again.first_seen, again.last_seen) == (2, T1, T2)


def test_a_cleared_condition_resolves() -> None:
    first = run([CAP], [], T1)
    resolved = run([], [first], T2)
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.resolved_at == T2


def test_a_run_for_one_account_does_not_resolve_another_accounts_alerts() -> None:
    other = run([OTHER], [], T1, [Scope("acct-y")])
    changes = reconcile_alerts([], [other], SCOPE_X, T2)
    assert changes.to_write == ()


def test_an_onboarding_run_resolves_only_its_persons_alerts() -> None:
    cap = run([CAP], [], T1)
    conflict = run([CONFLICT], [], T1)
    changes = reconcile_alerts([], [cap, conflict], [Scope("acct-x", person_id="p1")], T2)
    assert [a.key for a in changes.resolved] == [conflict.key]


def test_an_unreachable_account_resolves_nothing() -> None:
    cap = run([CAP], [], T1)
    unreachable = Finding(FindingKind.ACCOUNT_UNREACHABLE, "acct-x", "unauthorized_client")
    changes = reconcile_alerts([unreachable], [cap], SCOPE_X, T2)
    assert [a.kind for a in changes.opened] == [FindingKind.ACCOUNT_UNREACHABLE]
    assert changes.resolved == ()


def test_an_unreadable_roster_source_resolves_no_roster_alert() -> None:
    scope = [Scope("roster")]
    blocked = Finding(FindingKind.ROSTER_LEAVERS_BLOCKED, "roster", "1 person missing ...")
    open_alert = run([blocked], [], T1, scope)
    unreadable = Finding(FindingKind.ROSTER_SOURCE_UNREADABLE, "roster", "group x: PermanentError: 403")
    changes = reconcile_alerts([unreadable], [open_alert], scope, T2)
    assert [a.kind for a in changes.opened] == [FindingKind.ROSTER_SOURCE_UNREADABLE]
    assert changes.resolved == ()
    assert [a.kind for a in reconcile_alerts([], changes.opened, scope, T3).resolved] == [
        FindingKind.ROSTER_SOURCE_UNREADABLE
    ]


def test_a_recurrence_after_resolution_opens_again() -> None:
    first = run([CAP], [], T1)
    resolved = run([], [first], T2)
    changes = reconcile_alerts([CAP], [resolved], SCOPE_X, T3)
    assert [(a.first_seen, a.count) for a in changes.opened] == [(T3, 1)]


def test_the_fix_comes_from_the_remedy_lookup_and_a_missing_one_is_tolerated() -> None:
    def remedy(finding: Finding, locale: Locale) -> str | None:
        if finding.kind is FindingKind.ACCOUNT_CONFLICT:
            raise KeyError(finding.kind)
        return f"{locale}: Billing > Cloud Identity Free"

    changes = reconcile_alerts([CAP, CONFLICT], [], SCOPE_X, T1, remedy)
    fixes = {a.kind: a.fix for a in changes.opened}
    assert fixes[FindingKind.CI_FREE_CAP_REACHED] == {
        "en": "en: Billing > Cloud Identity Free",
        "ja": "ja: Billing > Cloud Identity Free",
    }
    assert fixes[FindingKind.ACCOUNT_CONFLICT] is None


def test_by_default_the_fix_is_the_console_steps_in_both_languages() -> None:
    (alert,) = reconcile_alerts([CAP], [], SCOPE_X, T1).opened
    assert alert.fix is not None
    assert alert.fix["en"].startswith("1. ")
    assert alert.fix["ja"].startswith("1. ")
    assert alert.fix["en"] != alert.fix["ja"]


def test_every_kind_has_a_severity_and_a_title() -> None:
    assert set(SEVERITY) == set(FindingKind)
    assert set(TITLES) == set(FindingKind)


def test_alerts_round_trip_through_a_document() -> None:
    alert = run([CONFLICT], [], T1)
    assert Alert.from_dict(alert.to_dict()) == alert


def test_the_digest_splits_new_still_open_and_resolved() -> None:
    old = run([CAP], [], T1)
    gone = run([], [run([OTHER], [], T1, [Scope("acct-y")])], T2, [Scope("acct-y")])
    fresh = run([CONFLICT], [], T3)
    summary = digest([old, gone, fresh], since=T2)
    assert [a.key for a in summary.new] == [fresh.key]
    assert [a.key for a in summary.still_open] == [old.key]
    assert [a.key for a in summary.resolved] == [gone.key]
    assert digest([old], since=T2).is_empty is False
    assert digest([], since=T2).is_empty


def test_a_repeat_the_same_day_is_bumped_in_memory_but_not_written_until_the_next_day() -> None:
    first = run([CAP], [], T1)
    same_day = reconcile_alerts([CAP], [first], SCOPE_X, "2025-01-01T06:00:00Z", no_remedy)
    assert len(same_day.updated) == 1
    assert same_day.to_write == ()  # a no-op sync writes nothing
    changed = replace(CAP, detail="49 of 50 in use")
    assert [a.detail for a in reconcile_alerts([changed], [first], SCOPE_X, T1, no_remedy).to_write] == [
        "49 of 50 in use"
    ]
    (next_day,) = reconcile_alerts([CAP], [first], SCOPE_X, T2, no_remedy).to_write
    assert (next_day.count, next_day.last_seen) == (2, T2)
