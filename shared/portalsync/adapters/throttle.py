"""A token bucket that keeps one reseller account's calls under its per-minute quota.

Google counts the Directory quota per user per project (2,400 a minute by default) and the Licensing
quota is tighter, so every call of an account, inner batch calls included, takes a token first: staying
under the limit is cheaper than being told 403 userRateLimitExceeded and backing off.
"""

from __future__ import annotations

import threading

from portalsync.adapters.retry import SystemTimer, Timer

DIRECTORY_PER_MINUTE = 2400.0
LICENSING_PER_MINUTE = 300.0


class TokenBucket:
    """`per_minute` tokens a minute, up to `burst` saved; `acquire` sleeps until enough are there."""

    def __init__(self, per_minute: float, burst: float | None = None, timer: Timer | None = None) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_second = per_minute / 60.0
        self.capacity = max(1.0, burst if burst is not None else self.per_second)
        self.timer = timer or SystemTimer()
        self._tokens = self.capacity
        self._stamp = self.timer.monotonic()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for run statistics

    def _refill(self) -> None:
        now = self.timer.monotonic()
        self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.per_second)
        self._stamp = now

    @property
    def largest_take(self) -> int:
        """The most calls that may go out at once: a batch bigger than this is split (`ApiCaller.batch`),
        since a multipart request sends all its parts together whatever the balance says afterwards."""
        return max(1, int(self.capacity))

    def acquire(self, tokens: float = 1.0) -> float:
        """Take `tokens` (more than the burst is allowed: the balance goes negative and later calls wait)."""
        with self._lock:
            self._refill()
            self._tokens -= tokens
            wait = -self._tokens / self.per_second if self._tokens < 0 else 0.0
        if wait > 0:
            self.waited += wait
            self.timer.sleep(wait)
        return wait
