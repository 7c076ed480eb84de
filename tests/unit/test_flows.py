"""The flows on in-memory fakes of every port: at-least-once delivery, leases, alerts, digest, onboarding."""

from __future__ import annotations

from collections.abc import Collection
from typing import NoReturn

import pytest

from portalsync.actions import FindingKind
from portalsync.errors import AuthError, NotFoundError, PermanentError, RateLimitedError, TransientError
from portalsync.flow_ports import RunGroup
from portalsync.flows import FlowEvent, Flows, RetryLater
from portalsync.mail.delivery import MailError
from portalsync.mail.message import MailKind
from portalsync.model import Person, ResellerAccount
from portalsync.onboarding import Onboarding
from portalsync.ports import ValidationIssue
from portalsync.service import ROSTER_SCOPE
from tests.unit.builders import person
from tests.unit.fakes import FakeWorkspace
from tests.unit.fakes_flows import (
    FakeCredentialsDue,
    FakeEvents,
    FakeLeases,
    FakeMailer,
    FakePublisher,
    FakeRosterSource,
    FakeRunGroups,
    FakeRunHistory,
    FakeWelcomes,
)
from tests.unit.test_service import Days, World, roster

NOW = "2026-01-01T00:00:00Z"


class FlowWorld(World):
    """The service's world (two accounts, fake tenants, notifier) plus the flows' ports."""

    def __init__(self, people: list[Person] | None = None) -> None:
        super().__init__(roster() if people is None else people)
        self.tenants["acme"].add_user("anna@a.example", managed=False)  # her own account
        self.publisher = FakePublisher()
        self.leases = FakeLeases()
        self.events = FakeEvents()
        self.groups = FakeRunGroups()
        self.mailer = FakeMailer()
        self.due = FakeCredentialsDue()
        self.welcomes = FakeWelcomes()
        self.onboarding = Onboarding(
            self.service, self.outbox, self.mailer, self.due, self.welcomes, self.passwords
        )
        self.flows = Flows(
            self.service,
            self.publisher,
            self.leases,
            self.events,
            self.groups,
            self.alerts,
            FakeRunHistory(self.store.runs),
            self.notifier,
            self.onboarding,
        )


def event(event_id: str, published_at: str | None = NOW, **payload: object) -> FlowEvent:
    return FlowEvent(event_id, published_at, payload)


@pytest.mark.parametrize("error", [TransientError("backend error", 503), RateLimitedError("quota", 429)])
def test_a_transient_error_while_observing_is_retried_not_alerted(error: TransientError) -> None:
    world = FlowWorld()
    world.tenants["acme"].fail("observe", error)

    with pytest.raises(RetryLater):
        world.flows.sync_account(event("e1", account_id="acme", trigger="nightly"))

    assert world.alerts.alerts == {}
    assert world.alert_mails() == []
    assert not world.events.seen("e1")  # so the redelivery does the work
    assert world.leases.held == {}
    assert world.store.runs[-1].error  # the attempt is on record for `status`

    assert world.flows.sync_account(event("e1", account_id="acme", trigger="nightly")) == "synced"
    assert set(world.store.status_of("acme").values()) == {"provisioned"}
    assert world.alerts.alerts == {}


def test_cli_sync_all_reports_the_transient_failure_and_goes_on_with_the_others() -> None:
    world = World(roster())
    world.tenants["acme"].fail("observe", TransientError("backend error", 503))

    reports = world.service.sync_all("cli")

    assert [r.run.account_id for r in reports] == ["acme", "beta"]
    assert "TransientError: backend error" in (reports[0].run.error or "")
    assert reports[0].findings == []
    assert world.alerts.alerts == {}
    assert set(world.store.status_of("beta").values()) == {"provisioned"}
    world.tenants["acme"].fail("observe", TransientError("backend error", 503))
    with pytest.raises(TransientError):  # one account, as the function syncs it: raised for a retry
        world.service.sync_account("acme")


