"""The functions on a local stack: Pub/Sub emulator topics with push subscriptions to functions-framework
servers (one per entry point), Firestore and Workspace emulators, and small helpers to drive and wait."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from portalsync import names
from portalsync.local_stack import functions_argv, pubsub_argv
from tests.support.processes import Server, free_port

ROOT = Path(__file__).resolve().parents[2]
MAIN = ROOT / "functions" / "main.py"
T = TypeVar("T")


def start_pubsub_emulator(log_dir: Path) -> tuple[Server, str]:
    port = free_port()
    server = Server(pubsub_argv(port), f"http://127.0.0.1:{port}/", log_dir / "pubsub-emulator.log")
    return server, f"127.0.0.1:{port}"


def start_function(target: str, log_dir: Path, env: dict[str, str], name: str = "") -> tuple[Server, str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    log = log_dir / f"function-{name or target}.log"
    return Server(functions_argv(target, port, MAIN), url, log, env), url


def http(method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None and not (headers or {}).get("Content-Type"):
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class PubSub:
    """Topics and push subscriptions on the emulator; `reset()` stops every retry loop."""

    host: str
    project: str
    subscriptions: list[str] = field(default_factory=list)

    def _url(self, path: str) -> str:
        return f"http://{self.host}/v1/projects/{self.project}/{path}"

    def reset(self) -> None:
        http("POST", f"http://{self.host}/reset", b"")
        self.subscriptions.clear()

    def topic(self, topic: str) -> None:
        status, body = http("PUT", self._url(f"topics/{topic}"), {})
        assert status in (200, 409), body

    def push(self, topic: str, function_url: str) -> None:
        """A push subscription whose endpoint path names the topic, so the CloudEvent's source does too."""
        self.topic(topic)
        name = f"sub-{topic}-{uuid.uuid4().hex[:6]}"
        endpoint = f"{function_url.rstrip('/')}/projects/{self.project}/topics/{topic}"
        body = {
            "topic": f"projects/{self.project}/topics/{topic}",
            "pushConfig": {"pushEndpoint": endpoint},
            "ackDeadlineSeconds": 60,
        }
        status, answer = http("PUT", self._url(f"subscriptions/{name}"), body)
        assert status == 200, answer
        self.subscriptions.append(name)

    def publish(self, topic: str, payload: dict[str, Any]) -> str:
        """What a Cloud Scheduler job with a Pub/Sub target does: publish its data bytes."""
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        status, answer = http("POST", self._url(f"topics/{topic}:publish"), {"messages": [{"data": data}]})
        assert status == 200, answer
        return str(json.loads(answer)["messageIds"][0])


def push_envelope(topic: str, project: str, payload: dict[str, Any], message_id: str) -> dict[str, Any]:
    """The body the emulator pushes, for posting one delivery by hand (duplicates, concurrency)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    message = {"data": data, "messageId": message_id, "message_id": message_id, "publishTime": now}
    return {"subscription": f"projects/{project}/subscriptions/by-hand-{topic}", "message": message}


def deliver(function_url: str, project: str, topic: str, payload: dict[str, Any], message_id: str) -> int:
    url = f"{function_url.rstrip('/')}/projects/{project}/topics/{topic}"
    status, _ = http("POST", url, push_envelope(topic, project, payload, message_id))
    return status


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 30.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"waited {timeout}s for {what}")
        time.sleep(0.1)


def docs(db: Any, collection: str) -> list[dict[str, Any]]:
    return [s.to_dict() or {} for s in db.collection(collection).stream()]


def records(db: Any, account_ids: Iterable[str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for account_id in account_ids:
        col = db.collection(names.COL_ACCOUNT_STATE).document(account_id).collection(names.SUB_PROVISIONING)
        found += [s.to_dict() or {} for s in col.stream()]
    return found
