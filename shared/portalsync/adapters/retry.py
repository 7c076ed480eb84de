"""HTTP-level retries for Google calls: exponential backoff with jitter, honouring Retry-After.

Only `TransientError` (5xx, Google's rate-limit and backend reasons) is retried here; consistency waits
after a create belong to apply, so the two layers never multiply each other's attempts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from portalsync.errors import RateLimitedError, TransientError, WorkspaceError

T = TypeVar("T")


class Timer(Protocol):
    """The part of a clock retries and throttles need; tests pass a fake that never sleeps."""

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemTimer:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class RetryPolicy:
    """Defaults follow Google's recipe (1 s, 2 s, 4 s … plus up to 1 s of jitter, capped)."""

    max_attempts: int = 6
    max_elapsed: float = 120.0
    base: float = 1.0
    cap: float = 32.0
    jitter: float = 1.0
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempt: int, error: WorkspaceError) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff = min(self.cap, self.base * 2.0 ** (attempt - 1)) + self.jitter * float(self.random())
        hinted = error.retry_after if isinstance(error, RateLimitedError) else None
        return max(backoff, hinted or 0.0)


NO_RETRY = RetryPolicy(max_attempts=1)


class Retrier:
    """Runs a call until it succeeds, fails for good, or the attempt / time budget is spent."""

    def __init__(self, policy: RetryPolicy, timer: Timer) -> None:
        self.policy = policy
        self.timer = timer

    def should_retry(self, error: WorkspaceError, attempt: int, started: float) -> float | None:
        """The delay before the next attempt, or None when `error` is final."""
        if not isinstance(error, TransientError) or attempt >= self.policy.max_attempts:
            return None
        delay = self.policy.delay(attempt, error)
        if self.timer.monotonic() - started + delay > self.policy.max_elapsed:
            return None
        return delay

    def run(self, call: Callable[[], T], to_error: Callable[[BaseException], WorkspaceError | None]) -> T:
        """`call()` with retries; `to_error` maps what it raises (None = not ours: re-raised as is)."""
        started = self.timer.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return call()
            except Exception as raised:
                error = to_error(raised)
                if error is None:
                    raise
                delay = self.should_retry(error, attempt, started)
                if delay is None:
                    if error is raised:
                        raise
                    raise error from raised
            self.timer.sleep(delay)