def test_a_duplicate_event_is_acked_without_work() -> None:
    world = FlowWorld()
    assert world.flows.sync_account(event("e1", account_id="acme")) == "synced"
    world.reset_calls()
    runs = len(world.store.runs)

    assert world.flows.sync_account(event("e1", account_id="acme")) == "duplicate"

    assert world.tenants["acme"].calls == []
    assert len(world.store.runs) == runs


def test_a_held_lease_raises_so_the_delivery_is_retried() -> None:
    world = FlowWorld()
    world.leases.held["account-acme"] = "another-delivery"

    with pytest.raises(RetryLater):
        world.flows.sync_account(event("e2", account_id="acme"))

    assert world.tenants["acme"].calls == []
    assert not world.events.seen("e2")
    assert world.leases.held == {"account-acme": "another-delivery"}  # not ours to release


def test_an_expired_event_is_acked_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    world = FlowWorld()
    old = event("e3", published_at="2025-12-31T00:00:00Z", account_id="acme")

    assert world.flows.sync_account(old) == "stale"

    assert world.tenants["acme"].calls == []
    assert any(r.getMessage() == "event too old, acked unprocessed" for r in caplog.records)


def test_a_permanent_failure_becomes_one_alert_and_an_ack() -> None:
    world = FlowWorld()
    world.tenants["acme"].fail("observe", *[AuthError("unauthorized_client", 401)] * 2)

    assert world.flows.sync_account(event("e4", account_id="acme")) == "synced"
    assert world.events.seen("e4")
    assert world.flows.sync_account(event("e5", account_id="acme")) == "synced"  # the next night

    [alert] = world.alerts.open_alerts()
    assert alert.kind is FindingKind.ACCOUNT_UNREACHABLE
    assert len(world.alert_mails()) == 1


def test_a_failure_before_the_run_could_report_is_alerted_by_the_flow() -> None:
    world = FlowWorld()

    def refused(account: ResellerAccount) -> FakeWorkspace:
        raise AuthError("invalid_grant: delegation refused", 401)

    world.service.workspaces = refused
    assert world.flows.sync_account(event("e6", account_id="acme")) == "synced"
    assert [a.kind for a in world.alerts.open_alerts()] == [FindingKind.ACCOUNT_UNREACHABLE]
    assert len(world.alert_mails()) == 1


def nightly_group(world: FlowWorld) -> str:
    assert world.flows.nightly(event("night-1")) == "published"
    group_ids = {str(p["group_id"]) for _, p in world.publisher.published}
    assert [p["account_id"] for _, p in world.publisher.published] == ["acme", "beta"]
    [group_id] = group_ids
    return group_id


def test_the_last_account_of_a_run_group_queues_one_digest() -> None:
    world = FlowWorld()
    group_id = nightly_group(world)

    world.flows.sync_account(event("a", account_id="acme", group_id=group_id))
    assert world.outbox.of_kind(MailKind.DIGEST) == []
    world.flows.sync_account(event("b", account_id="beta", group_id=group_id))
    world.flows.sync_account(event("b-again", account_id="beta", group_id=group_id))  # a second publish

    assert [m.message_id for m in world.outbox.of_kind(MailKind.DIGEST)] == [f"digest/{group_id}"]


def test_two_accounts_finishing_together_queue_one_digest() -> None:
    """Both see the group complete (each marked itself while the other was still running)."""
    world = FlowWorld()
    group_id = nightly_group(world)
    finish = world.groups.finish

    def together(group_id: str, account_id: str) -> RunGroup | None:
        for other in ("acme", "beta"):
            finish(group_id, other)
        return finish(group_id, account_id)

    world.groups.finish = together  # type: ignore[method-assign]
    world.flows.sync_account(event("a", account_id="acme", group_id=group_id))
    world.flows.sync_account(event("b", account_id="beta", group_id=group_id))

    assert len(world.outbox.of_kind(MailKind.DIGEST)) == 1
    assert len([m for m in world.mailer.sent if m.kind is MailKind.DIGEST]) == 1


