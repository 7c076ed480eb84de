"""The one table that turns Google's answers into portalsync's error classes, and the retry layer on top."""

from __future__ import annotations

import json

import httplib2
import pytest
from google.auth.exceptions import RefreshError
from googleapiclient.errors import HttpError

from portalsync.adapters.google_errors import from_exception, retry_after_seconds
from portalsync.adapters.retry import Retrier, RetryPolicy
from portalsync.adapters.throttle import TokenBucket
from portalsync.errors import (
    AlreadyExistsError,
    AuthError,
    CapReachedError,
    NotFoundError,
    NotSubscribedError,
    NotYetConsistentError,
    PermanentError,
    RateLimitedError,
    TransientError,
    WorkspaceError,
)


def http_error(status: int, reason: str, message: str, retry_after: str | None = None) -> HttpError:
    headers = {"status": str(status)}
    if retry_after is not None:
        headers["retry-after"] = retry_after
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason, "message": message}]}}
    return HttpError(httplib2.Response(headers), json.dumps(body).encode())


@pytest.mark.parametrize(
    ("status", "reason", "message", "expected"),
    [
        (403, "userRateLimitExceeded", "Quota exceeded", RateLimitedError),
        (403, "quotaExceeded", "Quota exceeded", RateLimitedError),
        (429, "rateLimitExceeded", "Rate Limit Exceeded", RateLimitedError),
        (503, "backendError", "Backend Error", TransientError),
        (502, "badGateway", "Bad Gateway", TransientError),
        (504, "gatewayTimeout", "Gateway Timeout", TransientError),
        (500, "internalError", "Internal error", TransientError),
        (500, "transientError", "Transient", TransientError),
        (503, "serviceNotAvailable", "Unavailable", TransientError),
        (500, "", "", TransientError),
        (412, "conditionNotMet", "User creation is not complete.", NotYetConsistentError),
        (409, "duplicate", "Entity already exists.", AlreadyExistsError),
        (409, "conflict", "Conflicting requests", TransientError),
        (409, "", "Conflicting requests", TransientError),
        (500, "internalError", "role assignment exists: roleassignment 1", AlreadyExistsError),
        (404, "notFound", "Resource Not Found: userKey", NotFoundError),
        (400, "invalid", "Invalid userId: a@b.example", NotFoundError),
        (412, "conditionNotMet", "Domain user limit exceeded.", CapReachedError),
        (
            412,
            "conditionNotMet",
            "There aren't enough available licenses for the specified product-SKU pair",
            CapReachedError,
        ),
        (
            412,
            "conditionNotMet",
            "User already has a license for the specified product and SKU",
            AlreadyExistsError,
        ),
        (403, "forbidden", "Unauthorized operation for the given domain.", NotSubscribedError),
        (403, "forbidden", "Not Authorized to access this resource/api", PermanentError),
        (400, "invalid", "Invalid Given/Family Name: FamilyName", PermanentError),
        (401, "authError", "Invalid Credentials", AuthError),
    ],
)
def test_http_errors_map_to_one_class(status: int, reason: str, message: str, expected: type) -> None:
    error = from_exception(http_error(status, reason, message))
    assert type(error) is expected
    assert error is not None
    assert error.status == status
    assert error.reason == reason


def test_rate_limit_carries_retry_after() -> None:
    error = from_exception(http_error(429, "rateLimitExceeded", "slow down", retry_after="7"))
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0


def test_retry_after_as_http_date() -> None:
    assert retry_after_seconds("Thu, 01 Jan 1970 00:00:10 GMT", now=4.0) == 6.0
    assert retry_after_seconds("soon") is None


@pytest.mark.parametrize("text", ["unauthorized_client: Client is unauthorized", "invalid_grant: bad sub"])
def test_refresh_errors_are_auth_errors(text: str) -> None:
    error = RefreshError(text)  # type: ignore[no-untyped-call]  # google-auth: unannotated
    assert isinstance(from_exception(error), AuthError)


def test_programming_errors_are_not_mapped() -> None:
    assert from_exception(KeyError("x")) is None
    assert isinstance(from_exception(ConnectionResetError()), TransientError)


class FakeTimer:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_retrier_backs_off_exponentially_and_honours_retry_after() -> None:
    timer = FakeTimer()
    answers: list[Exception | str] = [
        http_error(503, "backendError", "x"),
        http_error(503, "backendError", "x"),
        http_error(429, "rateLimitExceeded", "x", retry_after="20"),
        "ok",
    ]

    def call() -> str:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    retrier = Retrier(RetryPolicy(random=lambda: 0.5), timer)
    assert retrier.run(call, from_exception) == "ok"
    assert timer.slept == [1.5, 2.5, 20.0]


def test_retrier_gives_up_on_permanent_errors_and_after_max_attempts() -> None:
    timer = FakeTimer()
    retrier = Retrier(RetryPolicy(max_attempts=3, random=lambda: 0.0), timer)
    calls = 0

    def failing() -> None:
        nonlocal calls
        calls += 1
        raise http_error(503, "backendError", "Backend Error")

    with pytest.raises(TransientError):
        retrier.run(failing, from_exception)
    assert calls == 3

    def duplicate() -> None:
        raise http_error(409, "duplicate", "Entity already exists.")

    with pytest.raises(AlreadyExistsError) as caught:
        retrier.run(duplicate, from_exception)
    assert isinstance(caught.value, WorkspaceError)
    assert timer.slept == [1.0, 2.0]


def test_conflicting_requests_on_one_user_are_retried() -> None:
    timer = FakeTimer()
    retrier = Retrier(RetryPolicy(max_attempts=3, random=lambda: 0.0), timer)
    answers = [http_error(409, "conflict", "Conflicting requests"), None]

    def update() -> str:
        error = answers.pop(0)
        if error is not None:
            raise error
        return "applied"

    assert retrier.run(update, from_exception) == "applied"
    assert timer.slept == [1.0]


def test_retrier_respects_elapsed_budget() -> None:
    timer = FakeTimer()
    retrier = Retrier(RetryPolicy(max_attempts=50, max_elapsed=10.0, random=lambda: 0.0), timer)

    def failing() -> None:
        raise http_error(500, "backendError", "x")

    with pytest.raises(TransientError):
        retrier.run(failing, from_exception)
    assert sum(timer.slept) <= 10.0


def test_token_bucket_paces_calls_to_the_quota() -> None:
    timer = FakeTimer()
    bucket = TokenBucket(per_minute=60, timer=timer)  # one a second, burst of one
    for _ in range(5):
        bucket.acquire()
    assert timer.now == pytest.approx(4.0)
    bucket.acquire(3)  # a batch of three inner calls
    assert timer.now == pytest.approx(7.0)
