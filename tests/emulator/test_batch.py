"""multipart/mixed batches through googleapiclient's BatchHttpRequest: per-part answers, counting, limits."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from googleapiclient.errors import BatchError, HttpError
from googleapiclient.http import BatchHttpRequest

from tests.support.google_clients import batch, directory
from workspace_emulator.client import ControlClient

pytestmark = pytest.mark.emulator

Results = dict[str, tuple[Any, HttpError | None]]


def new_user(email: str, family: str = "Lovelace") -> dict[str, Any]:
    return {
        "primaryEmail": email,
        "name": {"givenName": "Ada", "familyName": family},
        "password": "pw-123456",
    }


def collector() -> tuple[Results, Any]:
    results: Results = {}

    def callback(request_id: str, response: Any, exception: HttpError | None) -> None:
        assert request_id not in results
        results[request_id] = (response, exception)

    return results, callback


def reason(error: HttpError) -> str:
    return str(json.loads(error.content)["error"]["errors"][0]["reason"])


def test_fifty_mixed_calls_each_get_their_own_answer(control: ControlClient, emulator_url: str) -> None:
    svc = directory(emulator_url, "admin@a.example")
    for n in range(10):
        svc.users().insert(body=new_user(f"u{n}@a.example")).execute()
    control.delete("calls")
    results, callback = collector()
    request = batch(emulator_url, callback)
    expected: dict[str, str | int] = {}
    for n in range(50):
        rid = f"req-{n}"
        if n % 5 == 0:  # 10 inserts with an invalid family name -> 400 invalid
            request.add(svc.users().insert(body=new_user(f"bad{n}@a.example", family="")), request_id=rid)
            expected[rid] = 400
        elif n % 5 == 1:  # 10 gets of users that do not exist -> 404
            request.add(svc.users().get(userKey=f"ghost{n}@a.example"), request_id=rid)
            expected[rid] = 404
        elif n % 5 == 2:  # 10 gets of users in another customer's domain -> 403
            request.add(svc.users().get(userKey=f"x{n}@b.example"), request_id=rid)
            expected[rid] = 403
        else:  # 20 gets of existing users -> their own resource
            email = f"u{n % 10}@a.example"
            request.add(svc.users().get(userKey=email), request_id=rid)
            expected[rid] = email
    request.execute()

    assert set(results) == set(expected)
    for rid, want in expected.items():
        response, error = results[rid]
        if isinstance(want, str):
            assert error is None, rid
            assert response["primaryEmail"] == want, rid
        else:
            assert response is None, rid
            assert error is not None, rid
            assert error.resp.status == want, rid
    bad_name, ghost = results["req-0"][1], results["req-1"][1]
    assert bad_name is not None
    assert ghost is not None
    assert reason(bad_name) == "invalid"
    assert reason(ghost) == "notFound"
    calls = control.get("calls")
    assert calls["directory.users.get"] == 40
    assert calls["directory.users.insert"] == 10
    assert calls["batch"] == 1  # one HTTP request carried all fifty


def test_per_api_batch_path_and_empty_answers(control: ControlClient, emulator_url: str) -> None:
    svc = directory(emulator_url, "admin@a.example")
    svc.users().insert(body=new_user("gone@a.example")).execute()
    results, callback = collector()
    request = BatchHttpRequest(callback=callback, batch_uri=emulator_url + "batch/admin/directory_v1")
    request.add(svc.users().delete(userKey="gone@a.example"), request_id="delete")
    request.add(svc.users().get(userKey="admin@a.example"), request_id="get")
    request.execute()
    assert results["delete"][1] is None
    assert results["get"][0]["isAdmin"] is True


def test_inner_calls_are_rate_limited_like_single_calls(control: ControlClient, emulator_url: str) -> None:
    # a burst of 5, then one call per 10 s: no token comes back while the batch runs, however slowly
    control.post("quotas", {"directoryPerMinute": 6, "burstSeconds": 50})
    svc = directory(emulator_url, "admin@a.example")
    results, callback = collector()
    request = batch(emulator_url, callback)
    for _ in range(10):
        request.add(svc.users().get(userKey="admin@a.example"))
    request.execute()
    failures = [e for _, e in results.values() if e is not None]
    assert len(failures) == 5
    assert {(e.resp.status, reason(e)) for e in failures} == {(403, "userRateLimitExceeded")}
    assert control.calls()["directory.users.get"] == 10


def raw_batch(url: str, parts: list[str], authorization: str | None = None) -> tuple[int, bytes, str]:
    """A hand-made multipart body, for what BatchHttpRequest refuses to send."""
    boundary = "===============7330845974216740156=="
    body = "".join(
        f"--{boundary}\nContent-Type: application/http\nContent-ID: <raw + {n}>\n\n{part}\n"
        for n, part in enumerate(parts)
    )
    body += f"--{boundary}--\n"
    headers = {"Content-Type": f'multipart/mixed; boundary="{boundary}"'}
    if authorization:
        headers["Authorization"] = authorization
    req = urllib.request.Request(url + "batch", data=body.encode(), method="POST", headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read(), resp.headers["Content-Type"]
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers["Content-Type"]


def test_more_than_1000_parts_are_rejected(control: ControlClient, emulator_url: str) -> None:
    svc = directory(emulator_url, "admin@a.example")
    client_side = batch(emulator_url)
    for _ in range(1000):
        client_side.add(svc.domains().list(customer="my_customer"))
    with pytest.raises(BatchError):
        client_side.add(svc.domains().list(customer="my_customer"))

    part = "GET /admin/directory/v1/customer/my_customer/domains HTTP/1.1\n\n"
    status, body, _ = raw_batch(emulator_url, [part] * 1001, "Bearer emulator:admin@a.example")
    assert status == 400
    assert json.loads(body)["error"]["code"] == 400
    assert "directory.domains.list" not in control.calls()


def test_parts_without_authorization_use_the_outer_header(control: ControlClient, emulator_url: str) -> None:
    part = "GET /admin/directory/v1/customer/my_customer/domains HTTP/1.1\nAccept: application/json\n\n"
    status, body, content_type = raw_batch(emulator_url, [part, part], "Bearer emulator:admin@a.example")
    assert status == 200
    assert content_type.startswith("multipart/mixed; boundary=")
    text = body.decode()
    assert text.count("HTTP/1.1 200 OK") == 2
    assert "Content-ID: <response-raw + 0>" in text
    assert "Content-ID: <response-raw + 1>" in text

    status, body, _ = raw_batch(emulator_url, [part])
    assert status == 200
    assert "HTTP/1.1 401 Unauthorized" in body.decode()