def test_onboarding_mails_a_person_once_even_when_the_flow_is_redelivered() -> None:
    world = FlowWorld()
    world.flows.sync_account(event("n", account_id="acme"))
    world.store.people["new"] = person("new", "new@corp.example", "New", "Hire", accounts=["acme"])

    assert world.flows.onboard(event("o1"), "new") == "onboarded"
    world.events.done.clear()  # the ack was lost: Pub/Sub delivers the same message again
    assert world.flows.onboard(event("o1"), "new") == "onboarded"
    assert world.flows.roster_written(event("w1"), "new", active=True) == "onboarded"  # and a roster write

    welcome = [m for m in world.outbox.of_kind(MailKind.ONBOARDING) if m.to == ("new@corp.example",)]
    assert len(welcome) == 1
    assert len([m for m in world.mailer.sent if m.message_id == welcome[0].message_id]) == 1


def test_a_run_group_that_never_completes_gets_its_digest_from_the_next_nightly_run() -> None:
    world = FlowWorld()
    clock = Days()
    world.clock = world.notifier.clock = world.service.clock = clock
    group_id = nightly_group(world)
    world.flows.sync_account(event("a", account_id="acme", group_id=group_id))  # beta's message dead-letters

    assert world.flows.close_overdue_groups() == []  # the same night: too early to give up on beta
    assert world.outbox.of_kind(MailKind.DIGEST) == []

    clock.day = "2026-01-02"
    world.flows.nightly(event("night-2", published_at="2026-01-02T00:00:00Z"))
    [overdue] = world.outbox.of_kind(MailKind.DIGEST)
    assert overdue.message_id == f"digest/{group_id}"
    assert "Accounts that did not report (1)" in overdue.text
    assert "- beta" in overdue.text

    world.flows.nightly(event("night-3", published_at=None))  # closed once
    world.flows.sync_account(event("b", account_id="beta", group_id=group_id))  # late after all
    assert [m.message_id for m in world.outbox.of_kind(MailKind.DIGEST)] == [f"digest/{group_id}"]


def test_two_deliveries_of_one_message_at_once_sync_the_account_once() -> None:
    """The second delivery arrives while the first holds the lease: same event id, yet it must wait."""
    world = FlowWorld()
    acquire = world.leases.acquire
    second: list[str] = []

    def overlapping(name: str, holder: str, seconds: float) -> bool:
        took = acquire(name, holder, seconds)
        world.leases.acquire = acquire  # type: ignore[method-assign]
        with pytest.raises(RetryLater):
            second.append(world.flows.sync_account(event("m1", account_id="acme")))
        return took

    world.leases.acquire = overlapping  # type: ignore[method-assign]
    assert world.flows.sync_account(event("m1", account_id="acme")) == "synced"

    assert second == []
    assert len(world.store.runs) == 1
    assert world.leases.held == {}


def test_a_delivery_that_gets_the_lease_after_the_other_finished_does_no_work() -> None:
    """Both passed the first seen-check; the other delivery synced and released before this one's lease."""
    world = FlowWorld()
    acquire = world.leases.acquire

    def late(name: str, holder: str, seconds: float) -> bool:
        world.leases.acquire = acquire  # type: ignore[method-assign]
        assert world.flows.sync_account(event("m1", account_id="acme")) == "synced"
        return acquire(name, holder, seconds)

    world.leases.acquire = late  # type: ignore[method-assign]
    assert world.flows.sync_account(event("m1", account_id="acme")) == "duplicate"

    assert len(world.store.runs) == 1
    assert world.leases.held == {}


def onboarding_mails(world: FlowWorld, address: str) -> list[str]:
    return [m.text for m in world.outbox.of_kind(MailKind.ONBOARDING) if m.to == (address,)]


