"""Person and account ids become Firestore document ids (and part of `{person_id}@{domain}` record ids)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from portalsync.adapters.roster_csv import parse_roster
from portalsync.adapters.roster_group import _person_data
from portalsync.model import Person, ResellerAccount
from portalsync.validation import validate
from tests.unit.builders import account, person

UNSAFE = ["a/b", ".", "..", "__reserved__", "__x__"]


@pytest.mark.parametrize("bad", UNSAFE)
def test_person_id_must_be_a_firestore_document_id(bad: str) -> None:
    data = {"person_id": bad, "given_name": "A", "family_name": "B", "workspace_email": "a@b.example"}
    found, issues = validate(Person, data, "people/x")
    assert found is None
    [issue] = issues
    assert issue.field == "person_id"
    assert "Firestore document id" in issue.message


@pytest.mark.parametrize("bad", UNSAFE)
def test_account_id_must_be_a_firestore_document_id(bad: str) -> None:
    with pytest.raises(ValidationError, match="Firestore document id"):
        account(bad)


@pytest.mark.parametrize("long", ["x" * 129, "é" * 751])
def test_ids_stay_well_under_firestores_1500_bytes(long: str) -> None:
    """128 characters at most (512 bytes), so `{person_id}@{domain}` fits a document id too."""
    data = {"person_id": long, "given_name": "A", "family_name": "B", "workspace_email": "a@b.example"}
    assert [i.field for i in validate(Person, data, "people/x")[1]] == ["person_id"]
    with pytest.raises(ValidationError):
        account(long)


@pytest.mark.parametrize("good", ["yamada", "taro.yamada@corp.example", "_x_", "__x", "山田", "a.b"])
def test_ordinary_ids_pass(good: str) -> None:
    assert person(good, "a@b.example").person_id == good
    assert isinstance(account(good), ResellerAccount)


def test_importers_derive_safe_ids_from_addresses() -> None:
    csv = "given_name,family_name,workspace_email\r\nTaro,Yamada,Taro.Yamada@Corp.example\r\n"
    [row], issues = parse_roster(csv.encode(), "staff.csv")
    assert issues == []
    assert row.person_id == "taro.yamada@corp.example"
    user = {"primaryEmail": "Hanako@corp.example", "name": {"givenName": "H", "familyName": "S"}}
    data = _person_data(user, {})
    assert data["person_id"] == "hanako@corp.example"


def test_a_csv_row_with_an_unsafe_id_is_reported_not_imported() -> None:
    csv = "person_id,given_name,family_name,workspace_email\r\nsales/yamada,Taro,Yamada,t@corp.example\r\n"
    people, issues = parse_roster(csv.encode(), "staff.csv")
    assert people == []
    assert [(i.field, "Firestore document id" in i.message) for i in issues] == [("person_id", True)]
