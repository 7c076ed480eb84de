"""The flows on in-memory fakes of every port: at-least-once delivery, leases, alerts, digest, onboarding."""

from __future__ import annotations

import pytest

from portalsync.errors import RateLimitedError, TransientError
from portalsync.flows import FlowEvent, Flows, RetryLater
from portalsync.model import Person
from portalsync.onboarding import Onboarding
from tests.unit.fakes_flows import (
    FakeCredentialsDue,
    FakeEvents,
    FakeLeases,
    FakeMailer,
    FakePublisher,
    FakeRunGroups,
    FakeRunHistory,
)
from tests.unit.test_service import World, roster

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
        self.onboarding = Onboarding(self.service, self.outbox, self.mailer, self.due, self.passwords)
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
