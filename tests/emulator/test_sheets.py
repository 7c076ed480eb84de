"""Sheets v4 values.get: A1 ranges, rendering, trimming, and Google's ValueRange schema."""

from __future__ import annotations

from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.discovery_schema import validate
from tests.support.google_clients import service
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

GRID = [
    ["name", "mail", "active", "n"],
    ["Ada", "ada@x.example", True, 1.0],
    ["Bob", "", False, 2.5, "", ""],
    [],
]


@pytest.fixture
def sheets(control: ControlClient, emulator_url: str) -> Any:
    control.post(
        "sheets", {"spreadsheetId": "s1", "title": "Roster", "sheets": {"Sheet1": GRID, "It's": [["x"]]}}
    )
    return service(emulator_url, "admin@a.example", "sheets", "v4").spreadsheets()


def get(sheets: Any, range_: str, **kwargs: Any) -> dict[str, Any]:
    result: dict[str, Any] = sheets.values().get(spreadsheetId="s1", range=range_, **kwargs).execute()
    assert validate("sheets", "ValueRange", result) == []
    return result


def test_a_whole_sheet_is_formatted_and_trimmed(sheets: Any) -> None:
    result = get(sheets, "Sheet1")
    assert result["majorDimension"] == "ROWS"
    assert result["range"] == "Sheet1!A1:Z1000"
    assert result["values"] == [
        ["name", "mail", "active", "n"],
        ["Ada", "ada@x.example", "TRUE", "1"],
        ["Bob", "", "FALSE", "2.5"],
    ]


@pytest.mark.parametrize(
    ("range_", "expected"),
    [
        ("Sheet1!B2:C3", [["ada@x.example", "TRUE"], ["", "FALSE"]]),
        ("Sheet1!A2:A", [["Ada"], ["Bob"]]),
        ("A:B", [["name", "mail"], ["Ada", "ada@x.example"], ["Bob"]]),
        ("Sheet1!3:3", [["Bob", "", "FALSE", "2.5"]]),
        ("'It''s'", [["x"]]),
        ("'It''s'!A1", [["x"]]),
    ],
)
def test_a1_ranges(sheets: Any, range_: str, expected: list[list[str]]) -> None:
    assert get(sheets, range_)["values"] == expected


def test_an_empty_range_has_no_values(sheets: Any) -> None:
    result = get(sheets, "Sheet1!H1:H9")
    assert "values" not in result
    assert result["range"] == "Sheet1!H1:H9"


def test_unformatted_values_and_columns(sheets: Any) -> None:
    raw = get(sheets, "Sheet1!C2:D2", valueRenderOption="UNFORMATTED_VALUE")
    assert raw["values"] == [[True, 1.0]]
    columns = get(sheets, "Sheet1!A1:B2", majorDimension="COLUMNS")
    assert columns["values"] == [["name", "Ada"], ["mail", "ada@x.example"]]


def test_unknown_sheet_and_spreadsheet(sheets: Any) -> None:
    with pytest.raises(HttpError) as bad_range:
        get(sheets, "Nope!A1")
    assert bad_range.value.resp.status == 400
    with pytest.raises(HttpError) as missing:
        sheets.values().get(spreadsheetId="other", range="A1").execute()
    assert missing.value.resp.status == 404
