"""Mailers against real servers: Gmail through the Workspace emulator, SMTP against a local aiosmtpd."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from portalsync.adapters.gmail_mailer import GmailMailer
from portalsync.adapters.retry import NO_RETRY
from portalsync.adapters.smtp_mailer import SmtpConfig, SmtpMailer
from portalsync.mail import MailMessage, credentials, onboarding
from portalsync.mail.delivery import MailError
from portalsync.model import DesiredAccount, Person
from tests.support.google_clients import bearer
from tests.support.processes import free_port
from workspace_emulator.client import ControlClient

SENDER = "admin@a.example"
TARO = Person(
    person_id="p1", given_name="太郎", family_name="山田", workspace_email="taro@corp.example", locale="ja"
)


def welcome() -> MailMessage:
    account = DesiredAccount(
        account_id="acct-a",
        person_id="p1",
        domain="a.example",
        email="taro@a.example",
        given_name="太郎",
        family_name="山田",
        recovery_email="taro@corp.example",
        locale="ja",
    )
    return onboarding(TARO, [account])


def parse(raw: bytes) -> EmailMessage:
    parsed = message_from_bytes(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


# --- Gmail ---------------------------------------------------------------------------------------------


def gmail_as(emulator_url: str, sender: str) -> GmailMailer:
    return GmailMailer(bearer(f"emulator:{sender}"), sender, "ポータル案内", emulator_url, NO_RETRY)


@pytest.mark.emulator
def test_gmail_sends_the_mime_message_as_the_sender(control: ControlClient, emulator_url: str) -> None:
    mail = welcome()
    provider_id = gmail_as(emulator_url, SENDER).send(mail)
    [kept] = control.get("mail")
    assert kept["id"] == provider_id
    assert (kept["from"], kept["to"]) == (SENDER, ["taro@corp.example"])
    sent = parse(base64.urlsafe_b64decode(kept["raw"] + "=" * (-len(kept["raw"]) % 4)))
    assert sent["Subject"] == mail.subject
    assert sent["Message-ID"] == mail.header_id
    assert sent["From"].addresses[0].display_name == "ポータル案内"
    body = sent.get_body(("plain",))
    assert body is not None
    assert "ケースの共有" in body.get_content()


@pytest.mark.emulator
def test_gmail_refuses_a_sender_without_a_mailbox_and_the_mail_stays_retryable(
    control: ControlClient, emulator_url: str
) -> None:
    control.post(
        "users",
        {"primaryEmail": "ci-only@a.example", "name": {"givenName": "C", "familyName": "I"}, "license": None},
    )
    with pytest.raises(MailError, match="Mail service not enabled") as raised:
        gmail_as(emulator_url, "ci-only@a.example").send(welcome())
    assert raised.value.permanent is False
    assert control.get("mail") == []


# --- SMTP ----------------------------------------------------------------------------------------------


class Inbox:
    def __init__(self, refuse: str = "") -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address == self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


def _tls(tmp: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for 127.0.0.1: the server's context and a client context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp / "cert.pem", tmp / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"relay-user", b"relay-secret")
    return AuthResult(success=ok, handled=False)  # unhandled: aiosmtpd answers 535 itself


@pytest.fixture
def smtp_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[Inbox, int, ssl.SSLContext]]:
    """aiosmtpd on a free port; `indirect` params: {"tls": bool, "refuse": address}."""
    options: dict[str, Any] = getattr(request, "param", {})
    inbox = Inbox(options.get("refuse", ""))
    server_tls, client_tls = _tls(tmp_path)
    port = free_port()
    tls_args: dict[str, Any] = (
        {
            "tls_context": server_tls,
            "require_starttls": True,
            "authenticator": _authenticate,
            "auth_require_tls": True,
        }
        if options.get("tls")
        else {}
    )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **tls_args)
    controller.start()
    yield inbox, port, client_tls
    controller.stop()


@pytest.mark.parametrize("smtp_server", [{"tls": True}], indirect=True)
def test_smtp_with_starttls_and_login(smtp_server: tuple[Inbox, int, ssl.SSLContext]) -> None:
    inbox, port, client_tls = smtp_server
    config = SmtpConfig("127.0.0.1", port, True, "relay-user", "relay-secret", tls_context=client_tls)
    mail = welcome()
    assert SmtpMailer(config, "portal@corp.example").send(mail) == mail.header_id
    [(mail_from, rcpt_tos, data)] = inbox.received
    assert (mail_from, rcpt_tos) == ("portal@corp.example", ["taro@corp.example"])
    sent = parse(data)
    assert sent["Subject"] == mail.subject
    html = sent.get_body(("html",))
    assert html is not None
    assert html.get_content() == mail.html


@pytest.mark.parametrize("smtp_server", [{"tls": True}], indirect=True)
def test_smtp_wrong_password_is_retryable_not_lost(smtp_server: tuple[Inbox, int, ssl.SSLContext]) -> None:
    inbox, port, client_tls = smtp_server
    config = SmtpConfig("127.0.0.1", port, True, "relay-user", "wrong", tls_context=client_tls)
    with pytest.raises(MailError) as raised:
        SmtpMailer(config, "portal@corp.example").send(welcome())
    assert raised.value.permanent is False
    assert "wrong" not in str(raised.value)
    assert inbox.received == []


def test_smtp_without_tls_sends_the_credentials_mail(smtp_server: tuple[Inbox, int, ssl.SSLContext]) -> None:
    inbox, port, _ = smtp_server
    mail = credentials(TARO, "taro@a.example", "Initial-Pw-1")
    SmtpMailer(SmtpConfig("127.0.0.1", port, starttls=False), "portal@corp.example").send(mail)
    [(_, _, data)] = inbox.received
    body = parse(data).get_body(("plain",))
    assert body is not None
    assert "Initial-Pw-1" in body.get_content()


@pytest.mark.parametrize("smtp_server", [{"refuse": "taro@corp.example"}], indirect=True)
def test_smtp_refused_recipient_is_permanent(smtp_server: tuple[Inbox, int, ssl.SSLContext]) -> None:
    inbox, port, _ = smtp_server
    with pytest.raises(MailError) as raised:
        SmtpMailer(SmtpConfig("127.0.0.1", port, starttls=False), "portal@corp.example").send(welcome())
    assert raised.value.permanent is True
    assert inbox.received == []


def test_smtp_server_down_is_retryable() -> None:
    config = SmtpConfig("127.0.0.1", free_port(), starttls=False, timeout=5)
    with pytest.raises(MailError) as raised:
        SmtpMailer(config, "portal@corp.example").send(welcome())
    assert raised.value.permanent is False
