"""Cloud Functions entry points: parse the event, make one call into `portalsync.flows`, return or raise.

Returning acks the delivery; raising (only `RetryLater` and unexpected errors) makes Pub/Sub or Eventarc
deliver again, then dead-letter. Everything heavy (Firestore, Pub/Sub, pydantic models, the API clients) is
imported on the first event, not at import, so a cold start stays cheap. Logs are JSON lines with `severity`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import sys
from functools import cache
from typing import TYPE_CHECKING, Any

import functions_framework

from portalsync import logs

if TYPE_CHECKING:
    from flask import Request

    from portalsync.flows import FlowEvent, Flows

logs.configure(logging.INFO, sys.stdout)
log = logging.getLogger("portalsync.functions")


@cache
def _flows() -> Flows:
    from portalsync.flow_bootstrap import build_flows

    return build_flows()


def _pubsub_event(event: Any) -> FlowEvent | None:
    """The CloudEvent of a Pub/Sub push: id, publish time and the JSON payload (or a bare string); None
    for data that is not base64 UTF-8, which no redelivery can fix, so it is acked (logged) instead."""
    from portalsync.flows import FlowEvent

    message = (event.data or {}).get("message") or {}
    try:
        raw = base64.b64decode(message.get("data") or b"", validate=True).decode("utf-8").strip()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        log.error(
            "message data is not base64 UTF-8, acked", extra={"event_id": event["id"], "error": str(error)}
        )
        return None
    try:
        payload = json.loads(raw) if raw else {}
    except json.JSONDecodeError:
        payload = {"text": raw}  # e.g. a person's address published as plain text
    if not isinstance(payload, dict):
        payload = {"text": str(payload)}
    published = message.get("publishTime") or event.get("time")
    return FlowEvent(str(event["id"]), str(published) if published else None, payload)


def _ack(flow: str, event: FlowEvent, outcome: str) -> None:
    log.info("event handled", extra={"flow": flow, "event_id": event.event_id, "outcome": outcome})


@functions_framework.cloud_event
def nightly_sync(event: Any) -> None:
    flow_event = _pubsub_event(event)
    if flow_event is None:
        return
    _ack("nightly_sync", flow_event, _flows().nightly(flow_event))


@functions_framework.cloud_event
def sync_account(event: Any) -> None:
    flow_event = _pubsub_event(event)
    if flow_event is None:
        return
    _ack("sync_account", flow_event, _flows().sync_account(flow_event))


@functions_framework.cloud_event
def onboard(event: Any) -> None:
    flow_event = _pubsub_event(event)
    if flow_event is None:
        return
    payload = flow_event.payload
    person = str(payload.get("person") or payload.get("person_id") or payload.get("email") or "")
    _ack("onboard", flow_event, _flows().onboard(flow_event, person or str(payload.get("text") or "")))


@functions_framework.cloud_event
def onboard_on_roster_write(event: Any) -> None:
    """Eventarc `document.v1.written` on people/{personId}: protobuf `DocumentEventData`."""
    from google.events.cloud.firestore import DocumentEventData

    from portalsync.flows import FlowEvent

    data = DocumentEventData.deserialize(event.data)
    document = data.value
    person_id = document.name.rsplit("/", 1)[-1] if document.name else None
    active = True
    if person_id and "active" in document.fields:
        active = bool(document.fields["active"].boolean_value)
    flow_event = FlowEvent(str(event["id"]), event.get("time"), {"person_id": person_id})
    _ack("onboard_on_roster_write", flow_event, _flows().roster_written(flow_event, person_id, active))


@functions_framework.cloud_event
def drain_outbox(event: Any) -> None:
    """Eventarc on outbox/{messageId}: a mail was queued (flows also drain at their end)."""
    result = _flows().drain()
    log.info("outbox drained", extra={"flow": "drain_outbox", "event_id": event["id"], **result})


@functions_framework.http
def status(request: Request) -> tuple[Any, int]:
    if request.method != "GET":
        return {"error": "GET only"}, 405
    return _flows().status(), 200
