"""Roster CSV import: encodings Excel produces, defaults, and bad rows reported with row and field."""

from __future__ import annotations

from pathlib import Path

from portalsync.adapters.roster_csv import parse_roster, read_roster

HEADER = "person_id,given_name,family_name,workspace_email,username,accounts,domains,active,locale\r\n"
JAPANESE = "yamada,太郎,山田,taro.yamada@corp.example,,acme;beta,,true,ja\r\n"
PLAIN = "smith,Anna,Smith,anna@corp.example,asmith,,,,en\r\n"


def test_utf8_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_bytes((HEADER + JAPANESE + PLAIN).encode("utf-8"))
    people, issues = read_roster(path)
    assert issues == []
    taro, anna = people
    assert (taro.person_id, taro.given_name, taro.family_name) == ("yamada", "太郎", "山田")
    assert taro.accounts == ["acme", "beta"]
    assert taro.domains is None
    assert taro.locale == "ja"
    assert taro.active is True
    assert anna.username == "asmith"
    assert anna.accounts is None


def test_utf8_with_bom() -> None:
    people, issues = parse_roster(("\ufeff" + HEADER + JAPANESE).encode("utf-8"), "bom.csv")
    assert issues == []
    assert people[0].person_id == "yamada"  # the BOM does not stick to the first header


def test_cp932_as_excel_in_japan_saves_it() -> None:
    raw = (HEADER + JAPANESE + "sato,花子,佐藤,hanako@corp.example,,,a.example;a2.example,no,ja\r\n").encode(
        "cp932"
    )
    people, issues = parse_roster(raw, "shiftjis.csv")
    assert issues == []
    assert [(p.family_name, p.given_name) for p in people] == [("山田", "太郎"), ("佐藤", "花子")]
    assert people[1].domains == ["a.example", "a2.example"]
    assert people[1].active is False


def test_person_id_defaults_to_the_email_and_columns_may_be_reordered() -> None:
    raw = "Workspace_Email,Family_Name,Given_Name\nTaro@Corp.Example,山田,太郎\n".encode()
    people, issues = parse_roster(raw, "short.csv")
    assert issues == []
    assert people[0].person_id == "taro@corp.example"
    assert people[0].workspace_email == "Taro@corp.example"


def test_bad_rows_are_reported_with_row_and_field_and_the_rest_imported() -> None:
    raw = (
        HEADER
        + JAPANESE  # row 2
        + "bad1,Anna,Smith,not-an-address,,,,,en\r\n"  # row 3
        + "bad2,,Smith,b@corp.example,,,,,en\r\n"  # row 4
        + "bad3,Bob,Smith,bob@corp.example,,,,maybe,en\r\n"  # row 5
        + "bad4,Bob,Smith,bob@corp.example,,,,,fr\r\n"  # row 6
        + "\r\n"  # blank: ignored
        + "yamada,次郎,山田,jiro@corp.example,,,,,ja\r\n"  # row 8: duplicate id
        + PLAIN  # row 9
    ).encode()
    people, issues = parse_roster(raw, "roster.csv")
    assert [p.person_id for p in people] == ["yamada", "smith"]
    assert {(i.source, i.field) for i in issues} == {
        ("roster.csv row 3", "workspace_email"),
        ("roster.csv row 4", "given_name"),
        ("roster.csv row 5", "active"),
        ("roster.csv row 6", "locale"),
        ("roster.csv row 8", "person_id"),
    }
    assert all(i.message for i in issues)


def test_header_problems() -> None:
    people, issues = parse_roster(b"given_name,family_name\nA,B\n", "x.csv")
    assert people == []
    assert issues[0].field == "workspace_email"
    people, issues = parse_roster((HEADER.strip() + ",shoe_size\r\n" + PLAIN).encode(), "x.csv")
    assert len(people) == 1
    assert [(i.source, i.field) for i in issues] == [("x.csv row 1", "shoe_size")]
    assert parse_roster(b"", "empty.csv")[1][0].message == "the file is empty"


def test_an_unknown_column_is_one_warning_on_the_header_not_a_bad_row() -> None:
    raw = (
        HEADER.strip() + ",team,team\r\n" + JAPANESE.strip() + ",ops,x\r\n" + PLAIN.strip() + ",,\r\n"
    ).encode()
    people, issues = parse_roster(raw, "x.csv")
    assert [p.person_id for p in people] == ["yamada", "smith"]
    assert [(i.source, i.field, i.warning) for i in issues] == [("x.csv row 1", "team", True)]


def test_cells_past_the_header_fail_their_row_only_when_not_empty() -> None:
    raw = (HEADER + PLAIN.strip() + ",,\r\n" + JAPANESE.strip() + ",stray\r\n").encode()
    people, issues = parse_roster(raw, "x.csv")
    assert [p.person_id for p in people] == ["smith"]  # trailing commas, as Excel leaves them
    assert [(i.source, i.warning) for i in issues] == [("x.csv row 3", False)]  # maybe shifted columns


def test_username_overrides_column() -> None:
    raw = b"workspace_email,given_name,family_name,username_overrides\na@corp.example,A,B,a.example=a2\n"
    people, issues = parse_roster(raw, "o.csv")
    assert issues == []
    assert people[0].username_overrides == {"a.example": "a2"}
