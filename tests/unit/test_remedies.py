"""remedies: every finding kind has console steps in both languages, with the labels admins see."""

from __future__ import annotations

import re

import pytest

from portalsync.actions import FindingKind
from portalsync.remedies import remedy

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("kind", list(FindingKind))
def test_every_kind_has_numbered_steps_in_english_and_japanese(kind: FindingKind) -> None:
    en, ja = remedy(kind, "en"), remedy(kind, "ja")
    assert en.startswith("1. ")
    assert ja.startswith("1. ")
    assert "\n2. " in en
    assert en.count("\n") == ja.count("\n")  # the same steps, translated
    assert not JAPANESE.search(en)
    assert JAPANESE.search(ja)


@pytest.mark.parametrize(
    ("kind", "locale", "fragments"),
    [
        (FindingKind.PAID_LICENSE_ASSIGNED, "en", ["Billing > License settings", "Edit", "Off", "Override"]),
        (
            FindingKind.PAID_LICENSE_ASSIGNED,
            "ja",
            ["[お支払い] > [ライセンスの設定]", "[オフ]", "[オーバーライド]"],
        ),
        (
            FindingKind.CI_FREE_NOT_SUBSCRIBED,
            "en",
            ["Billing > Get more services > Cloud Identity", "Cloud Identity Free", "Get started"],
        ),
        (FindingKind.CI_FREE_NOT_SUBSCRIBED, "ja", ["[その他のサービスを利用する]", "[Cloud Identity Free]"]),
        (FindingKind.CI_FREE_CAP_REACHED, "en", ["Cloud Identity license request form"]),
        (FindingKind.CI_FREE_CAP_REACHED, "ja", ["Cloud Identity ライセンスのリクエスト フォーム"]),
        (
            FindingKind.ACCOUNT_UNREACHABLE,
            "en",
            ["Security > Access and data control > API controls > Manage Domain Wide Delegation"],
        ),
        (FindingKind.ACCOUNT_UNREACHABLE, "ja", ["[API の制御] > [ドメイン全体の委任を管理]"]),
        (FindingKind.MAIL_UNDELIVERABLE, "en", ["Recipient address map", "Case sharing"]),
        (FindingKind.MAIL_UNDELIVERABLE, "ja", ["[受信者アドレスマップ]", "[ケースの共有]"]),
        (FindingKind.PRIVILEGES_UNRESOLVABLE, "en", ["View customers", "Access customer support cases"]),
        (
            FindingKind.PRIVILEGES_UNRESOLVABLE,
            "ja",
            ["[顧客を表示]", "[お客様のサポートケースにアクセスする]"],
        ),
        (FindingKind.ROLE_UNRESOLVABLE, "ja", ["[販売パートナー管理者]"]),
        (FindingKind.ACCOUNT_CONFLICT, "en", ["username_overrides"]),
        (FindingKind.REMOVAL_GUARD, "en", ["approval", "Reactivate"]),
    ],
)
def test_steps_name_the_console_labels(kind: FindingKind, locale: str, fragments: list[str]) -> None:
    text = remedy(kind, locale)
    for fragment in fragments:
        assert fragment in text


def test_other_locales_get_english() -> None:
    assert remedy(FindingKind.REMOVAL_GUARD, "fr") == remedy(FindingKind.REMOVAL_GUARD, "en")
    assert remedy(FindingKind.REMOVAL_GUARD) == remedy(FindingKind.REMOVAL_GUARD, "en")
