"""The Admin console steps that fix each finding, in English and Japanese, with the labels admins see.

Some of the setup has no public API (automatic licensing per org unit, subscribing to Cloud Identity Free,
raising its user cap, mail redirects); portalsync sees the symptom and an alert carries these steps, so the
admin who reads it need not look anything up. Steps are run as a super admin of the reseller account named
in the alert (an account that does not end in @gmail.com).
"""

from __future__ import annotations

from portalsync.actions import FindingKind

K = FindingKind

_EN: dict[FindingKind, tuple[str, ...]] = {
    K.CI_FREE_NOT_SUBSCRIBED: (
        "Billing > Get more services > Cloud Identity.",
        "Next to Cloud Identity Free click Get started, review the terms, then Checkout > Place order.",
        "Before the next sync, turn automatic licensing off for the portal org unit (see "
        "paid_license_assigned).",
        "The next sync creates the missing accounts.",
    ),
    K.CI_FREE_CAP_REACHED: (
        "Billing > Subscriptions: Cloud Identity Free shows how many licenses the account has (usually 50 "
        "or more).",
        "As a super admin, ask for more through the Cloud Identity license request form "
        "(linked from Google's help on the Cloud Identity Free user limit).",
        "Once the limit is raised, the next sync creates the remaining accounts.",
    ),
    K.CI_FREE_MISSING: (
        "Directory > Users: select the accounts named in the alert.",
        "More options > Assign licenses > Cloud Identity Free > Assign.",
        "If the license cannot be assigned, check Billing > Subscriptions for Cloud Identity Free.",
    ),
    K.PAID_LICENSE_ASSIGNED: (
        "Billing > License settings: click the portal org unit on the left.",
        "Point at the Google Workspace subscription > Edit > choose Off > Override.",
        "For each account named in the alert: Directory > Users > the user > Licenses > Edit > "
        "set Google Workspace to Unassigned > Save (Cloud Identity Free stays).",
    ),
    K.ROLE_UNRESOLVABLE: (
        "Account > Admin roles: check that Reseller Admin is listed (reseller accounts only).",
        "If it is listed under another API name, add that name to reseller_admin_role_names in the settings.",
        "Or switch this reseller account to a custom role (role kind: custom); portalsync creates it with "
        "View customers and Access customer support cases.",
    ),
    K.PRIVILEGES_UNRESOLVABLE: (
        "Account > Admin roles > the portal role > Privileges > Admin console privileges.",
        "Under Partner tools > Customers tick View customers and Access customer support cases > Save.",
        "If privileges.list names them differently in this account, set view_customers_privilege and "
        "support_cases_privilege in the settings.",
    ),
    K.ACCOUNT_CONFLICT: (
        "The address belongs to an account portalsync did not create; it was left untouched.",
        "Add the suggested username to the person's username_overrides for that domain in the roster; "
        "the next sync creates the portal account under the new address.",
        "Or, if the existing account is stale, check it in Directory > Users and rename or delete it "
        "yourself.",
    ),
    K.REMOVAL_GUARD: (
        "Nothing was suspended. Check the roster: people removed, marked inactive or taken off a domain.",
        "If the removals are intended, record an approval for this reseller account allowing at least the "
        "number in the alert; the next sync suspends them and revokes the portal role.",
        "Suspended accounts can be restored at Directory > Users > the user > Reactivate.",
    ),
    K.INVALID_INPUT: (
        "Correct the roster entry or setting named in the alert; everything else was synced.",
        "The next sync picks up the corrected entry.",
    ),
    K.ACTION_FAILED: (
        "Read the API message in the alert; the next sync retries the step.",
        "If it keeps failing with 403, check that the admin subject is still a super admin "
        "(Account > Admin roles > Super Admin > Admins) and the delegation (see account_unreachable).",
    ),
    K.ACCOUNT_UNREACHABLE: (
        "Security > Access and data control > API controls > Manage Domain Wide Delegation.",
        "Add (or edit) portalsync's service account client ID with exactly the scopes printed by "
        "`python -m portalsync.scopes --for workspace` > Authorize.",
        "Check that the reseller account's admin subject exists, is not suspended and is a super admin.",
    ),
    K.MAIL_UNDELIVERABLE: (
        "Cloud Identity accounts have no mailbox, so portal and case mail needs a route to the person.",
        "Either Apps > Google Workspace > Gmail > Routing > Recipient address map > Configure: map the "
        "Cloud Identity address to the person's Google Workspace address > Save,",
        "or the person signs in to the Cloud support portal and adds their Workspace address under Case "
        "sharing.",
        "If portalsync's own mail was refused (the alert's details give the provider's answer): check that "
        "the recipient address exists, and that PORTALSYNC_MAIL_SENDER is a user with Gmail (Directory > "
        "Users > the sender > Licenses); the next drain sends new mail, the refused message is not retried.",
    ),
    K.ROSTER_SOURCE_UNREADABLE: (
        "The roster was not refreshed: accounts were synced from the roster already stored, and nobody was "
        "deactivated.",
        "Check the source named in the alert: the group address (roster_group) or the spreadsheet id and "
        "tab (roster_sheet) of the deployment must exist.",
        "In the tenant of roster_subject: Security > Access and data control > API controls > Manage Domain "
        "Wide Delegation: portalsync's client ID needs the scopes printed by "
        "`python -m portalsync.scopes --for roster-group` (or `--for roster-sheet`); add `--for workspace` "
        "if that tenant is also a reseller account.",
        "A group must belong to that tenant and roster_subject must be an admin who can read its members; "
        "a sheet must be shared with roster_subject (Share > Viewer).",
        "The next nightly run that reads the source resolves this alert.",
    ),
    K.ROSTER_LEAVERS_BLOCKED: (
        "Nobody was deactivated: a person on an invalid row would otherwise lose access by mistake.",
        "Correct (or delete) the rows named in the alert in the roster's group, sheet or CSV file.",
        "The next import without invalid rows deactivates the people who left (the mass-removal guard "
        "still applies) and resolves this alert.",
    ),
}

