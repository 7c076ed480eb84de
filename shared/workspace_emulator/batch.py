"""multipart/mixed batch requests on `/batch` and the per-API batch paths.

Every part is run through `Emulator.execute` with its own Authorization header (googleapiclient puts one
in each part) or else the outer request's, so a batched call is counted, quota-checked, faulted and
limited by per-customer concurrency like a single call. Parts run concurrently, as Google gives no order
guarantee; answers come back in request order, each tagged `Content-ID: <response-ID>` as
googleapiclient's `BatchHttpRequest` expects.
"""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http import HTTPStatus

from werkzeug.http import parse_options_header

from workspace_emulator.emulator import Emulator, Response
from workspace_emulator.errors import ApiError

#: Batch paths served (the emulator is one host for every API, so `/batch` takes any of them).
BATCH_PATHS = frozenset(
    {
        "/batch",
        "/batch/admin/directory_v1",
        "/batch/admin/directory/v1",
        "/batch/licensing/v1",
        "/batch/apps/licensing/v1",
        "/batch/gmail/v1",
        "/batch/iamcredentials/v1",
        "/batch/sheets/v4",
    }
)
MAX_PARTS = 1000  # Admin SDK: at most 1,000 calls in one batch
MAX_GMAIL_PARTS = 100  # Gmail: at most 100
PARALLELISM = 8  # inner calls in flight at once for one batch


@dataclass
class Part:
    content_id: str | None
    method: str
    path: str
    query: str
    authorization: str | None
    body: bytes


def _error(error: ApiError) -> Response:
    return Response.json(error.code, error.body())


def _strip_line_break(data: bytes) -> bytes:
    """Drop the one line break before a delimiter; RFC 2046 makes it part of the delimiter."""
    if data.endswith(b"\r\n"):
        return data[:-2]
    if data.endswith(b"\n"):
        return data[:-1]
    return data


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    """Headers and body, split at the first empty line (CRLF or bare LF, both are sent in practice)."""
    ends = [(i, sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := data.find(sep)) >= 0]
    if not ends:
        return data, b""
    index, sep = min(ends)
    return data[:index], data[index + len(sep) :]


def _headers(block: bytes) -> dict[str, str]:
    """Header lines, unfolding continuations (googleapiclient may fold a long Content-ID)."""
    headers: dict[str, str] = {}
    last: str | None = None
    for raw in block.decode("utf-8", "replace").splitlines():
        if not raw.strip():
            continue
        if raw[0] in " \t" and last is not None:
            headers[last] += " " + raw.strip()
            continue
        name, _, value = raw.partition(":")
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def _parse_part(raw: bytes) -> Part:
    head, inner = _split_head(raw)
    content_id = _headers(head).get("content-id")
    first, _, rest = inner.partition(b"\n")
    words = first.decode("latin-1").strip().split()
    if len(words) < 2:
        raise ApiError(400, "badRequest", "Failed to parse batch request, error: invalid request line.")
    target = words[1]
    if "://" in target:  # absolute-form request target
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    path, _, query = target.partition("?")
    if rest.startswith((b"\r\n", b"\n")):  # no headers at all
        headers, body = {}, rest.partition(b"\n")[2]
    else:
        inner_head, body = _split_head(rest)
        headers = _headers(inner_head)
    return Part(content_id, words[0].upper(), path, query, headers.get("authorization"), body)


def parse(content_type: str, body: bytes) -> list[Part | ApiError]:
    """The parts of a multipart/mixed body; a part that cannot be read becomes its own error answer."""
    mime, options = parse_options_header(content_type)
    boundary = options.get("boundary")
    if mime != "multipart/mixed" or not boundary:
        raise ApiError(400, "badRequest", "Invalid multipart request with 0 mime parts.")
    parts: list[Part | ApiError] = []
    for chunk in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        raw = _strip_line_break(chunk.partition(b"\n")[2])
        try:
            parts.append(_parse_part(raw))
        except ApiError as error:
            parts.append(error)
    if not parts:
        raise ApiError(400, "badRequest", "Invalid multipart request with 0 mime parts.")
    return parts


def _render(boundary: str, parts: list[Part | ApiError], answers: list[Response]) -> bytes:
    out = bytearray()
    for index, (part, answer) in enumerate(zip(parts, answers, strict=True)):
        cid = part.content_id if isinstance(part, Part) and part.content_id else f"<{index + 1}>"
        cid = cid.strip().removeprefix("<").removesuffix(">")
        head = [
            f"--{boundary}",
            "Content-Type: application/http",
            f"Content-ID: <response-{cid}>",
            "",
            f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}",
        ]
        if answer.body:
            head.append(f"Content-Type: {answer.content_type}")
        head += ["Vary: Origin, X-Origin, Referer", f"Content-Length: {len(answer.body)}"]
        out += ("\r\n".join(head) + "\r\n\r\n").encode()
        out += answer.body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def handle(
    emulator: Emulator,
    http_method: str,
    path: str,
    content_type: str,
    authorization: str | None,
    body: bytes,
) -> Response:
    """Answer one batch request: 400 for a malformed or oversized batch, else 200 multipart/mixed."""
    if path.rstrip("/") not in BATCH_PATHS:
        return _error(ApiError(404, "notFound", f"No such batch endpoint: {path}"))
    if http_method != "POST":
        return _error(ApiError(405, "httpMethodNotAllowed", "Batch requests must be POSTed."))
    with emulator.state.lock:
        emulator.state.batch_requests += 1
    try:
        parts = parse(content_type, body)
    except ApiError as error:
        return _error(error)
    gmail = any(isinstance(p, Part) and p.path.startswith("/gmail/") for p in parts)
    limit = MAX_GMAIL_PARTS if gmail or path.startswith("/batch/gmail/") else MAX_PARTS
    if len(parts) > limit:
        return _error(
            ApiError(400, "badRequest", f"Too many requests in batch: {len(parts)}; the limit is {limit}.")
        )

    def run(part: Part | ApiError) -> Response:
        if isinstance(part, ApiError):
            return _error(part)
        return emulator.execute(
            part.method, part.path, part.query, part.authorization or authorization, part.body
        )

    with ThreadPoolExecutor(max_workers=min(PARALLELISM, len(parts))) as pool:
        answers = list(pool.map(run, parts))
    boundary = "batch_" + secrets.token_hex(12)
    return Response(200, _render(boundary, parts, answers), f"multipart/mixed; boundary={boundary}")
