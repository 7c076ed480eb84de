"""Quotas, consistency delays, injected faults and latency: the parts of Google that are not data.

All are off until configured through the control API, so a plain emulator answers at once and always.
"""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from workspace_emulator.clock import Clock
from workspace_emulator.errors import ApiError


@dataclass
class TokenBucket:
    """`rate_per_minute` calls a (scaled) minute, with a burst of `burst_seconds` worth of calls."""

    rate_per_minute: float
    time_scale: float = 1.0
    burst_seconds: float = 1.0
    tokens: float = -1.0
    stamp: float | None = None

    @property
    def per_second(self) -> float:
        return self.rate_per_minute / 60.0 * self.time_scale

    @property
    def capacity(self) -> float:
        return max(1.0, self.per_second * self.burst_seconds)

    def take(self, now: float) -> bool:
        """Spend a call at `now` (the emulator clock), refilling for the time since the last one."""
        if self.tokens < 0 or self.stamp is None:
            self.tokens = self.capacity
            self.stamp = now
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.per_second)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class QuotaConfig:
    directory_per_minute: float | None = None  # per user per project (Google: 2,400)
    licensing_per_minute: float | None = None
    concurrent_per_customer: int | None = None
    time_scale: float = 1.0
    burst_seconds: float = 1.0


class Quotas:
    """Rate buckets per (API, user, project) and an in-flight count per customer.

    Google's Directory quota is per user per project, so two projects' service accounts delegating as the
    same admin each have their own budget. The project is the token's OAuth client id (None for
    `emulator:` tokens, which then share one budget per user).
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.config = QuotaConfig()
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str | None], TokenBucket] = {}
        self._in_flight: defaultdict[str, int] = defaultdict(int)

    def configure(self, config: QuotaConfig) -> None:
        with self._lock:
            self.config = config
            self._buckets.clear()

    def check_rate(self, api: str, user: str, project: str | None = None) -> None:
        limit = {
            "directory": self.config.directory_per_minute,
            "licensing": self.config.licensing_per_minute,
        }.get(api)
        if limit is None:
            return
        with self._lock:
            key = (api, user, project)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = TokenBucket(limit, self.config.time_scale, self.config.burst_seconds)
                self._buckets[key] = bucket
            allowed = bucket.take(self.clock.now())
        if allowed:
            return
        if api == "licensing":
            raise ApiError(503, "backendError", "Quota exceeded for the Licensing API; retry with backoff.")
        raise ApiError(
            403,
            "userRateLimitExceeded",
            "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
            "of service 'admin.googleapis.com'.",
            domain="usageLimits",
        )

    @contextmanager
    def concurrency(self, customer_id: str) -> Iterator[None]:
        limit = self.config.concurrent_per_customer
        with self._lock:
            if limit is not None and self._in_flight[customer_id] >= limit:
                raise ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded", domain="usageLimits")
            self._in_flight[customer_id] += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight[customer_id] -= 1


@dataclass
class Consistency:
    """Seconds after users.insert during which the new user is not yet everywhere."""

    incomplete_seconds: float = 0.0  # mutations, license and role calls on the user -> 412
    get_lag_seconds: float = 0.0  # users.get on the user -> 404
    list_lag_seconds: float = 0.0  # users.list omits the user

    @staticmethod
    def within(created: float, seconds: float, now: float) -> bool:
        """Whether `now` (the emulator clock) is still inside a window of `seconds` after `created`."""
        return seconds > 0 and now - created < seconds


@dataclass
class Fault:
    method: str
    remaining: int
    code: int
    reason: str
    message: str


class Faults:
    """Fail the next N calls of a method; fail a random share with 5xx; add latency."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[Fault] = []
        self.random_5xx_rate = 0.0
        self._random = random.Random(0)
        self.latency_ms: dict[str, float] = {}  # method id or "*" -> ms

    def reset(self) -> None:
        with self._lock:
            self._queued.clear()
            self.random_5xx_rate = 0.0
            self.latency_ms = {}

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._queued.append(fault)

    def set_random(self, rate: float, seed: int | None) -> None:
        with self._lock:
            self.random_5xx_rate = rate
            self._random = random.Random(seed)

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [vars(f).copy() for f in self._queued if f.remaining > 0]

    def delay(self, method_id: str) -> None:
        ms = self.latency_ms.get(method_id, self.latency_ms.get("*", 0.0))
        if ms > 0:
            time.sleep(ms / 1000.0)

    def check(self, method_id: str) -> None:
        with self._lock:
            for fault in self._queued:
                if fault.method in (method_id, "*") and fault.remaining > 0:
                    fault.remaining -= 1
                    raise ApiError(fault.code, fault.reason, fault.message)
            if self.random_5xx_rate and self._random.random() < self.random_5xx_rate:
                raise ApiError(503, "backendError", "Backend Error")
