"""multipart/mixed batch requests on `/batch` and the per-API batch paths. Filled in below."""

from __future__ import annotations

from werkzeug.wrappers import Request

from workspace_emulator.emulator import Emulator, Response


def handle(emulator: Emulator, request: Request) -> Response:
    raise NotImplementedError