def test_a_nightly_run_welcomes_each_new_person_once_across_reseller_accounts() -> None:
    world = FlowWorld()
    group_id = nightly_group(world)
    world.flows.sync_account(event("a", account_id="acme", group_id=group_id, trigger="nightly"))
    assert world.outbox.of_kind(MailKind.ONBOARDING) == []  # the group is not done yet
    world.flows.sync_account(event("b", account_id="beta", group_id=group_id, trigger="nightly"))

    [yamada] = onboarding_mails(world, "taro@corp.example")  # on acme (two domains) and beta: one mail
    for domain in ("a.example", "a2.example", "b.example"):
        assert f"taro@{domain}" in yamada
    [anna] = onboarding_mails(world, "anna@a.example")  # her own account is in it too
    assert "anna@a.example" in anna
    assert "anna@b.example" in anna
    assert len(onboarding_mails(world, "bob@corp.example")) == 1
    assert len(world.outbox.of_kind(MailKind.ONBOARDING)) == 3

    # a role lost and given back, the next night: a repair, nobody is welcomed again
    acme = world.tenants["acme"]
    taro = acme.users["taro@a.example"].id
    for key in [k for k, a in acme.assignments.items() if a.user_id == taro]:
        del acme.assignments[key]
    world.publisher.published.clear()
    world.flows.nightly(event("night-2"))
    [group_2] = {str(p["group_id"]) for _, p in world.publisher.published}
    world.flows.sync_account(event("a2", account_id="acme", group_id=group_2, trigger="nightly"))
    world.flows.sync_account(event("b2", account_id="beta", group_id=group_2, trigger="nightly"))
    assert world.store.runs[-2].counts == {"AssignRole:done": 1}
    assert len(world.outbox.of_kind(MailKind.ONBOARDING)) == 3


def test_a_new_domain_later_is_welcomed_alone_and_a_reactivation_welcomes_again() -> None:
    world = FlowWorld()
    world.flows.sync_account(event("a", account_id="acme"))
    world.flows.sync_account(event("b", account_id="beta"))
    assert len(onboarding_mails(world, "bob@corp.example")) == 1
    bob = world.store.people["bob"]
    world.store.people["bob"] = bob.model_copy(update={"accounts": ["beta", "acme"]})

    world.flows.sync_account(event("a2", account_id="acme"))

    first, second = onboarding_mails(world, "bob@corp.example")
    assert "bob@b.example" in first
    assert "bob@b.example" not in second
    assert "bob@a.example" in second
    assert "bob@a2.example" in second

    world.tenants["beta"].users["bob@b.example"].suspended = True  # suspended by hand, then put right
    world.flows.sync_account(event("b2", account_id="beta"))
    assert world.store.runs[-1].counts == {"ReactivateUser:done": 1}
    assert len(onboarding_mails(world, "bob@corp.example")) == 3


def password_updates(world: FlowWorld, tenant: str = "acme") -> int:
    return world.tenants[tenant].calls.count("update_user")


def credential_mails(world: FlowWorld, address: str) -> list[str]:
    return [m.text for m in world.mailer.of_kind(MailKind.CREDENTIALS) if m.to == (address,)]


def new_hire(world: FlowWorld) -> None:
    world.store.people["new"] = person("new", "new@corp.example", "New", "Hire", accounts=["acme"])


def test_a_crash_between_creating_an_account_and_mailing_its_password_is_made_good_by_the_drain() -> None:
    world = FlowWorld()
    new_hire(world)
    world.service.onboard("new")  # the accounts are created, then the function dies before any mail

    assert set(world.due.due_list) == {"new@a.example", "new@a2.example"}  # addresses, no password
    assert world.flows.drain()["credentials"] == 2
    mails = credential_mails(world, "new@corp.example")
    assert len(mails) == 2
    assert world.passwords.made[-1] in mails[-1]  # a fresh password, set now and mailed now
    assert world.due.due_list == {}
    assert world.flows.onboard(event("o1"), "new") == "onboarded"  # the retry: welcomed, nothing resent
    assert len(credential_mails(world, "new@corp.example")) == 2
    assert len(world.outbox.of_kind(MailKind.ONBOARDING)) == 1


def test_a_failed_password_mail_is_retried_after_a_backoff_with_a_new_password() -> None:
    world = FlowWorld()
    new_hire(world)
    world.mailer.failures = [MailError("mailbox unavailable")] * 2

    world.flows.onboard(event("o1"), "new")

    assert credential_mails(world, "new@corp.example") == []
    assert set(world.due.errors) == {"new@a.example", "new@a2.example"}
    updates = password_updates(world)
    assert world.flows.drain()["credentials"] == 0  # still in its backoff: no password reset
    assert password_updates(world) == updates

    world.due.expire()
    assert world.flows.drain()["credentials"] == 2
    mails = credential_mails(world, "new@corp.example")
    assert len(mails) == 2
    first_try = world.passwords.made[-4:-2]
    assert not any(secret in text for secret in first_try for text in mails)  # new passwords, not resent
    assert world.due.due_list == {}


