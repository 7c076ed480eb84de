"""The `portalsync` command on fakes, built by the functions' own builder (`bootstrap.build_onboarding`)."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from portalsync import bootstrap
from portalsync.cli import app
from portalsync.mail.message import MailKind
from tests.unit.fakes_flows import FakeCredentialsDue, FakeMailer, FakeWelcomes
from tests.unit.test_service import World, roster


class CliWorld(World):
    def __init__(self, mailer: FakeMailer) -> None:
        super().__init__(roster()[:1])  # yamada: acme (two domains) and beta
        self.mailer, self.due, self.welcomes = mailer, FakeCredentialsDue(), FakeWelcomes()

    def build(self, *args: Any, **kwargs: Any) -> Any:
        return REAL_BUILDER(
            store=self.store,
            workspaces=lambda a: self.tenants[a.account_id],
            clock=self.clock,
            passwords=self.passwords,
            findings=self.notifier,
            outbox=self.outbox,
            due=self.due,
            welcomes=self.welcomes,
            mail=self.mailer,
        )


REAL_BUILDER = bootstrap.build_onboarding


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _cli(world: CliWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bootstrap, "build_onboarding", world.build)


def test_apply_with_a_sender_mails_credentials_and_the_welcome_at_the_end(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = CliWorld(FakeMailer())
    _cli(world, monkeypatch)

    result = runner.invoke(app, ["apply"])

    assert result.exit_code == 0, result.output
    passwords = world.mailer.of_kind(MailKind.CREDENTIALS)
    assert [m.to for m in passwords] == [("taro@corp.example",)] * 3  # one per account created
    [welcome] = world.mailer.of_kind(MailKind.ONBOARDING)  # one mail listing all three accounts
    assert welcome.to == ("taro@corp.example",)
    assert world.due.due_list == {}
    assert "mail: " in result.output
    for password in world.passwords.made:
        assert password not in result.output


def test_apply_without_a_sender_leaves_them_due_and_says_who_sends_them(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = CliWorld(FakeMailer(configured=False))
    _cli(world, monkeypatch)

    result = runner.invoke(app, ["apply", "--account", "acme"])

    assert result.exit_code == 0, result.output
    assert sorted(world.due.due_list) == ["taro@a.example", "taro@a2.example"]
    assert [m.kind for m in world.outbox.of_kind(MailKind.ONBOARDING)] == [MailKind.ONBOARDING]
    assert world.mailer.sent == []
    said = " ".join(result.output.split())
    assert "2 first-sign-in password mail(s) due" in said
    assert "drain_outbox" in said

    world.mailer.configured = True
    result = runner.invoke(app, ["drain"])
    assert result.exit_code == 0, result.output
    assert len(world.mailer.of_kind(MailKind.CREDENTIALS)) == 2
    assert len(world.mailer.of_kind(MailKind.ONBOARDING)) == 1
    assert world.due.due_list == {}
