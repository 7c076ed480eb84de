"""The Cloud Functions entry points in functions/main.py, with `Flows` replaced: what each call hands on."""

from __future__ import annotations

import base64
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

MAIN = Path(__file__).resolve().parents[2] / "functions" / "main.py"


@pytest.fixture
def main() -> ModuleType:
    spec = importlib.util.spec_from_file_location("portalsync_functions_main", MAIN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Event(dict[str, Any]):
    """Enough of a CloudEvent: item access for attributes, `data` for the body."""

    def __init__(self, data: Any, event_id: str = "e-1") -> None:
        super().__init__(id=event_id, time="2030-01-01T00:00:00Z")
        self.data = data


class Flows:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def drain(self) -> dict[str, int]:
        self.calls.append(("drain", None))
        return {"sent": 2, "retrying": 0, "failed": 0, "credentials": 1}

    def sync_account(self, event: Any) -> str:
        self.calls.append(("sync_account", dict(event.payload)))
        return "synced"


def test_drain_outbox_drains_the_outbox_and_retries_credentials(
    main: ModuleType, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = Flows()
    monkeypatch.setattr(main, "_flows", lambda: flows)
    caplog.set_level("INFO", "portalsync.functions")

    main.drain_outbox(Event(None, "outbox-write-1"))

    assert flows.calls == [("drain", None)]
    [record] = [r for r in caplog.records if r.getMessage() == "outbox drained"]
    assert record.credentials == 1  # type: ignore[attr-defined]


def test_a_pubsub_message_is_handed_on_and_bad_data_is_acked(
    main: ModuleType, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    flows = Flows()
    monkeypatch.setattr(main, "_flows", lambda: flows)
    good = base64.b64encode(json.dumps({"account_id": "acme"}).encode()).decode()

    main.sync_account(Event({"message": {"data": good}}))
    main.sync_account(Event({"message": {"data": "%%% not base64 %%%"}}, "bad"))  # returns: acked
    main.sync_account(Event({"message": {"data": base64.b64encode(b"\xff\xfe").decode()}}, "bad-utf8"))

    assert flows.calls == [("sync_account", {"account_id": "acme"})]
    errors = [r for r in caplog.records if r.getMessage() == "message data is not base64 UTF-8, acked"]
    assert len(errors) == 2
