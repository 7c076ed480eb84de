"""Read the staff roster from a Google Sheet (Sheets API v4 `spreadsheets.values.get`).

The sheet has the roster CSV's columns (see `roster_csv.py`): a header row then one person per row. The
values are handed to the CSV reader unchanged, so a sheet and a CSV file are validated the same way and a
bad row is reported as `<name> row N` (`sheet <id>`, plus `tab '<tab>'` when one is named; the sheet's own
row number) and skipped. The prefix is the source's `name`, by which an import clears the issues it no longer
reports.
"""

from __future__ import annotations

import csv
import io
from functools import cached_property
from typing import Any

from google.auth import credentials as auth_credentials

from portalsync.adapters.google_calls import discovery_client
from portalsync.adapters.google_errors import from_exception
from portalsync.adapters.retry import Retrier, RetryPolicy, SystemTimer, Timer
from portalsync.adapters.roster_csv import parse_roster
from portalsync.model import Person
from portalsync.ports import ValidationIssue

SHEETS_ENDPOINT = "https://sheets.googleapis.com/"
#: The roster's columns fit in A:Z; the range starts at row 1 so row numbers are the sheet's.
DEFAULT_RANGE = "A1:Z"


class SheetRoster:
    """One spreadsheet's roster, read as a user the sheet is shared with (delegated credentials)."""

    def __init__(
        self,
        credentials: auth_credentials.Credentials,
        spreadsheet_id: str,
        sheet: str | None = None,
        endpoint: str = SHEETS_ENDPOINT,
        retry: RetryPolicy | None = None,
        timer: Timer | None = None,
    ) -> None:
        self._credentials = credentials
        self._endpoint = endpoint
        self.spreadsheet_id = spreadsheet_id
        self.sheet = sheet
        self.range = f"{_quote(sheet)}!{DEFAULT_RANGE}" if sheet else DEFAULT_RANGE
        self._retrier = Retrier(retry or RetryPolicy(), timer or SystemTimer())
        self.api_calls = 0

    @property
    def name(self) -> str:
        return f"sheet {self.spreadsheet_id}" + (f" tab {self.sheet!r}" if self.sheet else "")

    @cached_property
    def _service(self) -> Any:
        return discovery_client("sheets", "v4", self._credentials, self._endpoint)

    def rows(self) -> list[list[str]]:
        """The cells as the sheet shows them (FORMATTED_VALUE), trailing empty cells left out."""
        values = self._service.spreadsheets().values()

        def attempt() -> Any:
            self.api_calls += 1
            return values.get(
                spreadsheetId=self.spreadsheet_id,
                range=self.range,
                majorDimension="ROWS",
                valueRenderOption="FORMATTED_VALUE",
            ).execute()

        found = self._retrier.run(attempt, from_exception)
        return [[str(cell) for cell in row] for row in found.get("values", [])]

    def load(self) -> tuple[list[Person], list[ValidationIssue]]:
        buffer = io.StringIO(newline="")
        csv.writer(buffer).writerows(self.rows())
        return parse_roster(buffer.getvalue().encode("utf-8"), self.name)


def _quote(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"
