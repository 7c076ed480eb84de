"""`Publisher` on google-cloud-pubsub; the client is imported and built on the first publish (cold start).

With PUBSUB_EMULATOR_HOST set the client talks to the emulator without credentials.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PUBLISH_TIMEOUT = 60.0


class PubSubPublisher:
    def __init__(self, project: str) -> None:
        self.project = project
        self._client: Any = None
        self.published = 0

    def _publisher(self) -> Any:
        if self._client is None:
            from google.cloud import pubsub_v1  # type: ignore[attr-defined]

            self._client = pubsub_v1.PublisherClient()
        return self._client

    def publish(self, topic: str, payload: Mapping[str, object]) -> str:
        client = self._publisher()
        data = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        future = client.publish(client.topic_path(self.project, topic), data)
        message_id = str(future.result(timeout=PUBLISH_TIMEOUT))
        self.published += 1
        return message_id
