"""Who mail goes out as: `settings/global` `sender` when set, else PORTALSYNC_MAIL_SENDER; its delegated
credential (gmail.send, in the sender's own tenant) is built when mailing, not at start-up."""

from __future__ import annotations

from typing import Any

import pytest

from portalsync import bootstrap, scopes
from portalsync.adapters import auth
from portalsync.adapters.gmail_mailer import GmailMailer
from portalsync.mail.delivery import MailError
from portalsync.mail.message import MailKind, MailMessage
from portalsync.model import Settings
from tests.support.google_clients import bearer

ENV = {"PORTALSYNC_MAIL_SENDER": "env-sender@main.example", "PORTALSYNC_MAIL_TRANSPORT": "gmail"}


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    seen: dict[str, list[Any]] = {"credentials": [], "sent_as": []}

    def credentials(config: Any, subject: str, scope: Any = (), source: Any = None) -> Any:
        seen["credentials"].append((subject, tuple(scope)))
        return bearer("t")

    def send(self: GmailMailer, message: MailMessage) -> str:
        seen["sent_as"].append(self.sender)
        return "id"

    monkeypatch.setattr(auth, "delegated_credentials", credentials)
    monkeypatch.setattr(GmailMailer, "send", send)
    return seen


def _message() -> MailMessage:
    return MailMessage("m1", MailKind.ALERT, ("ops@corp.example",), "subject", "text", "<p>html</p>")


def _mailer(settings: Settings, env: dict[str, str] = ENV) -> Any:
    config = bootstrap.Config(workspace_endpoint="http://127.0.0.1:9/", auth=auth.AuthConfig(mode="emulator"))
    return bootstrap.mailer(config, bootstrap.GoogleWorkspaces(config), env, settings=lambda: settings)


def test_settings_sender_wins_and_its_credential_is_built_when_mailing(world: dict[str, list[Any]]) -> None:
    mailer = _mailer(Settings(sender="Notices@Reseller.example"))
    assert world["credentials"] == []  # nothing delegated at start-up

    assert mailer.configured
    mailer.send(_message())
    mailer.send(_message())

    assert world["sent_as"] == ["Notices@reseller.example"] * 2
    assert world["credentials"] == [("Notices@reseller.example", scopes.MAIL_SENDER)]  # once per sender


def test_without_a_settings_sender_the_environment_is_used(world: dict[str, list[Any]]) -> None:
    _mailer(Settings()).send(_message())
    assert world["sent_as"] == ["env-sender@main.example"]
    assert world["credentials"] == [("env-sender@main.example", scopes.MAIL_SENDER)]


def test_a_sender_in_settings_alone_is_enough(world: dict[str, list[Any]]) -> None:
    assert not _mailer(Settings(), env={}).configured
    with pytest.raises(MailError):
        _mailer(Settings(), env={}).send(_message())
    mailer = _mailer(Settings(sender="notices@reseller.example"), env={})
    assert mailer.configured
    mailer.send(_message())
    assert world["sent_as"] == ["notices@reseller.example"]


def test_a_drain_of_fifty_messages_reads_the_settings_once(world: dict[str, list[Any]]) -> None:
    from portalsync.onboarding import Onboarding
    from tests.unit.fakes_flows import FakeCredentialsDue, FakeOutbox, FakeWelcomes
    from tests.unit.test_service import World, roster

    service_world = World(roster())
    reads = service_world.store.reads
    sender = _mailer(Settings(sender="notices@reseller.example"))
    sender.settings = service_world.store.load_settings  # what build_onboarding wires in
    outbox = FakeOutbox()
    outbox.enqueue(
        [MailMessage(f"m{n}", MailKind.ALERT, ("ops@corp.example",), "s", "t", "<p/>") for n in range(50)]
    )
    onboarding = Onboarding(service_world.service, outbox, sender, FakeCredentialsDue(), FakeWelcomes())
    reads.clear()

    assert onboarding.drain(limit=50)["sent"] == 50
    assert reads["settings"] == 1
    assert reads["desired"] == 0