_JA: dict[FindingKind, tuple[str, ...]] = {
    K.CI_FREE_NOT_SUBSCRIBED: (
        "[お支払い] > [その他のサービスを利用する] > [Cloud Identity] を開きます。",
        "[Cloud Identity Free] の [開始] をクリックし、内容を確認して [購入手続き] > [注文] を行います。",
        "次の同期までに、ポータル用の組織部門でライセンスの自動割り当てをオフにします"
        "(paid_license_assigned を参照)。",
        "次の同期で不足しているアカウントが作成されます。",
    ),
    K.CI_FREE_CAP_REACHED: (
        "[お支払い] > [サブスクリプション] で Cloud Identity Free のライセンス数(通常 50 以上)を確認します。",
        "特権管理者が Cloud Identity ライセンスのリクエスト フォーム"
        "(Cloud Identity Free のユーザー数上限に関する Google ヘルプから開けます)で追加を申請します。",
        "上限が引き上げられると、次の同期で残りのアカウントが作成されます。",
    ),
    K.CI_FREE_MISSING: (
        "[ディレクトリ] > [ユーザー] で、アラートに記載されたアカウントを選択します。",
        "[その他のオプション] > [ライセンスを割り当て] > [Cloud Identity Free] > [割り当て] "
        "をクリックします。",
        "割り当てられない場合は [お支払い] > [サブスクリプション] で Cloud Identity Free を確認します。",
    ),
    K.PAID_LICENSE_ASSIGNED: (
        "[お支払い] > [ライセンスの設定] を開き、左側でポータル用の組織部門をクリックします。",
        "Google Workspace のサブスクリプションにカーソルを合わせて [編集] > [オフ] を選び、[オーバーライド] "
        "をクリックします。",
        "アラートに記載された各アカウントで [ディレクトリ] > [ユーザー] > ユーザー > [ライセンス] > [編集] > "
        "Google Workspace を [未割り当て] にして [保存] します(Cloud Identity Free はそのまま)。",
    ),
    K.ROLE_UNRESOLVABLE: (
        "[アカウント] > [管理者ロール] に [販売パートナー管理者] があることを確認します(販売パートナーのみ)"
        "。",
        "別の API 名で表示される場合は、その名前を設定の reseller_admin_role_names に追加します。",
        "または、この販売パートナー アカウントをカスタムロール(role kind: custom)に切り替えます。"
        "portalsync が [顧客を表示] と [お客様のサポートケースにアクセスする] を持つロールを作成します。",
    ),
    K.PRIVILEGES_UNRESOLVABLE: (
        "[アカウント] > [管理者ロール] > ポータル用のロール > [権限] > [管理コンソールの権限] を開きます。",
        "[販売パートナー用ツール] > [お客様] で [顧客を表示] と [お客様のサポートケースにアクセスする] "
        "にチェックを入れて [保存] します。",
        "このアカウントの privileges.list で名前が異なる場合は、設定の view_customers_privilege と "
        "support_cases_privilege を変更します。",
    ),
    K.ACCOUNT_CONFLICT: (
        "このアドレスは portalsync が作成していないアカウントのものです。変更はしていません。",
        "名簿でその人の username_overrides に、そのドメイン用の提案されたユーザー名を追加します。"
        "次の同期で新しいアドレスのポータル用アカウントが作成されます。",
        "既存のアカウントが不要な場合は、[ディレクトリ] > [ユーザー] で確認し、"
        "ご自身で名前変更または削除します。",
    ),
    K.REMOVAL_GUARD: (
        "何も停止していません。名簿を確認してください(削除された人、無効にされた人、ドメインから外された人)"
        "。",
        "意図どおりの削除であれば、この販売パートナー アカウントについてアラートの件数以上を許可する承認を"
        "登録します。次の同期で停止し、ポータル用のロールを取り消します。",
        "停止したアカウントは [ディレクトリ] > [ユーザー] > ユーザー > [再開] で元に戻せます。",
    ),
    K.INVALID_INPUT: (
        "アラートに記載された名簿の行または設定を修正します。それ以外は同期済みです。",
        "次の同期で修正内容が反映されます。",
    ),
    K.ACTION_FAILED: (
        "アラートの API メッセージを確認します。次の同期でこの手順は再試行されます。",
        "403 で失敗し続ける場合は、管理者アカウントが特権管理者のままか([アカウント] > [管理者ロール] > "
        "[特権管理者] > [管理者])と、ドメイン全体の委任(account_unreachable を参照)を確認します。",
    ),
    K.ACCOUNT_UNREACHABLE: (
        "[セキュリティ] > [アクセスとデータ管理] > [API の制御] > [ドメイン全体の委任を管理] を開きます。",
        "portalsync のサービス アカウントのクライアント ID を、"
        "`python -m portalsync.scopes --for workspace` が出力するスコープと同じ内容で追加(または編集)し、"
        "[承認] をクリックします。",
        "販売パートナー アカウントの管理者アカウントが存在し、停止されておらず、"
        "特権管理者であることを確認します。",
    ),
    K.MAIL_UNDELIVERABLE: (
        "Cloud Identity のアカウントにはメールボックスがないため、"
        "ポータルやケースのメールに配信経路が必要です。",
        "[アプリ] > [Google Workspace] > [Gmail] > [ルーティング] > [受信者アドレスマップ] > [設定] で、"
        "Cloud Identity のアドレスをその人の Google Workspace のアドレスに対応付けて [保存] します。",
        "または、本人が Cloud サポート ポータルにログインし、[ケースの共有] に Workspace "
        "のアドレスを追加します。",
        "portalsync 自身のメールが拒否された場合（詳細に配信側の応答があります）: "
        "宛先のアドレスが存在すること、PORTALSYNC_MAIL_SENDER が Gmail を使えるユーザーであること"
        "（[ディレクトリ] > [ユーザー] > 送信者 > "
        "[ライセンス]）を確認します。拒否されたメールは再送されず、次回以降のメールから送信されます。",
    ),
    K.ROSTER_SOURCE_UNREADABLE: (
        "名簿は更新されていません。保存済みの名簿でアカウントを同期し、無効にした人はいません。",
        "アラートに記載された名簿を確認します。デプロイの roster_group(グループのアドレス)"
        "または roster_sheet(スプレッドシート ID とシート名)が存在する必要があります。",
        "roster_subject のテナントで [セキュリティ] > [アクセスとデータ管理] > [API の制御] > "
        "[ドメイン全体の委任を管理] を開き、portalsync のクライアント ID に "
        "`python -m portalsync.scopes --for roster-group`(または `--for roster-sheet`)が出力する"
        "スコープがあることを確認します。そのテナントが販売パートナー アカウントでもある場合は "
        "`--for workspace` も加えます。",
        "グループはそのテナントのもので、roster_subject がメンバーを読み取れる管理者である必要があります。"
        "スプレッドシートは roster_subject と共有([共有] > [閲覧者])されている必要があります。",
        "次回の夜間実行で名簿を読み取れると、このアラートは解決します。",
    ),
    K.ROSTER_LEAVERS_BLOCKED: (
        "無効にした人はいません。不正な行の人が誤ってアクセスを失うのを防ぐためです。",
        "アラートに記載された行を、名簿のグループ、スプレッドシートまたは CSV ファイルで修正(または削除)"
        "します。",
        "不正な行のない次回の取り込みで退職者が無効になり(大量削除の保護は引き続き有効です)、"
        "このアラートは解決します。",
    ),
}

_BY_LOCALE = {"en": _EN, "ja": _JA}


def remedy(kind: FindingKind, locale: str = "en") -> str:
    """Numbered console steps for `kind`; English for any locale other than Japanese."""
    steps = _BY_LOCALE.get(locale, _EN)[kind]
    return "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
