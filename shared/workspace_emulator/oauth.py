"""OAuth 2.0 token endpoint (JWT-bearer grant with `sub`) and service-account keys. Filled in below."""

from __future__ import annotations

from typing import Any

from workspace_emulator.emulator import Emulator, Response
from workspace_emulator.state import State


def register_service_account(state: State, body: dict[str, Any]) -> dict[str, Any]:
    raise NotImplementedError


def token_endpoint(emulator: Emulator, form: dict[str, str]) -> Response:
    raise NotImplementedError
