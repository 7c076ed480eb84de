"""The route table, built from the discovery documents bundled with google-api-python-client.

Serving exactly those documents' paths and parameters is what lets the real client run unmodified; the
schema test checks every response against the same documents.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENTS_DIR = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"

#: API name (first part of a method id) -> bundled discovery document.
DOCUMENTS = {
    "directory": "admin.directory_v1.json",
    "licensing": "licensing.v1.json",
    "gmail": "gmail.v1.json",
    "iamcredentials": "iamcredentials.v1.json",
    "sheets": "sheets.v4.json",
}


@dataclass(frozen=True)
class Method:
    """One discovery method: how it is reached and what it accepts."""

    id: str
    http_method: str
    path: str
    pattern: re.Pattern[str]
    parameters: dict[str, dict[str, Any]]
    scopes: tuple[str, ...]
    request_schema: str | None
    response_schema: str | None

    @property
    def api(self) -> str:
        return self.id.split(".", 1)[0]


@functools.cache
def document(api: str) -> dict[str, Any]:
    with (DOCUMENTS_DIR / DOCUMENTS[api]).open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = json.load(handle)
    return loaded


def _compile(path: str) -> re.Pattern[str]:
    """Turn `a/{x}/b/{+y}` into a regex; `+` (reserved expansion) may span slashes."""
    out, pos = [], 0
    for match in re.finditer(r"\{(\+?)([^}]+)\}", path):
        out.append(re.escape(path[pos : match.start()]))
        out.append(f"(?P<{match.group(2)}>{'.+' if match.group(1) else '[^/]+'})")
        pos = match.end()
    out.append(re.escape(path[pos:]))
    return re.compile("/" + "".join(out) + "$")


def _walk(resource: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(resource.get("methods", {}).values())
    for child in resource.get("resources", {}).values():
        found.extend(_walk(child))
    return found


@functools.cache
def all_methods() -> dict[str, Method]:
    methods: dict[str, Method] = {}
    for api in DOCUMENTS:
        doc = document(api)
        for raw in _walk(doc):
            path = doc["servicePath"] + raw["path"]
            methods[raw["id"]] = Method(
                id=raw["id"],
                http_method=raw["httpMethod"],
                path=path,
                pattern=_compile(path),
                parameters=raw.get("parameters", {}),
                scopes=tuple(raw.get("scopes", ())),
                request_schema=raw.get("request", {}).get("$ref"),
                response_schema=raw.get("response", {}).get("$ref"),
            )
    return methods


class Router:
    """Matches (HTTP method, path) to one of the served discovery methods."""

    def __init__(self, method_ids: list[str]) -> None:
        known = all_methods()
        missing = [mid for mid in method_ids if mid not in known]
        if missing:
            raise ValueError(f"not discovery methods: {missing}")
        chosen = [known[mid] for mid in method_ids]
        # Literal-rich paths first, so `users/watch` wins over `users/{userKey}`.
        self._methods = sorted(chosen, key=lambda m: -len(re.sub(r"\{[^}]+\}", "", m.path)))

    @property
    def methods(self) -> list[Method]:
        return list(self._methods)

    def match(self, http_method: str, path: str) -> tuple[Method, dict[str, str]] | None:
        for method in self._methods:
            if method.http_method != http_method:
                continue
            found = method.pattern.match(path)
            if found:
                return method, found.groupdict()
        return None
