"""Service accounts the emulator knows: their keys, and lookup by e-mail or unique id.

Kept apart from the token endpoint so the IAM handlers can use it while the emulator core is loading.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt

from workspace_emulator.errors import invalid
from workspace_emulator.state import ServiceAccount, State


def key_id(public_key_pem: str) -> str:
    """A stable 40-hex-digit key id (Google's `private_key_id` shape), derived from the public key."""
    return hashlib.sha1(public_key_pem.strip().encode(), usedforsecurity=False).hexdigest()


def register_service_account(state: State, body: dict[str, Any]) -> dict[str, Any]:
    """Register (or re-key) a service account; without `publicKeyPem` the emulator makes and keeps the key.

    A generated key is returned once so a test can build key-file credentials; the emulator also keeps it
    to answer IAM signJwt/signBlob, which is what keyless delegation relies on.
    """
    email = str(body["email"]).strip().lower()
    if "@" not in email:
        raise invalid("Invalid service account email")
    client_id = str(body.get("clientId") or state.next_id())
    public_pem = body.get("publicKeyPem")
    private_pem: str | None = None
    if public_pem:
        try:
            crypt.RSAVerifier.from_string(public_pem)  # type: ignore[no-untyped-call]
        except ValueError as exc:
            raise invalid("publicKeyPem is not an RSA public key or certificate") from exc
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        public_pem = (
            key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )
    account = ServiceAccount(email, client_id, str(public_pem), private_pem)
    state.service_accounts[email] = account
    out: dict[str, Any] = {
        "email": email,
        "clientId": client_id,
        "privateKeyId": key_id(account.public_key_pem),
        "publicKeyPem": account.public_key_pem,
    }
    if private_pem is not None:
        out["privateKeyPem"] = private_pem
    return out


def find_service_account(state: State, key: str) -> ServiceAccount | None:
    """By e-mail or by unique id (the OAuth client id), as IAM resource names allow either."""
    found = state.service_accounts.get(key.lower())
    if found is not None:
        return found
    return next((sa for sa in state.service_accounts.values() if sa.client_id == key), None)
