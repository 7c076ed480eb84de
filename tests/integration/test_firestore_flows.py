"""Run groups on Google's Firestore emulator: open until complete or closed, closed once."""

from __future__ import annotations

from typing import Any

import pytest

from portalsync import names
from portalsync.adapters.firestore_flows import (
    CREDENTIALS_BACKOFF,
    FirestoreCredentialsDue,
    FirestoreRunGroups,
    FirestoreWelcomes,
)
from portalsync.flow_ports import RunGroup, Welcome

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


def test_welcomes_due_once_welcomed_again_only_when_marked_again(firestore_client: Any) -> None:
    welcomes = FirestoreWelcomes(firestore_client)
    new = Welcome("ken", "a", "a.example", "ken@a.example")
    own = Welcome("ken", "b", "b.example", "ken@b.example")
    welcomes.mark_due([new], again=True)
    welcomes.mark_due([own], again=False)
    assert welcomes.due_people() == {"ken"}
    states = welcomes.states("ken")
    assert set(states) == {"ken@a.example", "ken@b.example"}
    assert "welcomed" not in states.values()

    welcomes.mark_welcomed("ken", ["ken@a.example", "ken@b.example"])
    assert welcomes.due_people() == set()
    welcomes.mark_due([own], again=False)  # a role repair: stays welcomed
    assert welcomes.states("ken") == {"ken@a.example": "welcomed", "ken@b.example": "welcomed"}
    welcomes.mark_due([new], again=True)  # reactivated: due again, with a new token
    again = welcomes.states("ken")["ken@a.example"]
    assert again not in ("welcomed", states["ken@a.example"])
    welcomes.forget("ken", ["ken@a.example"])
    assert welcomes.states("ken") == {"ken@b.example": "welcomed"}


def test_credentials_due_are_claimed_once_and_wait_out_a_backoff_after_a_failure(
    firestore_client: Any,
) -> None:
    due = FirestoreCredentialsDue(firestore_client)
    due.add("a", "ken", "ken@a.example")
    due.add("a", "ken", "ken@a2.example")

    assert due.claim(10, ["ken@a.example"]) == [("a", "ken", "ken@a.example")]
    assert due.claim(10) == [("a", "ken", "ken@a2.example")]  # the first is held by its claim
    assert due.claim(10) == []  # a second drain at once: nothing to reset, nothing to mail

    due.retry_later("ken@a.example", "MailError: mailbox unavailable")
    stored = firestore_client.collection(names.COL_CREDENTIALS_DUE).document("ken@a.example").get().to_dict()
    assert stored["attempts"] == 1
    assert stored["last_error"] == "MailError: mailbox unavailable"
    assert "password" not in str(stored).lower()
    waited = (stored["next_attempt_at"] - stored["failed_at"]).total_seconds()
    assert waited == CREDENTIALS_BACKOFF[0]
    assert due.claim(10) == []

    due.remove("ken@a2.example")
    due.add("a", "ken", "ken@a.example")  # created again: due at once
    assert due.claim(10) == [("a", "ken", "ken@a.example")]
