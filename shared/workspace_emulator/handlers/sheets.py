"""Sheets v4 spreadsheets.values.get over spreadsheets seeded by the control API (`POST /_emulator/sheets`).

portalsync can read its roster from a sheet. Ranges are A1 notation: `Sheet1`, `'My sheet'!A1:D`, `A:C`,
`2:10`, or no sheet name (the first sheet). As in Sheets, trailing empty rows and cells are left out and
FORMATTED_VALUE (the default) returns every cell as a string.
"""

from __future__ import annotations

import re
from typing import Any

from workspace_emulator.calls import Call, handles
from workspace_emulator.errors import ApiError

_CELL = re.compile(r"^([A-Z]*)([0-9]*)$")
MAX_ROWS, MAX_COLS = 1000, 26  # the grid of a new sheet


def _not_found() -> ApiError:
    return ApiError(404, "notFound", "Requested entity was not found.")


def _spreadsheet(call: Call) -> dict[str, Any]:
    sheet = call.state.sheets.get(str(call.params["spreadsheetId"]))
    if sheet is None:
        raise _not_found()
    return sheet


def _column(letters: str) -> int:
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def _letters(number: int) -> str:
    out = ""
    while number:
        number, rest = divmod(number - 1, 26)
        out = chr(65 + rest) + out
    return out


def _bounds(a1: str) -> tuple[int, int, int | None, int | None]:
    """(first row, first col, last row, last col), 1-based; None = to the end."""
    if not a1:
        return 1, 1, None, None
    start, _, end = a1.upper().partition(":")
    first, last = _CELL.match(start), _CELL.match(end or start)
    if first is None or last is None or not (start.strip() and (end or start).strip()):
        raise ApiError(400, "badRequest", f"Unable to parse range: {a1}")
    r1, c1 = int(first.group(2) or 1), _column(first.group(1)) if first.group(1) else 1
    r2 = int(last.group(2)) if last.group(2) else None
    c2 = _column(last.group(1)) if last.group(1) else None
    return r1, c1, r2, c2


def _split(spreadsheet: dict[str, Any], a1: str) -> tuple[str, str]:
    """(sheet title, cell part) of a range; a bare name that is a sheet's title means the whole sheet."""
    titles = list(spreadsheet["sheets"])
    if "!" in a1:
        name, _, cells = a1.rpartition("!")
        name = name[1:-1].replace("''", "'") if name.startswith("'") and name.endswith("'") else name
    elif a1 in titles or (a1.startswith("'") and a1[1:-1].replace("''", "'") in titles):
        name, cells = a1.strip("'").replace("''", "'"), ""
    else:
        name, cells = (titles[0] if titles else ""), a1
    if name not in titles:
        raise ApiError(400, "badRequest", f"Unable to parse range: {a1}")
    return name, cells


def _cell(value: Any, render: str) -> Any:
    if render != "FORMATTED_VALUE":
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    rows = [list(row) for row in rows]
    for row in rows:
        while row and row[-1] in ("", None):
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _quoted(title: str) -> str:
    return title if re.fullmatch(r"[A-Za-z0-9_]+", title) else "'" + title.replace("'", "''") + "'"


@handles("sheets.spreadsheets.values.get")
def values_get(call: Call) -> dict[str, Any]:
    spreadsheet = _spreadsheet(call)
    title, cells = _split(spreadsheet, str(call.params["range"]))
    r1, c1, r2, c2 = _bounds(cells)
    rows = spreadsheet["sheets"][title]
    picked = [row[c1 - 1 : c2] for row in rows[r1 - 1 : r2]]
    render = str(call.params.get("valueRenderOption") or "FORMATTED_VALUE")
    values = _trim([[_cell(v, render) for v in row] for row in picked])
    if call.params.get("majorDimension") == "COLUMNS":
        width = max((len(row) for row in values), default=0)
        values = _trim([[row[i] if i < len(row) else "" for row in values] for i in range(width)])
    last_row = r2 or max(len(rows), MAX_ROWS)
    last_col = c2 or max(max((len(row) for row in rows), default=0), MAX_COLS)
    out: dict[str, Any] = {
        "range": f"{_quoted(title)}!{_letters(c1)}{r1}:{_letters(last_col)}{last_row}",
        "majorDimension": call.params.get("majorDimension") or "ROWS",
    }
    if values:  # Sheets leaves `values` out of an empty range
        out["values"] = values
    return out
