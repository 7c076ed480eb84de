"""Mail templates: the locale picks the language, user data is escaped in HTML, the content is there."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

import pytest

from portalsync.actions import Finding, FindingKind
from portalsync.alerts import Scope, digest, reconcile_alerts
from portalsync.mail import MailKind, alert_mail, build_mime, credentials, digest_mail, onboarding
from portalsync.mail.render import load
from portalsync.model import DesiredAccount, Person

EVIL = "<script>alert(1)</script>"


def person(locale: str = "en", given: str = "Ada", family: str = "Lovelace") -> Person:
    return Person.model_validate(
        {
            "person_id": "p1",
            "given_name": given,
            "family_name": family,
            "workspace_email": "ada@corp.example",
            "locale": locale,
        }
    )


def accounts(who: Person) -> list[DesiredAccount]:
    return [
        DesiredAccount(
            account_id="acct-x",
            person_id=who.person_id,
            domain=domain,
            email=f"ada@{domain}",
            given_name=who.given_name,
            family_name=who.family_name,
            recovery_email=who.workspace_email,
            locale=who.locale,
        )
        for domain in ("b.example", "a.example")
    ]


@pytest.mark.parametrize("kind", [k.value for k in MailKind])
@pytest.mark.parametrize("locale", ["en", "ja"])
def test_every_kind_has_a_template_per_locale(kind: str, locale: str) -> None:
    subject, body = load(kind, locale)
    assert subject
    assert body


def test_onboarding_in_english_lists_every_domain_and_explains_the_portal() -> None:
    who = person("en")
    mail = onboarding(who, accounts(who))
    assert mail.subject == "Your Customer Care Portal accounts (2)"
    for needed in ("ada@a.example", "ada@b.example", "Chrome profile", "Add another account", "Case sharing"):
        assert needed in mail.text
    assert mail.text.index("ada@a.example") < mail.text.index("ada@b.example")
    assert mail.to == ("ada@corp.example",)


def test_onboarding_in_japanese_is_japanese_with_family_name_first() -> None:
    who = person("ja", given="太郎", family="山田")
    mail = onboarding(who, accounts(who))
    assert "アカウントのご案内" in mail.subject
    assert mail.text.startswith("山田 太郎 さん")
    for needed in ("ケースの共有", "Chrome のプロファイル", "別のアカウントを追加", "ada@a.example"):
        assert needed in mail.text
    assert '<html lang="ja">' in mail.html


def test_user_data_is_escaped_in_html_but_kept_in_text() -> None:
    finding = Finding(FindingKind.ACTION_FAILED, "acct-x", f"name {EVIL} rejected", person_id="p1")
    (alert,) = reconcile_alerts([finding], [], [Scope("acct-x")], "2025-01-01T00:00:00Z").opened
    mail = alert_mail(alert, ["ops@corp.example"], "en")
    assert EVIL in mail.text
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.html


def test_a_url_in_user_data_is_not_turned_into_a_link() -> None:
    finding = Finding(FindingKind.ACTION_FAILED, "acct-x", 'see https://evil.example/" onclick="x')
    (alert,) = reconcile_alerts([finding], [], [Scope("acct-x")], "2025-01-01T00:00:00Z").opened
    html = alert_mail(alert, ["ops@corp.example"], "en").html
    assert 'href="https://evil' not in html
    assert "&quot; onclick=&quot;x" in html


def test_credentials_mail_carries_the_password_and_is_never_storable() -> None:
    mail = credentials(person("en"), "ada@a.example", "Pw-1234!<x>")
    assert "Pw-1234!<x>" in mail.text
    assert "Pw-1234!&lt;x&gt;" in mail.html
    assert not mail.storable
    with pytest.raises(ValueError, match="never stored"):
        mail.to_dict()


def test_alert_mail_gives_the_fix_and_a_stable_id() -> None:
    finding = Finding(FindingKind.CI_FREE_CAP_REACHED, "acct-x", "50 of 50 in use", domain="x.example")
    (alert,) = reconcile_alerts(
        [finding], [], [Scope("acct-x")], "2025-01-01T00:00:00Z", lambda f, loc: f"{loc} steps: Billing"
    ).opened
    ja = alert_mail(alert, ["ops@corp.example"], "ja")
    en = alert_mail(alert, ["ops@corp.example"], "en")
    assert "ja steps: Billing" in ja.text
    assert "上限" in ja.subject
    assert "en steps: Billing" in en.text
    assert en.subject.startswith("[portalsync] Critical:")
    assert ja.message_id == en.message_id == "alert/ci_free_cap_reached/acct-x/x.example/2025-01-01T00:00:00Z"


def test_digest_sections_and_counts() -> None:
    finding = Finding(FindingKind.REMOVAL_GUARD, "acct-x", "7 removals held")
    (alert,) = reconcile_alerts([finding], [], [Scope("acct-x")], "2025-01-02T01:00:00Z").opened
    mail = digest_mail(
        digest([alert], since="2025-01-02T00:00:00Z"), ["ops@corp.example"], "en", "2025-01-02"
    )
    assert mail.subject == "[portalsync] Daily summary: 1 new, 0 still open, 0 resolved"
    assert "7 removals held" in mail.text
    assert "None." in mail.text
    assert mail.message_id == "digest/2025-01-02"
    ja = digest_mail(digest([], since="2025-01-02T00:00:00Z"), ["ops@corp.example"], "ja", "2025-01-02")
    assert "新規 0 件" in ja.subject
    assert "なし" in ja.text


def test_the_mime_form_has_utf8_subject_both_parts_and_the_message_id() -> None:
    who = person("ja", given="太郎", family="山田")
    mail = onboarding(who, accounts(who))
    raw = build_mime(mail, "noreply@corp.example", "ポータル案内").as_bytes()
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert parsed["Subject"] == mail.subject
    assert "=?utf-8?" in raw.decode("ascii")  # RFC 2047: the raw header is ASCII
    assert parsed["Message-ID"] == mail.header_id
    assert parsed["From"].addresses[0].display_name == "ポータル案内"
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    assert text is not None
    assert html is not None
    assert text.get_content() == mail.text
    assert html.get_content() == mail.html
