"""The four mails portalsync sends, composed from core types in the recipient's locale.

Message ids say what a mail is about, so composing the same mail again (a retried run) yields the same id
and the outbox sends it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from portalsync.actions import FindingKind
from portalsync.alerts import Alert, Digest, Locale, Severity
from portalsync.mail.message import MailKind, MailMessage
from portalsync.mail.render import Value, render
from portalsync.model import DesiredAccount, Person

#: Google's help page on using the Customer Care Portal; operators may pass their own guide instead.
DEFAULT_PORTAL_URL = "https://support.google.com/channelservices/answer/6182474"
SIGNIN_URL = "https://accounts.google.com/"
ACCOUNT_LINE = "{email} (for customers of {domain})"
ACCOUNT_LINE_JA = "{email}（{domain} のお客様用）"
OWN_LINE = "{email} (your own account, now with portal access for {domain})"
OWN_LINE_JA = "{email}（ご自身のアカウント。{domain} のポータルを利用できるようになりました）"

TITLES: Mapping[FindingKind, tuple[str, str]] = {  # (en, ja)
    FindingKind.CI_FREE_NOT_SUBSCRIBED: (
        "Cloud Identity Free is not subscribed",
        "Cloud Identity Free が未契約です",
    ),
    FindingKind.CI_FREE_CAP_REACHED: (
        "Cloud Identity Free user limit reached",
        "Cloud Identity Free のユーザー数が上限に達しました",
    ),
    FindingKind.CI_FREE_MISSING: (
        "An account has no Cloud Identity Free license",
        "Cloud Identity Free ライセンスのないアカウントがあります",
    ),
    FindingKind.PAID_LICENSE_ASSIGNED: (
        "A portal account holds a paid license",
        "ポータル用アカウントに有償ライセンスが割り当てられています",
    ),
    FindingKind.ROLE_UNRESOLVABLE: ("The portal role cannot be found", "ポータル用のロールが見つかりません"),
    FindingKind.PRIVILEGES_UNRESOLVABLE: (
        "The portal privileges cannot be found",
        "ポータル用の権限が見つかりません",
    ),
    FindingKind.ACCOUNT_CONFLICT: (
        "The address belongs to an account portalsync does not manage",
        "アドレスが portalsync の管理外のアカウントで使われています",
    ),
    FindingKind.REMOVAL_GUARD: ("Removals held back for approval", "削除が承認待ちで保留されています"),
    FindingKind.INVALID_INPUT: ("Invalid input skipped", "不正な入力をスキップしました"),
    FindingKind.ACTION_FAILED: ("A change failed", "変更に失敗しました"),
    FindingKind.MAIL_UNDELIVERABLE: ("Portal mail cannot be delivered", "ポータルのメールを配信できません"),
    FindingKind.ACCOUNT_UNREACHABLE: (
        "The reseller account cannot be reached",
        "販売パートナー アカウントに接続できません",
    ),
    FindingKind.ROSTER_SOURCE_UNREADABLE: (
        "The roster group or sheet cannot be read",
        "名簿のグループまたはスプレッドシートを読み取れません",
    ),
    FindingKind.ROSTER_LEAVERS_BLOCKED: (
        "Leavers not deactivated: the roster has invalid rows",
        "名簿に不正な行があるため、退職者を無効にしていません",
    ),
}
SEVERITY_WORDS: Mapping[Severity, tuple[str, str]] = {
    Severity.CRITICAL: ("Critical", "重大"),
    Severity.WARNING: ("Warning", "警告"),
    Severity.INFO: ("Info", "情報"),
}


def _pick(pair: tuple[str, str], locale: Locale) -> str:
    return pair[1] if locale == "ja" else pair[0]


def display_name(given: str, family: str, locale: Locale) -> str:
    return f"{family} {given}" if locale == "ja" else f"{given} {family}"


def _message(
    kind: MailKind, message_id: str, to: Sequence[str], locale: Locale, values: Mapping[str, Value]
) -> MailMessage:
    rendered = render(kind.value, locale, values)
    return MailMessage(message_id, kind, tuple(to), rendered.subject, rendered.text, rendered.html, locale)


def onboarding(
    person: Person,
    accounts: Sequence[DesiredAccount],
    portal_url: str = DEFAULT_PORTAL_URL,
    batch: str = "",
) -> MailMessage:
    """Tell a person about their accounts; a later mail for a newly added domain gets its own id, and so
    does one for the same accounts in another `batch` (a reactivation)."""
    locale = person.locale
    own_line, line = (OWN_LINE, ACCOUNT_LINE) if locale == "en" else (OWN_LINE_JA, ACCOUNT_LINE_JA)
    lines = [
        (own_line if a.own_account else line).format(email=a.email, domain=a.domain)
        for a in sorted(accounts, key=lambda a: a.domain)
    ]
    emails = ",".join(sorted(a.email for a in accounts))
    digest = hashlib.sha256(emails.encode()).hexdigest()[:16]
    values: dict[str, Value] = {
        "name": display_name(person.given_name, person.family_name, locale),
        "count": str(len(accounts)),
        "accounts": lines,
        "workspace_email": person.workspace_email,
        "portal_url": portal_url,
    }
    return _message(
        MailKind.ONBOARDING,
        f"onboarding/{person.person_id}/{digest}" + (f"/{batch}" if batch else ""),
        [person.workspace_email],
        locale,
        values,
    )


def credentials(person: Person, account_email: str, password: str) -> MailMessage:
    """The initial password, to the person's Workspace address; sent directly, never queued."""
    values: dict[str, Value] = {
        "name": display_name(person.given_name, person.family_name, person.locale),
        "email": account_email,
        "password": password,
        "signin_url": SIGNIN_URL,
    }
    return _message(
        MailKind.CREDENTIALS, f"credentials/{account_email}", [person.workspace_email], person.locale, values
    )


