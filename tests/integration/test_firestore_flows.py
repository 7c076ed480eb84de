"""Run groups on Google's Firestore emulator: open until complete or closed, closed once."""

from __future__ import annotations

from typing import Any

import pytest

from portalsync.adapters.firestore_flows import FirestoreRunGroups
from portalsync.flow_ports import RunGroup

pytestmark = pytest.mark.integration


def test_a_group_is_open_until_complete_or_closed_and_closes_once(firestore_client: Any) -> None:
    groups = FirestoreRunGroups(firestore_client)
    groups.start(RunGroup("nightly-1", "2030-01-01T00:00:00+00:00", "", ("a", "b")))
    groups.start(RunGroup("nightly-2", "2030-01-02T00:00:00+00:00", "", ("a",)))
    groups.finish("nightly-1", "a")
    assert groups.finish("nightly-2", "a") is not None

    assert [g.group_id for g in groups.open_groups()] == ["nightly-1"]  # nightly-2 completed
    closed = groups.close("nightly-1")
    assert closed is not None
    assert closed.missing == ("b",)
    assert groups.close("nightly-1") is None
    assert groups.close("nightly-2") is None
    assert groups.open_groups() == []
