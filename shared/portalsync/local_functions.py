"""The Cloud Functions path on a laptop: Pub/Sub emulator, one functions-framework server per entry point,
topics with push subscriptions to them, as Eventarc would wire them. Used by `portalsync demo`.

Servers inherit the caller's environment (emulator hosts, project, auth mode), so set it before entering.
Leaving the block resets the Pub/Sub emulator first (it retries a failed push every second forever), then
stops every process it started.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import urllib.request
from contextlib import AbstractContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

import portalsync
from portalsync.local_stack import Process, free_port, functions_argv, pubsub_argv

MAIN = Path(portalsync.__file__).resolve().parents[2] / "functions" / "main.py"


def _call(method: str, url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    request = urllib.request.Request(  # noqa: S310 - the local emulator's http URL
        url, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        raw = response.read()
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError:
        return raw.decode()


class LocalFunctions(AbstractContextManager["LocalFunctions"]):
    def __init__(self, log_dir: Path, project: str, targets: dict[str, str]) -> None:
        """`targets`: entry point -> the topic it is subscribed to."""
        self.log_dir, self.project, self.targets = log_dir, project, targets
        self._started: list[Process] = []
        self.pubsub_host = ""
        self.urls: dict[str, str] = {}

    def __enter__(self) -> LocalFunctions:
        if not MAIN.exists():
            raise FileNotFoundError(f"{MAIN}: the demo runs from a source checkout")
        try:
            port = free_port()
            self._started.append(
                Process(pubsub_argv(port), f"http://127.0.0.1:{port}/", self.log_dir / "pubsub.log")
            )
            self.pubsub_host = f"127.0.0.1:{port}"
            os.environ["PUBSUB_EMULATOR_HOST"] = self.pubsub_host
            for target, topic in self.targets.items():
                port = free_port()
                url = f"http://127.0.0.1:{port}/"
                log = self.log_dir / f"function-{target}.log"
                self._started.append(Process(functions_argv(target, port, MAIN), url, log))
                self.urls[target] = url
                self._subscribe(topic, url)
        except BaseException:
            self.stop()
            raise
        return self

    def _rest(self, path: str) -> str:
        return f"http://{self.pubsub_host}/v1/projects/{self.project}/{path}"

    def _subscribe(self, topic: str, function_url: str) -> None:
        _call("PUT", self._rest(f"topics/{topic}"), {})
        endpoint = f"{function_url}projects/{self.project}/topics/{topic}"
        body = {"topic": f"projects/{self.project}/topics/{topic}", "pushConfig": {"pushEndpoint": endpoint}}
        _call("PUT", self._rest(f"subscriptions/{topic}-push"), body)

    def publish(self, topic: str, payload: dict[str, Any]) -> str:
        """What a Cloud Scheduler job with a Pub/Sub target does; returns the message id."""
        data = base64.b64encode(json.dumps(payload).encode()).decode()
        answer = _call("POST", self._rest(f"topics/{topic}:publish"), {"messages": [{"data": data}]})
        return str(answer["messageIds"][0])

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        if self.pubsub_host and self._started:
            with contextlib.suppress(OSError):  # the emulator may be gone already
                _call("POST", f"http://{self.pubsub_host}/reset")
        os.environ.pop("PUBSUB_EMULATOR_HOST", None)
        while self._started:
            self._started.pop().stop()
