"""The composition root: the only place real clients are built, lazily, from environment variables.

Importing this module is cheap: Firestore and the discovery-based API clients are imported when a client is
first built, so a Cloud Function's cold start pays only for what its trigger uses. Tests pass in fakes.

The environment variables (GOOGLE_CLOUD_PROJECT, FIRESTORE_EMULATOR_HOST, PORTALSYNC_WORKSPACE_ENDPOINT,
PORTALSYNC_AUTH_MODE, PORTALSYNC_SERVICE_ACCOUNT, PORTALSYNC_MAIL_SENDER, ...) are listed in the README under
"Configuration".
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from portalsync import scopes
from portalsync.adapters.auth import GOOGLE_TOKEN_URI, IAM_CREDENTIALS_ENDPOINT, AuthConfig, AuthMode
from portalsync.adapters.throttle import DIRECTORY_PER_MINUTE, LICENSING_PER_MINUTE
from portalsync.flow_ports import CredentialsDue, Welcomes
from portalsync.mail.delivery import MailError
from portalsync.mail.message import MailMessage
from portalsync.model import ResellerAccount, Settings
from portalsync.notify import Notifier
from portalsync.onboarding import Onboarding
from portalsync.ports import Clock, FindingSink, Mailer, Outbox, Workspace, WorkspaceFactory
from portalsync.results import PasswordFactory, random_password
from portalsync.service import Service

if TYPE_CHECKING:
    from portalsync.adapters.firestore_store import FirestoreStore
    from portalsync.adapters.retry import RetryPolicy

DEFAULT_PROJECT = "demo-portalsync"
AUTH_MODES: tuple[AuthMode, ...] = ("emulator", "keyless", "keyfile")


class SystemClock:
    def now_iso(self) -> str:
        """Microseconds: run groups, runs and alerts are ordered by these strings, and two runs (or a run and
        the digest's `since`) often fall in one second."""
        return datetime.now(UTC).isoformat(timespec="microseconds")

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class Config:
    project: str = DEFAULT_PROJECT
    firestore_emulator_host: str | None = None
    database: str = "(default)"
    workspace_endpoint: str | None = None
    auth: AuthConfig = field(default_factory=AuthConfig)
    #: per reseller account; raise them only when Google has raised the project's quota
    directory_quota_per_minute: float = DIRECTORY_PER_MINUTE
    licensing_quota_per_minute: float = LICENSING_PER_MINUTE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        env = os.environ if env is None else env
        endpoint = env.get("PORTALSYNC_WORKSPACE_ENDPOINT") or None
        if endpoint:
            endpoint = endpoint.rstrip("/") + "/"
        mode = env.get("PORTALSYNC_AUTH_MODE") or ("emulator" if endpoint else "keyless")
        if mode not in AUTH_MODES:
            raise ValueError(f"PORTALSYNC_AUTH_MODE must be one of {', '.join(AUTH_MODES)}, not {mode!r}")
        auth = AuthConfig(
            mode=mode,  # checked against AUTH_MODES above
            service_account_email=env.get("PORTALSYNC_SERVICE_ACCOUNT", ""),
            key_file=env.get("PORTALSYNC_KEY_FILE", ""),
            token_uri=env.get("PORTALSYNC_TOKEN_URI")
            or (endpoint + "token" if endpoint else GOOGLE_TOKEN_URI),
            iam_endpoint=env.get("PORTALSYNC_IAM_ENDPOINT") or endpoint or IAM_CREDENTIALS_ENDPOINT,
        )
        return cls(
            project=env.get("GOOGLE_CLOUD_PROJECT") or DEFAULT_PROJECT,
            firestore_emulator_host=env.get("FIRESTORE_EMULATOR_HOST") or None,
            database=env.get("PORTALSYNC_FIRESTORE_DATABASE") or "(default)",
            workspace_endpoint=endpoint,
            auth=auth,
            directory_quota_per_minute=_per_minute(
                env, "PORTALSYNC_DIRECTORY_QUOTA_PER_MINUTE", DIRECTORY_PER_MINUTE
            ),
            licensing_quota_per_minute=_per_minute(
                env, "PORTALSYNC_LICENSING_QUOTA_PER_MINUTE", LICENSING_PER_MINUTE
            ),
        )


def _per_minute(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name) or ""
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of calls a minute, not {raw!r}")
    return value


def firestore_client(config: Config) -> Any:
    from google.cloud import firestore

    if config.firestore_emulator_host:
        from google.auth.credentials import AnonymousCredentials

        os.environ.setdefault("FIRESTORE_EMULATOR_HOST", config.firestore_emulator_host)
        return firestore.Client(
            project=config.project,
            database=config.database,
            credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        )
    return firestore.Client(project=config.project, database=config.database)


def state_store(config: Config, clock: SystemClock | None = None) -> FirestoreStore:
    from portalsync.adapters.firestore_store import FirestoreStore

    return FirestoreStore(firestore_client(config), now=(clock or SystemClock()).now_iso)


class GoogleWorkspaces:
    """`WorkspaceFactory`: one adapter per reseller account, delegated to its super admin, built on first
    use and kept for the process (its credentials, token and quota throttle with it); every delegated
    credential of the process (adapters, the mailer, the roster sources) comes from `credentials`."""

    def __init__(self, config: Config, retry: RetryPolicy | None = None) -> None:
        self.config = config
        self.retry = retry  # None: Google's recipe; tests scale it down with the emulator's timeScale
        self._source: Any = None  # the runtime identity, looked up once (keyless only)
        self._credentials: dict[tuple[str, tuple[str, ...]], Any] = {}
        self._adapters: dict[tuple[str, str], Workspace] = {}

    def credentials(self, subject: str, scopes: Sequence[str] | None = None) -> Any:
        """`subject`'s delegated credentials with exactly `scopes` (the adapter's by default), made once."""
        from portalsync.adapters.auth import WORKSPACE_SCOPES, delegated_credentials, runtime_credentials

        wanted = tuple(WORKSPACE_SCOPES if scopes is None else scopes)
        key = (subject, wanted)
        if key not in self._credentials:
            if self.config.auth.mode == "keyless" and self._source is None:
                self._source = self._runtime_identity(runtime_credentials)
            self._credentials[key] = delegated_credentials(
                self.config.auth, subject, wanted, source=self._source
            )
        return self._credentials[key]

    def __call__(self, account: ResellerAccount) -> Workspace:
        key = (account.account_id, account.admin_subject)  # a new super admin: a new adapter
        adapter = self._adapters.get(key)
        if adapter is None:
            adapter = self._adapters[key] = self._build(account)
        return adapter

    def _build(self, account: ResellerAccount) -> Workspace:
        from portalsync.adapters.workspace import ApiLimits, GoogleEndpoints, GoogleWorkspace

        credentials = self.credentials(account.admin_subject)
        endpoint = self.config.workspace_endpoint
        endpoints = GoogleEndpoints.single_host(endpoint) if endpoint else GoogleEndpoints()
        limits = ApiLimits(
            directory_per_minute=self.config.directory_quota_per_minute,
            licensing_per_minute=self.config.licensing_quota_per_minute,
        )
        return GoogleWorkspace(credentials, endpoints, limits, self.retry)

    def _runtime_identity(self, lookup: Any) -> Any:
        """Application default credentials; against the emulator (whose IAM accepts any bearer) a stand-in."""
        if not self.config.workspace_endpoint:
            return lookup()
        from google.oauth2.credentials import Credentials

        return Credentials(token="emulator-runtime")  # type: ignore[no-untyped-call]  # noqa: S106


def notifier(store: FirestoreStore, clock: Clock) -> Notifier:
    """Alerts and their mail on the store's database: the one writer of alert documents, for every trigger
    (the CLI's syncs queue their alert mail in the outbox like the functions do)."""
    from portalsync.adapters.firestore_flows import FirestoreAlertBook
    from portalsync.adapters.firestore_outbox import FirestoreOutbox

    return Notifier(FirestoreAlertBook(store.client), FirestoreOutbox(store.client), store, clock)


class NoMailer:
    """No sender configured: mail stays queued (and credentials due) until one is."""

    configured = False

    def send(self, message: MailMessage) -> str:
        raise MailError("no mail sender configured (settings/global sender or PORTALSYNC_MAIL_SENDER)")


def delegated(config: Config, workspaces: GoogleWorkspaces, subject: str, scope: tuple[str, ...]) -> Any:
    """Credentials of `subject` in its own tenant, for a client other than the Workspace adapter (cached by
    `workspaces`, with its one runtime-identity lookup)."""
    return workspaces.credentials(subject, scope)


class SenderMailer:
    """A `Mailer` whose sender is decided when mailing: `settings/global` `sender` when set (operators
    change it without a redeploy), else PORTALSYNC_MAIL_SENDER. The transport for a sender (for Gmail, a
    credential delegated to that sender in its own tenant) is built on its first mail and kept."""

    def __init__(
        self, fallback: str, settings: Callable[[], Settings], make: Callable[[str], Mailer]
    ) -> None:
        self.fallback, self.settings, self.make = fallback, settings, make
        self._by_sender: dict[str, Mailer] = {}

    def sender(self) -> str:
        return self.settings().sender or self.fallback

    @property
    def configured(self) -> bool:
        return bool(self.sender())

    def mailer_for(self, sender: str) -> Mailer:
        if sender not in self._by_sender:
            self._by_sender[sender] = self.make(sender)
        return self._by_sender[sender]

    def send(self, message: MailMessage) -> str:
        return self.for_now().send(message)

    def for_now(self) -> Mailer:
        """A mailer bound to the sender decided now (one settings read): a drain or a batch of credentials
        mails uses it for all its messages and its `configured` check."""
        sender = self.sender()
        return self.mailer_for(sender) if sender else NoMailer()


def mailer(
    config: Config,
    workspaces: GoogleWorkspaces,
    env: Mapping[str, str],
    settings: Callable[[], Settings] | None = None,
) -> Mailer:
    """The mailer of PORTALSYNC_MAIL_TRANSPORT; `settings` (read when mailing) may name the sender."""
    fallback = env.get("PORTALSYNC_MAIL_SENDER", "")
    if not fallback and settings is None:
        return NoMailer()
    if env.get("PORTALSYNC_MAIL_TRANSPORT", "gmail") == "smtp":
        from portalsync.adapters.smtp_mailer import SmtpConfig, SmtpMailer

        smtp = SmtpConfig(
            host=env.get("PORTALSYNC_SMTP_HOST", ""),
            port=int(env.get("PORTALSYNC_SMTP_PORT") or 587),
            username=env.get("PORTALSYNC_SMTP_USERNAME", ""),
            password=env.get("PORTALSYNC_SMTP_PASSWORD", ""),
        )

        def make(sender: str) -> Mailer:
            return SmtpMailer(smtp, sender)

    else:

        def make(sender: str) -> Mailer:
            from portalsync.adapters.gmail_mailer import GMAIL_ENDPOINT, GmailMailer

            credentials = delegated(config, workspaces, sender, scopes.MAIL_SENDER)
            return GmailMailer(credentials, sender, endpoint=config.workspace_endpoint or GMAIL_ENDPOINT)

    return SenderMailer(fallback, settings or Settings, make)


def build_onboarding(
    config: Config | None = None,
    *,
    env: Mapping[str, str] | None = None,
    store: Any = None,
    workspaces: WorkspaceFactory | None = None,
    clock: Any = None,
    passwords: PasswordFactory = random_password,
    findings: FindingSink | None = None,
    outbox: Outbox | None = None,
    due: CredentialsDue | None = None,
    welcomes: Welcomes | None = None,
    mail: Mailer | None = None,
) -> Onboarding:
    """The one builder of every composition root (functions, CLI): the service with the onboarding steps
    attached, so an account created by any trigger is recorded due its credentials and a welcome.

    Real adapters for whatever is not given (Firestore on `store`'s database, the mailer from `env`)."""
    env = os.environ if env is None else env
    config = config or Config.from_env(env)
    clock = clock or SystemClock()
    store = store if store is not None else state_store(config, clock)
    google = GoogleWorkspaces(config)
    if outbox is None or due is None or welcomes is None:
        from portalsync.adapters import firestore_flows as fs
        from portalsync.adapters.firestore_outbox import FirestoreOutbox

        outbox = outbox or FirestoreOutbox(store.client)
        due = due or fs.FirestoreCredentialsDue(store.client)
        welcomes = welcomes or fs.FirestoreWelcomes(store.client)
    service = Service(
        store,
        workspaces or google,
        clock,
        passwords,
        findings=findings if findings is not None else notifier(store, clock),
    )
    factory = workspaces if isinstance(workspaces, GoogleWorkspaces) else google
    sender = mail or mailer(config, factory, env, settings=store.load_settings)
    return Onboarding(service, outbox, sender, due, welcomes, passwords)


def build_service(
    config: Config | None = None,
    *,
    store: Any = None,
    workspaces: WorkspaceFactory | None = None,
    clock: Any = None,
    passwords: PasswordFactory = random_password,
    findings: FindingSink | None = None,
) -> Service:
    """The service of `build_onboarding` (its onboarding steps attached), for callers that only sync."""
    return build_onboarding(
        config, store=store, workspaces=workspaces, clock=clock, passwords=passwords, findings=findings
    ).service
