"""The per-minute quota: configurable per deployment, and never burst past by one big batch."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from portalsync.adapters.google_calls import ApiCaller
from portalsync.adapters.retry import Retrier, RetryPolicy
from portalsync.adapters.throttle import DIRECTORY_PER_MINUTE, LICENSING_PER_MINUTE, TokenBucket
from portalsync.bootstrap import Config, GoogleWorkspaces
from portalsync.errors import WorkspaceError
from tests.support.google_clients import bearer
from tests.unit.builders import account
from tests.unit.test_google_errors import FakeTimer

EMULATOR = {"PORTALSYNC_WORKSPACE_ENDPOINT": "http://127.0.0.1:9/"}  # static token: no network


def per_minute(workspace: Any, api: str) -> float:
    bucket: TokenBucket = workspace._calls.buckets[api]
    return round(bucket.per_second * 60, 6)


def test_a_raised_quota_reaches_the_throttle() -> None:
    config = Config.from_env(
        {
            **EMULATOR,
            "PORTALSYNC_DIRECTORY_QUOTA_PER_MINUTE": "6000",
            "PORTALSYNC_LICENSING_QUOTA_PER_MINUTE": "900",
        }
    )
    workspace = GoogleWorkspaces(config)(account("acme", ["a.example"]))
    assert (per_minute(workspace, "directory"), per_minute(workspace, "licensing")) == (6000, 900)

    default = GoogleWorkspaces(Config.from_env(EMULATOR))(account("acme", ["a.example"]))
    assert per_minute(default, "directory") == DIRECTORY_PER_MINUTE
    assert per_minute(default, "licensing") == LICENSING_PER_MINUTE


@pytest.mark.parametrize("value", ["0", "-5", "lots"])
def test_a_quota_that_is_not_a_positive_number_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="PORTALSYNC_LICENSING_QUOTA_PER_MINUTE"):
        Config.from_env({"PORTALSYNC_LICENSING_QUOTA_PER_MINUTE": value})


def test_a_batch_never_takes_more_tokens_at_once_than_the_bucket_holds(monkeypatch: Any) -> None:
    timer = FakeTimer()
    licensing = TokenBucket(LICENSING_PER_MINUTE, LICENSING_PER_MINUTE / 60, timer)  # 5 a second
    caller = ApiCaller(Retrier(RetryPolicy(), timer), {"licensing": licensing}, batch_size=100)
    chunks: list[int] = []

    def run_batch(
        api: str, uri: str, requests: Sequence[Any], chunk: Sequence[int], results: list[Any]
    ) -> dict[int, WorkspaceError]:
        caller._take(api, len(chunk))
        chunks.append(len(chunk))
        for index in chunk:
            results[index] = "ok"
        return {}

    monkeypatch.setattr(caller, "_run_batch", run_batch)
    results = caller.batch("licensing", "http://batch", [lambda: None] * 12)

    assert results == ["ok"] * 12
    assert chunks == [5, 5, 2]
    assert caller.calls == 12
    assert timer.now == pytest.approx(1.4)  # 12 calls at 5 a second, the first 5 from the full bucket


def test_one_adapter_per_account_is_built_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """One delegated credential and one throttle per reseller account per process, not per call."""
    from portalsync.adapters import auth

    made: list[str] = []
    real = auth.delegated_credentials

    def counting(config: Any, subject: str, *args: Any, **kwargs: Any) -> Any:
        made.append(subject)
        return real(config, subject, *args, **kwargs)

    monkeypatch.setattr(auth, "delegated_credentials", counting)
    workspaces = GoogleWorkspaces(Config.from_env(EMULATOR))
    acme = account("acme", ["a.example"])

    first = workspaces(acme)
    assert workspaces(acme) is first
    assert workspaces(account("beta", ["b.example"])) is not first
    assert workspaces.credentials(acme.admin_subject) is first._credentials  # type: ignore[attr-defined]
    assert made == [acme.admin_subject, account("beta", ["b.example"]).admin_subject]


def test_the_group_roster_pages_through_the_throttled_caller() -> None:
    """Its list pages count against the Directory quota like the adapter's: a long group waits its turn."""
    from portalsync.adapters.roster_group import GroupRoster

    pages = int(3 * DIRECTORY_PER_MINUTE // 60)  # more pages than the bucket's first second holds

    class Page:
        def __init__(self, token: str | None) -> None:
            self.n = int(token or 0)

        def execute(self) -> dict[str, Any]:
            more = {"nextPageToken": str(self.n + 1)} if self.n + 1 < pages else {}
            return {"members": [{"email": f"m{self.n}@a.example", "type": "USER"}], **more}

    class Members:
        def list(self, pageToken: str | None = None, **_: Any) -> Page:
            return Page(pageToken)

    class Directory:
        def members(self) -> Members:
            return Members()

    timer = FakeTimer()
    roster = GroupRoster(bearer("t"), "staff@a.example", endpoint="http://127.0.0.1:9/", timer=timer)
    roster.__dict__["_directory"] = Directory()  # the cached client, replaced

    assert len(roster.members()) == pages
    assert roster.api_calls == pages
    assert timer.slept  # throttled: the pages beyond the burst waited
