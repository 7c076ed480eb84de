"""Notification mail through gmail.users.messages.send, as portalsync sends it with a delegated subject."""

from __future__ import annotations

import base64
import json
from email.message import EmailMessage
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from tests.support.google_clients import directory, gmail, licensing
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator


def error(err: HttpError) -> tuple[int, str, str]:
    body = json.loads(err.content)["error"]
    return body["code"], body["errors"][0]["reason"], body["message"]


def raw(sender: str, to: str | None, subject: str = "Your Customer Care Portal account") -> str:
    message = EmailMessage()
    message["From"] = sender
    if to:
        message["To"] = to
    message["Subject"] = subject
    message.set_content("Sign in at https://accounts.google.com with your new account.")
    return base64.urlsafe_b64encode(message.as_bytes()).decode()


def send(url: str, subject: str, body: dict[str, Any], user_id: str = "me") -> Any:
    return gmail(url, subject).users().messages().send(userId=user_id, body=body).execute()


def test_send_keeps_the_message_and_answers_like_gmail(control: ControlClient, emulator_url: str) -> None:
    payload = raw("admin@a.example", "Sam Staff <sam@partner.example>, ops@a.example")
    sent = send(emulator_url, "admin@a.example", {"raw": payload})
    assert set(sent) == {"id", "threadId", "labelIds"}
    assert sent["labelIds"] == ["SENT"]
    [kept] = control.get("mail")
    assert kept["id"] == sent["id"]
    assert kept["threadId"] == sent["threadId"]
    assert kept["from"] == "admin@a.example"
    assert kept["to"] == ["sam@partner.example", "ops@a.example"]
    assert kept["subject"] == "Your Customer Care Portal account"
    assert kept["raw"] == payload
    assert b"Sign in at" in base64.urlsafe_b64decode(kept["raw"])


def test_each_send_is_a_new_message(control: ControlClient, emulator_url: str) -> None:
    first = send(emulator_url, "admin@a.example", {"raw": raw("admin@a.example", "x@partner.example", "one")})
    second = send(
        emulator_url, "admin@a.example", {"raw": raw("admin@a.example", "x@partner.example", "two")}
    )
    assert first["id"] != second["id"]
    assert [m["subject"] for m in control.get("mail")] == ["one", "two"]


def test_user_id_may_be_the_subjects_own_address_only(control: ControlClient, emulator_url: str) -> None:
    send(
        emulator_url,
        "admin@a.example",
        {"raw": raw("admin@a.example", "x@partner.example")},
        "admin@a.example",
    )
    with pytest.raises(HttpError) as err:
        send(
            emulator_url,
            "admin@a.example",
            {"raw": raw("admin@a.example", "x@partner.example")},
            "admin@b.example",
        )
    assert error(err.value) == (403, "forbidden", "Delegation denied for admin@a.example")
    assert len(control.get("mail")) == 1


def test_a_cloud_identity_account_has_no_mailbox_until_licensed(
    control: ControlClient, emulator_url: str
) -> None:
    directory(emulator_url, "admin@a.example").users().insert(
        body={
            "primaryEmail": "ccp@a.example",
            "name": {"givenName": "Cara", "familyName": "Ident"},
            "password": "correct-horse-battery",
        }
    ).execute()
    body = {"raw": raw("ccp@a.example", "x@partner.example")}
    with pytest.raises(HttpError) as err:
        send(emulator_url, "ccp@a.example", body)
    assert error(err.value) == (400, "failedPrecondition", "Mail service not enabled")
    assert control.get("mail") == []
    licensing(emulator_url, "admin@a.example").licenseAssignments().insert(
        productId="Google-Apps", skuId="1010020028", body={"userId": "ccp@a.example"}
    ).execute()
    assert send(emulator_url, "ccp@a.example", body)["labelIds"] == ["SENT"]
    assert [m["sender"] for m in control.get("mail")] == ["ccp@a.example"]


def test_from_is_always_the_sending_user(control: ControlClient, emulator_url: str) -> None:
    send(emulator_url, "admin@a.example", {"raw": raw("ceo@b.example", "x@partner.example")})
    assert control.get("mail")[0]["from"] == "admin@a.example"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "'raw' RFC822 payload"),
        ({"raw": raw("admin@a.example", None)}, "Recipient address required"),
        ({"raw": "not base64url!"}, "Invalid value for ByteString"),
    ],
    ids=["no-raw", "no-recipient", "not-base64url"],
)
def test_send_rejects_messages_gmail_would_reject(
    control: ControlClient, emulator_url: str, body: dict[str, Any], message: str
) -> None:
    with pytest.raises(HttpError) as err:
        send(emulator_url, "admin@a.example", body)
    code, reason, text = error(err.value)
    assert (code, reason) == (400, "invalidArgument")
    assert message in text
    assert control.get("mail") == []
