"""Keyless domain-wide delegation against a configurable IAM Credentials endpoint.

google-auth's own keyless paths (`google.auth.iam.Signer`, `impersonated_credentials` with `subject`)
hard-code `iamcredentials.googleapis.com` and `oauth2.googleapis.com`, so tests use these equivalents: the
grant JWT is signed by IAM (signBlob or signJwt) through google-api-python-client and traded at `token_uri`.
"""

from __future__ import annotations

import base64
import datetime
import json
from typing import Any

from google.auth import crypt
from google.oauth2 import service_account
from googleapiclient.discovery import build

from tests.support.google_clients import bearer

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"


def iam_service(url: str, caller_token: str = "runtime-sa-token") -> Any:  # noqa: S107
    """IAM Credentials as a function's runtime service account would call it (any token passes)."""
    return build(
        "iamcredentials",
        "v1",
        credentials=bearer(caller_token),
        client_options={"api_endpoint": url},
        cache_discovery=False,
        static_discovery=True,
    )


def _name(email: str) -> str:
    return f"projects/-/serviceAccounts/{email}"


class IamBlobSigner(crypt.Signer):
    """Signs bytes with the service account's Google-held key through `signBlob`."""

    def __init__(self, iam: Any, email: str) -> None:
        self._iam = iam
        self._email = email

    @property
    def key_id(self) -> str | None:
        return None  # IAM picks the key; it cannot be known in advance

    def sign(self, message: str | bytes) -> bytes:
        data = message.encode() if isinstance(message, str) else message
        body = {"payload": base64.b64encode(data).decode()}
        resp = self._iam.projects().serviceAccounts().signBlob(name=_name(self._email), body=body).execute()
        return base64.b64decode(resp["signedBlob"])


def blob_signed_credentials(
    iam: Any, email: str, token_uri: str, scopes: list[str], subject: str
) -> service_account.Credentials:
    credentials: service_account.Credentials = service_account.Credentials(  # type: ignore[no-untyped-call]  # google-auth: unannotated
        IamBlobSigner(iam, email), email, token_uri, scopes=scopes, subject=subject
    )
    return credentials


class SignJwtCredentials(service_account.Credentials):
    """Delegated credentials whose grant assertion IAM `signJwt` signs, as GAM's signjwt credentials do."""

    def __init__(self, iam: Any, email: str, token_uri: str, scopes: list[str], subject: str) -> None:
        super().__init__(  # type: ignore[no-untyped-call]  # google-auth: unannotated
            IamBlobSigner(iam, email), email, token_uri, scopes=scopes, subject=subject
        )
        self._iam = iam

    def _make_authorization_grant_assertion(self) -> bytes:
        now = int(datetime.datetime.now(datetime.UTC).timestamp())
        claims = {
            "iss": self._service_account_email,
            "sub": self._subject,
            "scope": " ".join(self._scopes or ()),
            "aud": GOOGLE_TOKEN_URI,
            "iat": now,
            "exp": now + 3600,
        }
        resp = (
            self._iam.projects()
            .serviceAccounts()
            .signJwt(name=_name(self._service_account_email), body={"payload": json.dumps(claims)})
            .execute()
        )
        return str(resp["signedJwt"]).encode()
