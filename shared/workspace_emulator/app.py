"""The WSGI application: API calls, batches, the OAuth token endpoint and the `/_emulator/` control API."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from werkzeug.wrappers import Request
from werkzeug.wrappers import Response as WsgiResponse

from workspace_emulator import batch, control, oauth
from workspace_emulator.emulator import Emulator, Response

log = logging.getLogger("workspace_emulator")


def raw_path(environ: dict[str, Any]) -> str:
    """The path as sent (still percent-encoded), so an encoded `/` inside a parameter stays one parameter."""
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = str(raw).split("?", 1)[0]
        if "://" in path:  # absolute-form request target
            path = "/" + path.split("://", 1)[1].split("/", 1)[-1]
        return path
    return str(environ.get("PATH_INFO", "/"))


class EmulatorApp:
    """Dispatches by path prefix; everything else is a discovery method."""

    def __init__(self, emulator: Emulator | None = None) -> None:
        self.emulator = emulator or Emulator()

    def respond(self, request: Request, path: str) -> Response:
        if path.startswith("/_emulator/"):
            return control.handle(self.emulator, request.method, path, request.get_data())
        if path == "/token" and request.method == "POST":
            return oauth.token_endpoint(self.emulator, request.form.to_dict(), request.base_url)
        if path == "/batch" or path.startswith("/batch/"):
            return batch.handle(
                self.emulator,
                request.method,
                path,
                request.headers.get("Content-Type", ""),
                request.headers.get("Authorization"),
                request.get_data(),
            )
        return self.emulator.execute(
            request.method,
            path,
            request.query_string.decode("latin-1"),
            request.headers.get("Authorization"),
            request.get_data(),
        )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        if request.method == "GET" and raw_path(environ) == "/":
            result = Response(200, b"Ok", "text/plain")
        else:
            try:
                result = self.respond(request, raw_path(environ))
            except Exception:  # a bug here must answer 500 like a backend would, not kill the server
                log.exception("unhandled error")
                body = {
                    "error": {
                        "code": 500,
                        "message": "Internal error",
                        "errors": [
                            {"domain": "global", "reason": "internalError", "message": "Internal error"}
                        ],
                    }
                }
                result = Response(500, json.dumps(body).encode())
        response = WsgiResponse(result.body, status=result.status, content_type=result.content_type)
        return response(environ, start_response)