def test_two_drains_at_once_mail_one_password_per_account() -> None:
    world = FlowWorld()
    new_hire(world)
    world.service.onboard("new")
    claim = world.due.claim

    def racing(limit: int, emails: Collection[str] | None = None) -> list[tuple[str, str, str]]:
        mine = claim(limit)
        world.due.claim = claim  # type: ignore[method-assign]
        assert world.flows.drain()["credentials"] == 0  # the other drain finds them claimed
        return mine

    world.due.claim = racing  # type: ignore[method-assign]
    assert world.flows.drain()["credentials"] == 2
    assert len(credential_mails(world, "new@corp.example")) == 2


def test_without_a_mail_sender_no_password_is_reset() -> None:
    world = FlowWorld()
    world.mailer.configured = False
    new_hire(world)
    world.flows.onboard(event("o1"), "new")
    updates = password_updates(world)

    for _ in range(3):
        world.flows.drain()
        world.due.expire()

    assert password_updates(world) == updates
    assert set(world.due.due_list) == {"new@a.example", "new@a2.example"}  # mailed once a sender is set


def test_with_sso_no_password_is_set_or_mailed_and_the_welcome_still_goes_out() -> None:
    world = FlowWorld()
    world.store.settings = world.store.settings.model_copy(update={"send_credentials": False})
    new_hire(world)

    world.flows.onboard(event("o1"), "new")
    world.flows.drain()

    assert world.mailer.of_kind(MailKind.CREDENTIALS) == []
    assert world.due.due_list == {}
    assert password_updates(world) == 0
    assert len([m for m in world.mailer.sent if m.to == ("new@corp.example",)]) == 1  # the onboarding mail


def test_alert_and_digest_mails_follow_the_notify_locale_setting() -> None:
    world = FlowWorld()
    world.store.settings = world.store.settings.model_copy(update={"notify_locale": "ja"})
    world.tenants["acme"].fail("observe", AuthError("unauthorized_client", 401))
    group_id = nightly_group(world)
    world.flows.sync_account(event("a", account_id="acme", group_id=group_id))
    world.flows.sync_account(event("b", account_id="beta", group_id=group_id))

    [alert] = world.outbox.of_kind(MailKind.ALERT)
    [summary] = world.outbox.of_kind(MailKind.DIGEST)
    assert alert.locale == summary.locale == "ja"
    assert "販売パートナー アカウントに接続できません" in alert.subject
    assert summary.subject.startswith("[portalsync] 毎日のまとめ")


def test_a_mail_refused_for_good_opens_one_alert_with_the_console_steps() -> None:
    world = FlowWorld()
    world.store.settings = world.store.settings.model_copy(update={"send_credentials": False})
    new_hire(world)
    world.mailer.failures = [MailError("550 5.1.1 recipient refused", permanent=True)]

    world.flows.onboard(event("o1"), "new")  # its onboarding mail is refused while the flow drains

    [alert] = world.alerts.open_alerts()
    assert alert.kind is FindingKind.MAIL_UNDELIVERABLE
    assert "new@corp.example" in alert.detail
    assert "550 5.1.1 recipient refused" in alert.detail
    assert "PORTALSYNC_MAIL_SENDER" in (alert.fix or {})["en"]
    assert len(world.alert_mails()) == 1
    world.flows.drain()
    assert [m.kind for m in world.mailer.sent] == [MailKind.ALERT]  # to ops; the refused one is not retried

    world.mailer.failures = [MailError("550 5.1.1 recipient refused", permanent=True)]
    world.store.people["new2"] = person("new2", "new2@corp.example", "Second", "Hire", accounts=["acme"])
    world.flows.onboard(event("o2"), "new2")
    assert len(world.alerts.open_alerts()) == 1  # the same condition: bumped, not mailed again
    assert len(world.alert_mails()) == 1


