"""One delegated credential per reseller account: its super admin, reached through domain-wide delegation.

Production is keyless: the grant JWT is signed by IAM Credentials `signBlob` with the function's runtime
identity, then traded at the OAuth token endpoint. We build `service_account.Credentials` around our own
`IamBlobSigner` rather than `impersonated_credentials.Credentials(subject=…)`, because the latter's
`with_scopes()`/`_make_copy()` silently drops `subject` (a non-delegated token results) and its IAM and
token endpoints are hard-coded, so it can be pointed neither at a regional endpoint nor at the emulator.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import google.auth
import google_auth_httplib2
import httplib2
from google.auth import credentials as auth_credentials
from google.auth import crypt
from google.auth import exceptions as auth_exceptions
from google.oauth2 import credentials as oauth2_credentials
from google.oauth2 import service_account

from portalsync import scopes as scope_names

GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"  # noqa: S105 - a URL, not a secret
IAM_CREDENTIALS_ENDPOINT = "https://iamcredentials.googleapis.com/"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"

#: What the workspace adapter calls in every reseller account: users, OUs, roles and licences.
WORKSPACE_SCOPES: tuple[str, ...] = scope_names.WORKSPACE

AuthMode = Literal["emulator", "keyless", "keyfile"]


@dataclass(frozen=True)
class AuthConfig:
    mode: AuthMode = "keyless"
    service_account_email: str = ""
    key_file: str = ""  # keyfile mode: path to the service account's key JSON
    token_uri: str = GOOGLE_TOKEN_URI
    iam_endpoint: str = IAM_CREDENTIALS_ENDPOINT


class IamBlobSigner(crypt.Signer):
    """Signs bytes with a service account's Google-held key through IAM Credentials signBlob.

    The caller's own credentials (the runtime service account) need `iam.serviceAccounts.signBlob` on the
    target, e.g. roles/iam.serviceAccountTokenCreator.
    """

    def __init__(
        self,
        source: auth_credentials.Credentials,
        service_account_email: str,
        endpoint: str = IAM_CREDENTIALS_ENDPOINT,
        http: httplib2.Http | None = None,
    ) -> None:
        self._source = source
        self._email = service_account_email
        self._url = endpoint.rstrip("/") + f"/v1/projects/-/serviceAccounts/{service_account_email}:signBlob"
        self._request = google_auth_httplib2.Request(http or httplib2.Http(timeout=30))
        self._key_id: str | None = None

    @property
    def key_id(self) -> str | None:
        return self._key_id

    def sign(self, message: str | bytes) -> bytes:
        blob = message.encode() if isinstance(message, str) else message
        headers = {"Content-Type": "application/json"}
        self._source.before_request(self._request, "POST", self._url, headers)  # type: ignore[no-untyped-call]
        body = json.dumps({"payload": base64.b64encode(blob).decode()}).encode()
        response = self._request(url=self._url, method="POST", body=body, headers=headers)
        if response.status != 200:
            text = response.data.decode("utf-8", "replace")[:500]
            message = f"signBlob for {self._email} failed: {response.status} {text}"
            if response.status == 429 or response.status >= 500:
                # IAM had a bad moment: a TransportError is retried like any 5xx, a RefreshError never is
                raise auth_exceptions.TransportError(message)  # type: ignore[no-untyped-call]
            raise auth_exceptions.RefreshError(message)  # type: ignore[no-untyped-call]
        answer: dict[str, Any] = json.loads(response.data)
        self._key_id = answer.get("keyId")
        return base64.b64decode(answer["signedBlob"])


def runtime_credentials() -> auth_credentials.Credentials:
    """The function's own identity (application default credentials), used only to call IAM."""
    found, _ = google.auth.default(scopes=[CLOUD_PLATFORM])
    return found


def delegated_credentials(
    config: AuthConfig,
    subject: str,
    scopes: Sequence[str] = WORKSPACE_SCOPES,
    source: auth_credentials.Credentials | None = None,
) -> auth_credentials.Credentials:
    """Credentials acting as `subject` (a super admin) with exactly `scopes`."""
    if config.mode == "emulator":
        # The emulator takes `emulator:<subject>` as that subject with every scope: plain local use only.
        return oauth2_credentials.Credentials(token=f"emulator:{subject}")  # type: ignore[no-untyped-call]
    if config.mode == "keyfile":
        with open(config.key_file, encoding="utf-8") as handle:
            info = json.load(handle)
        if config.token_uri != GOOGLE_TOKEN_URI:
            info["token_uri"] = config.token_uri
        keyed: service_account.Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]
            info, scopes=list(scopes), subject=subject
        )
        return keyed
    if not config.service_account_email:
        raise ValueError("keyless delegation needs service_account_email")
    signer = IamBlobSigner(source or runtime_credentials(), config.service_account_email, config.iam_endpoint)
    keyless: service_account.Credentials = service_account.Credentials(  # type: ignore[no-untyped-call]
        signer,
        config.service_account_email,
        config.token_uri,
        scopes=list(scopes),
        subject=subject,
    )
    return keyless
