"""The delegation scope list: minimal, printable for the Admin console, and written down only in code."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from portalsync import scopes
from portalsync.adapters.auth import WORKSPACE_SCOPES

DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


def test_scopes_are_the_minimal_set() -> None:
    short = {scope.removeprefix("https://www.googleapis.com/auth/") for scope in scopes.ALL}
    assert short == {
        "admin.directory.user",
        "admin.directory.orgunit",
        "admin.directory.rolemanagement",
        "apps.licensing",
        "admin.directory.group.member.readonly",
        "spreadsheets.readonly",
        "gmail.send",
    }
    assert len(scopes.ALL) == len(short)


def test_the_list_is_exactly_what_the_code_requests() -> None:
    # the workspace adapter, the Gmail sender, the group roster (members + users) and the sheet roster
    requested = {
        *WORKSPACE_SCOPES,
        scopes.GMAIL_SEND,
        scopes.GROUP_MEMBERS_READ,
        scopes.USERS,
        scopes.SHEETS_READ,
    }
    assert set(scopes.ALL) == requested
    assert not any("customer" in s or "domain" in s for s in WORKSPACE_SCOPES)  # never called


def test_admin_console_list_is_comma_joined_without_spaces() -> None:
    listed = scopes.admin_console_list()
    assert " " not in listed
    assert tuple(listed.split(",")) == scopes.ALL


def test_module_prints_the_list() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "portalsync.scopes"], capture_output=True, text=True, check=True
    ).stdout
    assert printed.strip() == scopes.admin_console_list()


def test_deploy_doc_prints_the_list_instead_of_copying_it() -> None:
    text = DEPLOY_DOC.read_text()
    assert "python -m portalsync.scopes" in text
    assert not re.findall(r"googleapis\.com/auth/", text)
