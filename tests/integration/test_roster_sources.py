"""Roster sources through the Workspace emulator: a Google Group's members and a Google Sheet."""

from __future__ import annotations

import pytest
from google.oauth2.credentials import Credentials

from portalsync.adapters.retry import NO_RETRY
from portalsync.adapters.roster_group import GroupRoster, _person_data
from portalsync.adapters.roster_sheet import SheetRoster
from portalsync.errors import NotFoundError, WorkspaceError
from portalsync.ports import ValidationIssue, from_origin
from tests.support.google_clients import bearer
from tests.unit.builders import person
from tests.unit.test_service import World
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

ADMIN = "admin@a.example"
HEADER = ["given_name", "family_name", "workspace_email", "accounts", "active", "locale"]


def as_admin() -> Credentials:
    return bearer(f"emulator:{ADMIN}")


def seed_user(control: ControlClient, email: str, given: str, family: str, **extra: object) -> None:
    control.post(
        "users", {"primaryEmail": email, "name": {"givenName": given, "familyName": family}, **extra}
    )


# --- group --------------------------------------------------------------------------------------------


def test_group_members_become_people_with_names_from_one_users_list(
    control: ControlClient, emulator_url: str
) -> None:
    seed_user(control, "taro@a.example", "太郎", "山田")
    seed_user(control, "ada@a2.example", "Ada", "Lovelace", suspended=True)
    control.post(
        "groups",
        {
            "email": "portal-staff@a.example",
            "members": [
                "taro@a.example",
                "ada@a2.example",
                {"email": "nested@a.example", "type": "GROUP"},
                "friend@gmail.example",
            ],
        },
    )
    control.delete("calls")
    roster = GroupRoster(as_admin(), "Portal-Staff@a.example", endpoint=emulator_url, retry=NO_RETRY)
    people, issues = roster.load()

    by_email = {p.workspace_email: p for p in people}
    assert sorted(by_email) == ["ada@a2.example", "taro@a.example"]
    taro = by_email["taro@a.example"]
    assert (taro.person_id, taro.given_name, taro.family_name, taro.active) == (
        "taro@a.example",
        "太郎",
        "山田",
        True,
    )
    assert by_email["ada@a2.example"].active is False
    assert issues == [
        ValidationIssue(
            "group portal-staff@a.example member nested@a.example",
            "type",
            "a group member, not a person: skipped",
            warning=True,
        ),
        ValidationIssue(
            "group portal-staff@a.example member friend@gmail.example",
            "email",
            "not a user of this Workspace account: skipped",
            warning=True,
        ),
    ]
    calls = control.calls()
    assert calls.get("directory.members.list") == 1
    assert calls.get("directory.users.list") == 1
    assert "directory.users.get" not in calls
    assert roster.api_calls == 2


def test_a_member_of_another_customer_is_a_warning_and_leavers_are_deactivated(
    control: ControlClient, emulator_url: str
) -> None:
    seed_user(control, "taro@a.example", "太郎", "山田")
    seed_user(control, "carol@b.example", "Carol", "Other")  # a user of customer B, not of A
    control.post(
        "groups", {"email": "portal-staff@a.example", "members": ["taro@a.example", "carol@b.example"]}
    )
    people, issues = GroupRoster(as_admin(), "portal-staff@a.example", endpoint=emulator_url).load()
    assert [p.person_id for p in people] == ["taro@a.example"]
    assert [(i.source, i.warning) for i in issues] == [
        ("group portal-staff@a.example member carol@b.example", True)
    ]

    world = World(
        [person("taro@a.example", "taro@a.example", "太郎", "山田"), person("gone", "gone@a.example")]
    )
    report = world.service.import_roster(people, issues)
    assert report.deactivated == ("gone",)
    assert report.held_back == ()
    assert world.alerts.open_alerts() == []


