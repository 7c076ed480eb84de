"""Read a staff roster from CSV: UTF-8 (with or without BOM) or Shift_JIS/CP932 as Excel in Japan saves it.

Columns (header names, any order, case-insensitive; only the first four are needed):

| column | meaning |
|---|---|
| `given_name`, `family_name` | the name on the portal account (any script, e.g. 太郎 / 山田) |
| `workspace_email` | the person's own Workspace address; also the recovery address |
| `person_id` | stable id; default: the e-mail address in lower case |
| `username` | the username before the naming template; default: the e-mail's local part |
| `accounts` | reseller account ids, `;`-separated; empty = all accounts |
| `domains` | domains, `;`-separated; empty = every domain of those accounts |
| `active` | `true`/`false` (also yes/no, 1/0); empty = true |
| `locale` | `ja` or `en`; empty = en |
| `username_overrides` | `domain=username;...`, e.g. after a conflict on one domain |

A bad row becomes a `ValidationIssue` ("<file> row N", field, why) and is skipped; the others are read.
Row numbers are the spreadsheet's: the header is row 1. An unknown column (a team or notes column kept in the
same sheet) is reported once, on row 1, as a warning and ignored: it skips nobody. Empty cells past the last
header (trailing commas) are ignored; a non-empty one fails its row, since it may mean shifted columns.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from portalsync.model import Person
from portalsync.ports import ValidationIssue
from portalsync.validation import validate

REQUIRED = ("given_name", "family_name", "workspace_email")
COLUMNS = (
    "person_id",
    *REQUIRED,
    "username",
    "accounts",
    "domains",
    "active",
    "locale",
    "username_overrides",
)
TRUE = {"true", "yes", "y", "1", "on"}
FALSE = {"false", "no", "n", "0", "off"}


def decode(raw: bytes) -> str:
    """UTF-8 first (a BOM is dropped); anything that is not UTF-8 is read as CP932 (Excel, Japan)."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp932")


def read_roster(path: Path) -> tuple[list[Person], list[ValidationIssue]]:
    return parse_roster(path.read_bytes(), path.name)


def parse_roster(raw: bytes, name: str) -> tuple[list[Person], list[ValidationIssue]]:
    try:
        text = decode(raw)
    except UnicodeDecodeError as error:
        return [], [ValidationIssue(name, "", f"neither UTF-8 nor Shift_JIS/CP932: {error.reason}")]
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], [ValidationIssue(name, "", "the file is empty")]
    header = [h.strip().lower() for h in rows[0]]
    issues = [
        ValidationIssue(f"{name} row 1", column, "unknown column, ignored", warning=True)
        for column in dict.fromkeys(header)
        if column and column not in COLUMNS
    ]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        issues.append(ValidationIssue(f"{name} row 1", ",".join(missing), "required column missing"))
        return [], issues
    people: list[Person] = []
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines Excel leaves at the end
        source = f"{name} row {number}"
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            issues.append(ValidationIssue(source, "", f"{len(cells)} cells for {len(header)} columns"))
            continue
        values = dict(zip(header, (c.strip() for c in cells), strict=False))
        person, problems = _person(values, source)
        issues.extend(problems)
        if person is None:
            continue
        if person.person_id in seen:
            issues.append(
                ValidationIssue(
                    source, "person_id", f"{person.person_id} already on row {seen[person.person_id]}"
                )
            )
            continue
        seen[person.person_id] = number
        people.append(person)
    return people, issues


def _person(values: dict[str, str], source: str) -> tuple[Person | None, list[ValidationIssue]]:
    data: dict[str, Any] = {k: v for k, v in values.items() if k in COLUMNS and v != ""}
    for column in ("accounts", "domains"):
        if column in data:
            data[column] = [item.strip() for item in data[column].split(";") if item.strip()]
    if "active" in data:
        flag = data["active"].lower()
        if flag not in TRUE | FALSE:
            return None, [ValidationIssue(source, "active", f"{data['active']!r} is not true or false")]
        data["active"] = flag in TRUE
    if "username_overrides" in data:
        overrides: dict[str, str] = {}
        for item in data["username_overrides"].split(";"):
            domain, sep, username = item.partition("=")
            if item.strip() and not sep:
                return None, [ValidationIssue(source, "username_overrides", "use domain=username;...")]
            if sep:
                overrides[domain.strip()] = username.strip()
        data["username_overrides"] = overrides
    if "person_id" not in data and "@" in data.get("workspace_email", ""):
        data["person_id"] = data["workspace_email"].lower()
    return validate(Person, data, source)
