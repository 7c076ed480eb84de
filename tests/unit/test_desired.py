"""desired.expand: who gets which address, and which roster mistakes become findings."""

from __future__ import annotations

from typing import Any

import pytest

from portalsync.actions import FindingKind
from portalsync.desired import expand
from portalsync.model import Settings
from tests.unit.builders import SETTINGS, account, person

ACME = account("acme", ["a.example", "a2.example"])
BETA = account("beta", ["b.example"], customer_id="C02bbbbbb")
OFF = account("off", ["off.example"], customer_id="C03cccccc", enabled=False)


def addresses(
    people: list[Any], settings: Settings = SETTINGS, accounts: Any = (ACME, BETA, OFF)
) -> set[str]:
    wanted, _ = expand(list(accounts), people, settings)
    return {f"{d.account_id}:{d.email}{'*' if d.own_account else ''}" for d in wanted}


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, {"acme:taro@a.example", "acme:taro@a2.example", "beta:taro@b.example"}),
        ({"accounts": ["beta"]}, {"beta:taro@b.example"}),
        ({"accounts": []}, set()),
        ({"domains": ["a2.example", "b.example"]}, {"acme:taro@a2.example", "beta:taro@b.example"}),
        ({"active": False}, set()),
        ({"accounts": ["off"]}, set()),  # a disabled account gets no desired accounts
        (
            {"username": "t.yamada"},
            {"acme:t.yamada@a.example", "acme:t.yamada@a2.example", "beta:t.yamada@b.example"},
        ),
        (
            {"username_overrides": {"a2.example": "taro.ccp"}},
            {"acme:taro@a.example", "acme:taro.ccp@a2.example", "beta:taro@b.example"},
        ),
    ],
)
def test_person_x_accounts_x_domains(kw: dict[str, Any], expected: set[str]) -> None:
    assert addresses([person("p1", "Taro@home.example", **kw)]) == expected


def test_own_workspace_address_on_a_reseller_domain_is_used_as_is() -> None:
    got = addresses(
        [person("p1", "Taro.Yamada@A.example", username="ty", username_overrides={"a.example": "x"})]
    )
    assert got == {"acme:taro.yamada@a.example*", "acme:ty@a2.example", "beta:ty@b.example"}


def test_naming_template_applies_to_username_and_override_but_not_to_own_address() -> None:
    settings = Settings(naming_template="{username}.ccp")
    p = person("p1", "taro@a.example", username_overrides={"b.example": "yamada"})
    assert addresses([p], settings) == {
        "acme:taro@a.example*",
        "acme:taro.ccp@a2.example",
        "beta:yamada.ccp@b.example",
    }


def test_desired_account_carries_names_locale_recovery_address_and_username() -> None:
    p = person(
        "p1",
        "hanako@home.example",
        given="花子",
        family="佐藤",
        locale="ja",
        username_overrides={"a.example": "h.sato"},
    )
    wanted, findings = expand([ACME], [p], SETTINGS)
    assert findings == []
    first = wanted[0]
    assert (first.email, first.given_name, first.family_name, first.locale) == (
        "h.sato@a.example",
        "花子",
        "佐藤",
        "ja",
    )
    assert (first.recovery_email, first.username, first.person_id, first.domain) == (
        "hanako@home.example",
        "h.sato",
        "p1",
        "a.example",
    )
    assert [d.email for d in wanted] == ["h.sato@a.example", "hanako@a2.example"]


def test_two_people_wanting_one_address_keep_the_first_and_report_both() -> None:
    wanted, findings = expand(
        [BETA], [person("p1", "taro@x.example"), person("p2", "taro@y.example")], SETTINGS
    )
    assert [(d.person_id, d.email) for d in wanted] == [("p1", "taro@b.example")]
    assert len(findings) == 1
    f = findings[0]
    assert (f.kind, f.account_id, f.person_id, f.email, f.domain) == (
        FindingKind.INVALID_INPUT,
        "beta",
        "p2",
        "taro@b.example",
        "b.example",
    )
    assert "p1" in f.detail
    assert "p2" in f.detail


def test_an_own_address_beats_a_generated_one_even_later_in_the_roster() -> None:
    people = [person("p1", "taro@x.example"), person("p2", "taro@b.example")]
    wanted, findings = expand([BETA], people, SETTINGS)
    assert [(d.person_id, d.email, d.own_account) for d in wanted] == [("p2", "taro@b.example", True)]
    assert [(f.kind, f.person_id) for f in findings] == [(FindingKind.INVALID_INPUT, "p1")]


def test_unknown_account_and_domain_are_findings_and_the_rest_proceeds() -> None:
    people = [
        person("p1", "taro@x.example", accounts=["beta", "gamma"], domains=["b.example", "nowhere.example"]),
        person("p2", "jiro@x.example", accounts=["beta"], domains=["a.example"]),  # a.example is not beta's
        person("p3", "saburo@x.example", accounts=["beta"]),
    ]
    wanted, findings = expand([ACME, BETA], people, SETTINGS)
    assert [d.email for d in wanted] == ["taro@b.example", "saburo@b.example"]
    got = sorted((f.kind, f.person_id, f.account_id, f.domain) for f in findings)
    assert got == [
        (FindingKind.INVALID_INPUT, "p1", "", "nowhere.example"),
        (FindingKind.INVALID_INPUT, "p1", "gamma", None),
        (FindingKind.INVALID_INPUT, "p2", "", "a.example"),
    ]


def test_roster_order_is_kept_and_the_result_is_deterministic() -> None:
    people = [person(f"p{i}", f"user{i}@home.example") for i in (3, 1, 2)]
    first, _ = expand([ACME, BETA], people, SETTINGS)
    again, _ = expand([ACME, BETA], people, SETTINGS)
    assert first == again
    assert [d.person_id for d in first] == ["p3", "p3", "p3", "p1", "p1", "p1", "p2", "p2", "p2"]