def test_onboarding_waits_for_an_account_being_synced() -> None:
    world = FlowWorld()
    new_hire(world)
    world.leases.held["account-acme"] = "nightly-delivery"  # the nightly sync of acme is running

    with pytest.raises(RetryLater):
        world.flows.roster_written(event("w1"), "new", active=True)

    assert world.tenants["acme"].calls == []
    assert not world.events.seen("w1")
    assert world.leases.held == {"account-acme": "nightly-delivery"}
    del world.leases.held["account-acme"]
    assert world.flows.roster_written(event("w1"), "new", active=True) == "onboarded"
    assert world.leases.held == {}


def test_onboarding_a_person_on_two_accounts_releases_the_first_lease_when_the_second_is_busy() -> None:
    world = FlowWorld()
    world.leases.held["account-beta"] = "nightly-delivery"

    with pytest.raises(RetryLater):
        world.flows.onboard(event("o1"), "yamada")  # on acme and beta

    assert world.leases.held == {"account-beta": "nightly-delivery"}
    assert all(t.calls == [] for t in world.tenants.values())


def test_a_permanent_failure_while_onboarding_is_alerted_and_acked() -> None:
    world = FlowWorld()
    new_hire(world)

    def refused(account: ResellerAccount) -> FakeWorkspace:
        raise AuthError("invalid_grant: delegation refused", 401)

    world.service.workspaces = refused
    assert world.flows.onboard(event("o1"), "new") == "failed"

    assert world.events.seen("o1")
    assert [a.kind for a in world.alerts.open_alerts()] == [FindingKind.ACCOUNT_UNREACHABLE]
    assert world.leases.held == {}


def test_status_counts_records_without_reading_them() -> None:
    world = FlowWorld()
    world.flows.sync_account(event("a", account_id="acme"))

    def no_reads(account_id: str) -> NoReturn:
        raise AssertionError("status must not read every record")

    world.store.load_records = no_reads  # type: ignore[method-assign]
    report = world.flows.status()
    assert report["states"] == {"provisioned": 4}
    assert report["accounts"]["acme"]["states"] == {"provisioned": 4}


def test_the_system_clock_orders_two_instants_within_one_second() -> None:
    """Run starts and alert times are compared as strings: a second run moments later must sort after."""
    import time

    from portalsync.bootstrap import SystemClock

    clock = SystemClock()
    first = clock.now_iso()
    time.sleep(0.002)
    assert first < clock.now_iso()


# --- the nightly roster refresh -----------------------------------------------------------------------


def run_night(world: FlowWorld, night: str) -> None:
    """One nightly run: the fan-out, then every account it published, as Pub/Sub would deliver them."""
    world.publisher.published.clear()
    assert world.flows.nightly(event(night)) == "published"
    for n, (_, payload) in enumerate(world.publisher.published):
        world.flows.sync_account(FlowEvent(f"{night}-{n}", NOW, payload))


def inactive(world: FlowWorld) -> list[str]:
    return sorted(p.person_id for p in world.store.people.values() if not p.active)


def roster_alerts(world: FlowWorld) -> list[FindingKind]:
    return sorted(a.kind for a in world.alerts.open_alerts(ROSTER_SCOPE))


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("Not Authorized to access this resource/api", 403),
        NotFoundError("Requested entity was not found.", 404),
    ],
)
def test_an_unreadable_roster_source_is_one_alert_and_the_accounts_still_sync(error: Exception) -> None:
    world = FlowWorld()
    world.flows.roster_source = source = FakeRosterSource(error=error)

    run_night(world, "night-1")
    run_night(world, "night-2")  # still unreadable: the same alert, bumped, mailed once

    [alert] = world.alerts.open_alerts(ROSTER_SCOPE)
    assert alert.kind is FindingKind.ROSTER_SOURCE_UNREADABLE
    assert "group portal-staff@a.example" in alert.detail
    assert str(error) in alert.detail
    assert "--for roster-group" in (alert.fix or {})["en"]
    assert "--for roster-sheet" in (alert.fix or {})["ja"]
    assert len(world.alert_mails()) == 1
    assert inactive(world) == []  # an unreadable source deactivates nobody
    assert set(world.store.status_of("acme").values()) == {"provisioned"}  # synced from the stored roster
    assert set(world.store.status_of("beta").values()) == {"provisioned"}

    source.error, source.people = None, roster()
    run_night(world, "night-3")
    assert roster_alerts(world) == []
    assert world.alerts.alerts[alert.key].status.value == "resolved"
    assert source.loads == 3


