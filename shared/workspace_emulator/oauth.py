"""OAuth 2.0 token endpoint (JWT-bearer grant, with `sub` for domain-wide delegation) and service accounts.

google-auth's `service_account.Credentials` signs a JWT and trades it here exactly as it would at
`https://oauth2.googleapis.com/token`; the answers, errors included, have Google's shape so
`RefreshError` carries the text an operator would see in production.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from typing import Any

from google.auth import crypt

from workspace_emulator.emulator import Emulator, Response
from workspace_emulator.service_accounts import register_service_account
from workspace_emulator.state import State, Token

__all__ = ["register_service_account", "token_endpoint"]

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME = 3600

#: Audiences Google's token endpoint accepts; google-auth always signs the first, whatever `token_uri` is.
GOOGLE_TOKEN_URIS = (
    "https://oauth2.googleapis.com/token",
    "https://www.googleapis.com/oauth2/v4/token",
    "https://accounts.google.com/o/oauth2/token",
)

UNAUTHORIZED_CLIENT = (
    "Client is unauthorized to retrieve access tokens using this method, "
    "or client not authorized for any of the scopes requested."
)
SHORT_LIVED = (
    "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. "
    "Check your iat and exp values in the JWT claim."
)
CLOCK_SKEW = 60  # seconds of leeway on iat, as token endpoints allow


class OAuthError(Exception):
    """An RFC 6749 error answer: `{"error", "error_description"}` with its HTTP status."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description


def token_endpoint(emulator: Emulator, form: dict[str, str], own_uri: str | None = None) -> Response:
    """`POST /token`: answer a JWT-bearer grant with an access token or Google's OAuth error."""
    with emulator.state.lock:
        emulator.state.calls["oauth2.token"] += 1
        try:
            token = _grant(emulator.state, form, own_uri)
        except OAuthError as error:
            body = {"error": error.error, "error_description": error.description}
            return Response.json(error.status, body)
    return Response.json(
        200, {"access_token": token, "expires_in": TOKEN_LIFETIME - 1, "token_type": "Bearer"}
    )


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _decode(assertion: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    try:
        head, body, signature = assertion.split(".")
        header = json.loads(_b64decode(head))
        claims = json.loads(_b64decode(body))
        raw_signature = _b64decode(signature)
    except (ValueError, binascii.Error) as exc:
        raise OAuthError(400, "invalid_grant", "Invalid JWT: could not be decoded.") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise OAuthError(400, "invalid_grant", "Invalid JWT: could not be decoded.")
    return header, claims, f"{head}.{body}".encode(), raw_signature


def _grant(state: State, form: dict[str, str], own_uri: str | None) -> str:
    grant_type = form.get("grant_type", "")
    if grant_type != JWT_BEARER:
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")
    assertion = form.get("assertion")
    if not assertion:
        raise OAuthError(400, "invalid_request", "Missing required parameter: assertion")
    header, claims, signed, signature = _decode(assertion)
    account = state.service_accounts.get(str(claims.get("iss", "")).lower())
    if account is None:
        raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
    verified = crypt.verify_signature(signed, signature, [account.public_key_pem])  # type: ignore[no-untyped-call]
    if header.get("alg") != "RS256" or not verified:
        raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
    audiences = {*GOOGLE_TOKEN_URIS, *([own_uri] if own_uri else [])}
    if claims.get("aud") not in audiences:
        raise OAuthError(
            400,
            "invalid_grant",
            f"Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_URIS[0]}",
        )
    now = time.time()
    try:
        issued, expires = float(claims["iat"]), float(claims["exp"])
    except (KeyError, TypeError, ValueError) as exc:
        raise OAuthError(400, "invalid_grant", SHORT_LIVED) from exc
    if expires <= now or issued > now + CLOCK_SKEW or expires - issued > TOKEN_LIFETIME:
        raise OAuthError(400, "invalid_grant", SHORT_LIVED)
    scopes = frozenset(str(claims.get("scope") or "").split())
    if not scopes:
        raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
    subject = claims.get("sub")
    if subject:
        found = state.find_user(str(subject))
        if found is None:
            raise OAuthError(400, "invalid_grant", "Invalid email or User ID")
        customer, _ = found
        granted = state.dwd_grants.get(customer.id, {}).get(account.client_id)
        if granted is None or not scopes <= granted:
            raise OAuthError(401, "unauthorized_client", UNAUTHORIZED_CLIENT)
    token = "ya29.emu-" + secrets.token_urlsafe(32)
    state.tokens[token] = Token(
        subject=str(subject or account.email).lower(),
        scopes=scopes,
        client_id=account.client_id,
        expires=now + TOKEN_LIFETIME,
    )
    return token