def test_a_large_group_is_read_page_by_page(control: ControlClient, emulator_url: str) -> None:
    emails = [f"staff{n:03d}@a.example" for n in range(205)]
    for email in emails:
        seed_user(control, email, "Staff", "Member")
    control.post("groups", {"email": "portal-staff@a.example", "members": emails})
    control.delete("calls")
    people, issues = GroupRoster(as_admin(), "portal-staff@a.example", endpoint=emulator_url).load()
    assert sorted(p.workspace_email for p in people) == emails
    assert issues == []
    assert control.calls()["directory.members.list"] == 2  # 200 a page


def test_a_group_of_another_customer_is_refused(control: ControlClient, emulator_url: str) -> None:
    control.post("groups", {"email": "staff@b.example", "members": []})
    with pytest.raises(WorkspaceError) as raised:
        GroupRoster(as_admin(), "staff@b.example", endpoint=emulator_url, retry=NO_RETRY).load()
    assert raised.value.status == 403


def test_the_preferred_language_sets_the_locale() -> None:
    user = {
        "primaryEmail": "Taro@A.example",
        "name": {"givenName": "太郎", "familyName": "山田"},
        "languages": [{"languageCode": "ja", "preference": "preferred"}],
    }
    data = _person_data(user, {"status": "ACTIVE"})
    assert (data["locale"], data["person_id"], data["active"]) == ("ja", "taro@a.example", True)
    assert _person_data({**user, "languages": []}, {})["locale"] == "en"


# --- sheet --------------------------------------------------------------------------------------------


def test_sheet_rows_become_people_and_bad_rows_are_reported_by_row(
    control: ControlClient, emulator_url: str
) -> None:
    control.post(
        "sheets",
        {
            "spreadsheetId": "roster-1",
            "title": "Roster",
            "sheets": {
                "Read me": [["instructions"]],
                "Staff list": [
                    HEADER,
                    ["太郎", "山田", "taro@corp.example", "acct-a;acct-b", True, "ja"],
                    ["Bad", "Mail", "not-an-address", "", "", ""],
                    [],
                    ["Ada", "Lovelace", "ada@corp.example", "", False, ""],
                    ["", "", "", "", "", ""],
                ],
            },
        },
    )
    roster = SheetRoster(as_admin(), "roster-1", sheet="Staff list", endpoint=emulator_url, retry=NO_RETRY)
    people, issues = roster.load()
    assert [(p.person_id, p.accounts, p.active, p.locale) for p in people] == [
        ("taro@corp.example", ["acct-a", "acct-b"], True, "ja"),
        ("ada@corp.example", None, False, "en"),
    ]
    assert {i.source for i in issues} == {"sheet roster-1 tab 'Staff list' row 3"}
    assert all(from_origin(i.source, roster.name) for i in issues)  # so the next import can clear them
    assert "workspace_email" in {i.field for i in issues}
    assert roster.api_calls == 1


def test_the_first_sheet_is_read_when_none_is_named(control: ControlClient, emulator_url: str) -> None:
    control.post(
        "sheets",
        {
            "spreadsheetId": "roster-2",
            "sheets": {"Sheet1": [HEADER[:3], ["Ada", "Lovelace", "ada@corp.example"]]},
        },
    )
    people, issues = SheetRoster(as_admin(), "roster-2", endpoint=emulator_url).load()
    assert [p.workspace_email for p in people] == ["ada@corp.example"]
    assert issues == []


def test_a_missing_required_column_is_one_issue(control: ControlClient, emulator_url: str) -> None:
    control.post("sheets", {"spreadsheetId": "roster-3", "sheets": {"Sheet1": [["given_name", "email"]]}})
    people, issues = SheetRoster(as_admin(), "roster-3", endpoint=emulator_url).load()
    assert people == []
    assert [(i.source, i.message) for i in issues if i.field != "email"] == [
        ("sheet roster-3 row 1", "required column missing")
    ]


def test_an_unknown_spreadsheet_is_not_found(control: ControlClient, emulator_url: str) -> None:
    with pytest.raises(NotFoundError):
        SheetRoster(as_admin(), "nope", endpoint=emulator_url, retry=NO_RETRY).load()
