"""google-api-python-client services pointed at the Workspace emulator, as the product builds them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.oauth2 import service_account
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

# google-auth's credential constructors have no annotations, so strict mypy refuses to call them from typed
# code. The tests build credentials through these two, which give the calls their real types.


def bearer(token: str) -> Credentials:
    """Credentials that send `token` as they are and never refresh."""
    return Credentials(token=token)  # type: ignore[no-untyped-call]  # google-auth: unannotated


def keyed(info: Mapping[str, str], scopes: Sequence[str], subject: str) -> service_account.Credentials:
    """Service-account key credentials (a key file's `info`) delegated to `subject` with `scopes`."""
    credentials: service_account.Credentials = service_account.Credentials.from_service_account_info(  # type: ignore[no-untyped-call]  # google-auth: unannotated
        info, scopes=list(scopes), subject=subject
    )
    return credentials


def service_with(url: str, credentials: Any, api: str = "admin", version: str = "directory_v1") -> Any:
    """A service built from the bundled discovery document, pointed at the emulator, with any credentials."""
    return build(
        api,
        version,
        credentials=credentials,
        client_options={"api_endpoint": url},
        cache_discovery=False,
        static_discovery=True,
    )


def service(url: str, subject: str, api: str = "admin", version: str = "directory_v1") -> Any:
    """A service whose bearer token is `emulator:<subject>`: that subject with every scope."""
    return service_with(url, bearer(f"emulator:{subject}"), api, version)


def directory(url: str, subject: str) -> Any:
    return service(url, subject)


def licensing(url: str, subject: str) -> Any:
    return service(url, subject, "licensing", "v1")


def gmail(url: str, subject: str) -> Any:
    return service(url, subject, "gmail", "v1")


def batch(url: str, callback: Any = None) -> BatchHttpRequest:
    return BatchHttpRequest(callback=callback, batch_uri=url.rstrip("/") + "/batch")
