"""IAM Credentials signJwt / signBlob with the emulator-held key of a service account.

Keyless domain-wide delegation signs its grant JWT through these methods instead of a key file, so they
make that flow runnable locally. IAM permission checks (`iam.serviceAccounts.signJwt`, Token Creator
role) are not emulated: any bearer token may call them.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any

from google.auth import crypt, jwt

from workspace_emulator.calls import Call, handles
from workspace_emulator.errors import ApiError
from workspace_emulator.service_accounts import find_service_account, key_id

NAME_PREFIX = "projects/-/serviceAccounts/"
MAX_JWT_LIFETIME = 12 * 3600  # IAM refuses to sign a JWT expiring later than 12 hours from now


class RpcError(ApiError):
    """IAM Credentials answers in the google.rpc.Status shape (`status`, no `errors` list)."""

    def __init__(self, code: int, status: str, message: str) -> None:
        super().__init__(code, status.lower(), message)
        self.status = status

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "status": self.status}}


def _signer(call: Call) -> crypt.RSASigner:
    name = str(call.params["name"])
    if not name.startswith(NAME_PREFIX):
        raise RpcError(
            400,
            "INVALID_ARGUMENT",
            "Invalid form of account ID " + name + ". Should be [Gaia ID |Email |Unique ID |] of the account",
        )
    key = name.removeprefix(NAME_PREFIX)
    account = find_service_account(call.state, key)
    if account is None:
        raise RpcError(404, "NOT_FOUND", f"Not found; Gaia id not found for email {key}")
    if account.private_key_pem is None:
        raise RpcError(
            400,
            "FAILED_PRECONDITION",
            f"The emulator holds no private key for {account.email}: register it without publicKeyPem.",
        )
    signer: crypt.RSASigner = crypt.RSASigner.from_string(  # type: ignore[no-untyped-call]
        account.private_key_pem, key_id(account.public_key_pem)
    )
    return signer


def _body(call: Call) -> dict[str, Any]:
    if not isinstance(call.body, dict):
        raise RpcError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    if call.body.get("delegates"):
        # Delegation chains would need IAM policy to be meaningful; refuse rather than pretend.
        raise RpcError(400, "INVALID_ARGUMENT", "Delegation chains are not emulated.")
    return call.body


@handles("iamcredentials.projects.serviceAccounts.signJwt")
def sign_jwt(call: Call) -> dict[str, Any]:
    signer = _signer(call)
    raw = _body(call).get("payload")
    try:
        claims = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise RpcError(400, "INVALID_ARGUMENT", "Invalid JWT payload: must be a JSON object.")
    now = int(time.time())
    claims.setdefault("exp", now + 3600)  # Google adds a one-hour expiry when none is given
    if not isinstance(claims["exp"], int | float) or claims["exp"] > now + MAX_JWT_LIFETIME:
        raise RpcError(400, "INVALID_ARGUMENT", "JWT expiration must be at most 12 hours in the future.")
    signed: bytes = jwt.encode(signer, claims, key_id=signer.key_id)  # type: ignore[no-untyped-call]
    return {"keyId": signer.key_id, "signedJwt": signed.decode()}


@handles("iamcredentials.projects.serviceAccounts.signBlob")
def sign_blob(call: Call) -> dict[str, Any]:
    signer = _signer(call)
    raw = _body(call).get("payload")
    if not isinstance(raw, str):
        raise RpcError(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")
    try:
        # proto3 JSON bytes: standard or URL-safe base64, padding optional
        blob = base64.urlsafe_b64decode(raw.replace("+", "-").replace("/", "_") + "=" * (-len(raw) % 4))
    except (ValueError, binascii.Error) as exc:
        raise RpcError(400, "INVALID_ARGUMENT", "Invalid value at 'payload' (TYPE_BYTES)") from exc
    return {"keyId": signer.key_id, "signedBlob": base64.b64encode(signer.sign(blob)).decode()}