def _where(alert: Alert, locale: Locale) -> str:
    parts = [p for p in (alert.domain, alert.email or alert.person_id) if p]
    return ", ".join(parts) or _pick(("the whole account", "アカウント全体"), locale)


def _fix(alert: Alert, locale: Locale) -> str:
    fix = dict(alert.fix or {})
    text = fix.get(locale) or next(iter(fix.values()), "")
    if not text:
        text = _pick(
            (
                "No console steps are known for this yet; see the details above.",
                "この問題の管理コンソールでの手順はまだ用意されていません。上記の詳細をご確認ください。",
            ),
            locale,
        )
    if alert.suggestion:
        text += "\n" + _pick(("Suggestion: ", "提案: "), locale) + alert.suggestion
    return text


def alert_mail(alert: Alert, recipients: Sequence[str], locale: Locale) -> MailMessage:
    """One mail when an alert opens; its id ties it to that opening, so retries do not repeat it."""
    values: dict[str, Value] = {
        "severity": _pick(SEVERITY_WORDS[alert.severity], locale),
        "title": _pick(TITLES.get(alert.kind, (alert.kind.value, alert.kind.value)), locale),
        "account": alert.account_id,
        "where": _where(alert, locale),
        "first_seen": alert.first_seen,
        "detail": alert.detail,
        "fix": _fix(alert, locale),
    }
    return _message(MailKind.ALERT, f"alert/{alert.key}/{alert.first_seen}", recipients, locale, values)


def _line(alert: Alert, locale: Locale) -> str:
    title = _pick(TITLES.get(alert.kind, (alert.kind.value, alert.kind.value)), locale)
    severity = _pick(SEVERITY_WORDS[alert.severity], locale)
    seen = _pick(
        (
            f"first seen {alert.first_seen}, {alert.count} runs",
            f"初回検出 {alert.first_seen}、{alert.count} 回",
        ),
        locale,
    )
    return f"[{severity}] {title}: {alert.account_id} / {_where(alert, locale)} ({seen})\n{alert.detail}"


def digest_mail(
    summary: Digest,
    recipients: Sequence[str],
    locale: Locale,
    group_id: str,
    not_reported: Sequence[str] = (),
) -> MailMessage:
    """The nightly summary of one run group: its id is in the message id, so one mail per nightly run
    whatever the number of retries (two runs on one day get two digests).
    `not_reported`: accounts whose sync never finished, so their alerts may be out of date."""
    none = _pick(("None.", "なし"), locale)

    def section(alerts: Sequence[Alert]) -> Value:
        return [_line(a, locale) for a in alerts] if alerts else none

    values: dict[str, Value] = {
        "since": summary.since,
        "new": section(summary.new),
        "still_open": section(summary.still_open),
        "resolved": section(summary.resolved),
        "new_count": str(len(summary.new)),
        "open_count": str(len(summary.still_open)),
        "resolved_count": str(len(summary.resolved)),
        "not_reported": list(not_reported) if not_reported else none,
        "not_reported_count": str(len(not_reported)),
    }
    return _message(MailKind.DIGEST, f"digest/{group_id}", recipients, locale, values)
