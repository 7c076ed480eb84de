"""The delegation scopes per tenant role: minimal, what the code requests, printable for the Admin console."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from portalsync import flow_bootstrap, scopes
from portalsync.adapters import auth
from portalsync.bootstrap import Config, GoogleWorkspaces, SenderMailer
from tests.support.google_clients import bearer
from tests.unit.builders import account

DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


@pytest.fixture
def requested(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """(subject, scopes) of every delegated credential the composition roots build, defaults included."""
    calls: list[tuple[str, tuple[str, ...]]] = []
    signature = inspect.signature(auth.delegated_credentials)

    def record(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        calls.append((bound.arguments["subject"], tuple(bound.arguments["scopes"])))
        return bearer("recorded")

    monkeypatch.setattr(auth, "delegated_credentials", record)
    return calls


def _config() -> Config:
    return Config(workspace_endpoint="http://127.0.0.1:9/", auth=auth.AuthConfig(mode="emulator"))


def _scopes_for(role: str, requested: list[tuple[str, tuple[str, ...]]]) -> tuple[str, ...]:
    """Build the adapter of one role the way the functions do, and return the scopes it asked for."""
    config = _config()
    workspaces = GoogleWorkspaces(config)
    if role == "workspace":
        workspaces(account(admin_subject="admin@a.example"))
    elif role == "sender":
        env = {"PORTALSYNC_MAIL_SENDER": "notices@main.example", "PORTALSYNC_MAIL_TRANSPORT": "gmail"}
        mail = flow_bootstrap.mailer(config, workspaces, env)
        assert isinstance(mail, SenderMailer)
        mail.mailer_for(mail.sender())  # the credential is made for the first mail
    else:
        source = {"roster-group": "PORTALSYNC_ROSTER_GROUP", "roster-sheet": "PORTALSYNC_ROSTER_SHEET"}[role]
        env = {source: "staff@main.example", "PORTALSYNC_ROSTER_SUBJECT": "reader@main.example"}
        flow_bootstrap.roster_source(config, workspaces, env)
    [(_, wanted)] = requested
    return wanted


@pytest.mark.parametrize("role", ["workspace", "sender", "roster-group", "roster-sheet"])
def test_each_role_lists_exactly_what_its_adapter_requests(
    role: str, requested: list[tuple[str, tuple[str, ...]]]
) -> None:
    assert _scopes_for(role, requested) == scopes.BY_ROLE[role]


def test_roles_are_the_named_tuples() -> None:
    assert scopes.BY_ROLE == {
        "workspace": scopes.WORKSPACE,
        "sender": scopes.MAIL_SENDER,
        "roster-group": scopes.ROSTER_GROUP,
        "roster-sheet": scopes.ROSTER_SHEET,
    }
    assert auth.WORKSPACE_SCOPES == scopes.WORKSPACE


def test_reseller_accounts_are_never_asked_for_mail_or_roster_scopes() -> None:
    assert scopes.GMAIL_SEND not in scopes.WORKSPACE
    assert scopes.SHEETS_READ not in scopes.WORKSPACE
    assert scopes.GROUP_MEMBERS_READ not in scopes.WORKSPACE
    assert not any("customer" in s or "domain" in s for s in scopes.WORKSPACE)  # never called


def test_all_is_the_union_of_the_roles_each_once() -> None:
    assert tuple(dict.fromkeys(s for role in scopes.BY_ROLE.values() for s in role)) == scopes.ALL
    assert len(set(scopes.ALL)) == len(scopes.ALL) == 7


def test_admin_console_list_is_comma_joined_without_spaces() -> None:
    listed = scopes.admin_console_list()
    assert " " not in listed
    assert tuple(listed.split(",")) == scopes.ALL


def _printed(*args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "portalsync.scopes", *args], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("role", [*scopes.BY_ROLE, "all"])
def test_module_prints_the_list_of_a_role(role: str) -> None:
    expected = scopes.ALL if role == "all" else scopes.BY_ROLE[role]
    assert _printed("--for", role) == scopes.admin_console_list(expected)


def test_module_prints_the_union_of_several_roles() -> None:
    both: Sequence[str] = (*scopes.WORKSPACE, *scopes.MAIL_SENDER)
    assert _printed("--for", "workspace", "--for", "sender") == scopes.admin_console_list(both)
    # the group roster needs USERS, which the workspace role already has: listed once
    assert _printed("--for", "workspace", "--for", "roster-group").split(",").count(scopes.USERS) == 1


def test_module_needs_a_role() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portalsync.scopes"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "--for" in result.stderr


def test_deploy_doc_prints_each_role_instead_of_copying_the_lists() -> None:
    text = DEPLOY_DOC.read_text()
    for role in scopes.BY_ROLE:
        assert f"python -m portalsync.scopes --for {role}" in text
    assert not re.findall(r"googleapis\.com/auth/", text)


def _quoted_commands() -> list[str]:
    """Every `python -m portalsync.scopes ...` an admin is told to run: remedies (en, ja) and deploy.md."""
    from portalsync.actions import FindingKind
    from portalsync.remedies import remedy

    texts = [remedy(kind, locale) for kind in FindingKind for locale in ("en", "ja")]
    texts.append(DEPLOY_DOC.read_text())
    found = {
        cmd
        for text in texts
        for cmd in re.findall(r"`((?:\.venv/bin/)?python -m portalsync\.scopes[^`]*)`", text)
    }
    return sorted(found)


def test_the_commands_admins_are_told_to_run_exist() -> None:
    commands = _quoted_commands()
    assert len(commands) >= 5  # the four roles of deploy.md, and the remedies' own
    for command in commands:
        args = command.split()[3:]
        result = subprocess.run(
            [sys.executable, "-m", "portalsync.scopes", *args], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{command}: {result.stderr}"
        assert result.stdout.strip(), command