def test_leavers_held_back_by_invalid_rows_are_an_alert_until_a_clean_import() -> None:
    world = FlowWorld()
    bad_row = ValidationIssue("sheet roster-1 row 4", "workspace_email", "not an e-mail address")
    world.flows.roster_source = source = FakeRosterSource(roster()[:2], [bad_row])  # bob left, or is on row 4

    run_night(world, "night-1")

    assert inactive(world) == []
    [alert] = world.alerts.open_alerts(ROSTER_SCOPE)
    assert alert.kind is FindingKind.ROSTER_LEAVERS_BLOCKED
    assert alert.detail.startswith("1 person missing from the roster's valid entries was not deactivated")
    assert "sheet roster-1 row 4" in alert.detail
    assert "Left active: bob." in alert.detail
    assert len(world.alert_mails()) == 1

    source.error = PermanentError("The caller does not have permission", 403)
    run_night(world, "night-2")  # a night that could not read the source proves nothing about the rows
    assert roster_alerts(world) == [
        FindingKind.ROSTER_LEAVERS_BLOCKED,
        FindingKind.ROSTER_SOURCE_UNREADABLE,
    ]

    source.error, source.issues = None, []
    run_night(world, "night-3")
    assert inactive(world) == ["bob"]
    assert roster_alerts(world) == []
    assert len(world.alert_mails()) == 2


def test_a_group_member_outside_the_customer_is_a_warning_and_leavers_are_deactivated() -> None:
    world = FlowWorld()
    outside = ValidationIssue(
        "group portal-staff@a.example member friend@gmail.example",
        "email",
        "not a user of this Workspace account: skipped",
        warning=True,
    )
    world.flows.roster_source = FakeRosterSource(roster()[:2], [outside])

    run_night(world, "night-1")

    assert inactive(world) == ["bob"]
    assert world.store.issues == [outside]  # still reported
    assert roster_alerts(world) == []
    assert world.alert_mails() == []


# --- how often the desired state is read --------------------------------------------------------------


def test_onboarding_one_person_reads_the_desired_state_once() -> None:
    world = FlowWorld()
    world.flows.sync_account(event("n", account_id="acme"))
    world.store.people["new"] = person("new", "new@corp.example", "New", "Hire", accounts=["acme", "beta"])
    world.store.reads.clear()

    assert world.flows.onboard(event("o1"), "new") == "onboarded"

    assert len(onboarding_mails(world, "new@corp.example")) == 1
    assert len(credential_mails(world, "new@corp.example")) == 3  # the credentials step ran too
    assert world.store.reads["desired"] == 1  # found, synced, welcomed and mailed from one read


def test_a_nightly_run_reads_the_desired_state_once_per_function_invocation() -> None:
    """The fan-out reads it once (the roster import's read: an import changes no account); each account's
    sync reads it once, fresh, since it runs later in another invocation; the welcomes and the digest of the
    group's last account use that run's read."""
    world = FlowWorld()
    world.flows.roster_source = FakeRosterSource(people=roster())

    world.publisher.published.clear()
    assert world.flows.nightly(event("night-1")) == "published"
    assert world.store.reads["desired"] == 1
    for n, (_, payload) in enumerate(world.publisher.published):
        world.store.reads.clear()
        world.flows.sync_account(FlowEvent(f"night-1-{n}", NOW, payload))
        assert world.store.reads["desired"] == 1

    assert len(onboarding_mails(world, "taro@corp.example")) == 1  # the group's welcomes went out
