"""Executing google-api-python-client requests: throttled, retried, counted, errors mapped.

Single calls and batches go through `ApiCaller`, so every request (each inner call of a batch, and each
retry) takes a quota token and counts as one API call. A batch never holds more parts than its API's bucket
can hold, so it cannot burst past the quota. A batch retries only the parts that failed transiently, in a
new, smaller batch, after one shared backoff.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from googleapiclient.discovery import build
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest, HttpRequest

from portalsync.adapters.google_errors import from_exception
from portalsync.adapters.retry import Retrier
from portalsync.adapters.throttle import TokenBucket
from portalsync.errors import NotFoundError, WorkspaceError

#: Google allows 1,000 calls per batch; smaller batches keep one failure's blast radius (and latency) small.
BATCH_SIZE = 100


def discovery_client(api: str, version: str, credentials: Any, endpoint: str) -> Any:
    """A client of `api` from the discovery document shipped with the library (no fetch, no cache)."""
    return build(
        api,
        version,
        credentials=credentials,
        client_options={"api_endpoint": endpoint},
        static_discovery=True,
        cache_discovery=False,
    )


class ApiCaller:
    def __init__(
        self, retrier: Retrier, buckets: dict[str, TokenBucket], batch_size: int = BATCH_SIZE
    ) -> None:
        self.retrier = retrier
        self.buckets = buckets  # by API name: "directory", "licensing"
        self.batch_size = batch_size
        self.calls = 0

    def chunk_size(self, api: str) -> int:
        """Parts per multipart request: the batch size, but never more than the bucket holds."""
        bucket = self.buckets.get(api)
        return self.batch_size if bucket is None else min(self.batch_size, bucket.largest_take)

    def _take(self, api: str, count: int = 1) -> None:
        self.calls += count
        bucket = self.buckets.get(api)
        if bucket is not None:
            bucket.acquire(count)

    def execute(self, api: str, make: Callable[[], HttpRequest]) -> Any:
        """Run one request (built afresh per attempt) with throttle and retries; raise a WorkspaceError."""

        def attempt() -> Any:
            self._take(api)
            return make().execute()

        return self.retrier.run(attempt, from_exception)

    def get_or_none(self, api: str, make: Callable[[], HttpRequest]) -> Any:
        """Like `execute`, but a 404 is an answer (None), not an error."""
        try:
            return self.execute(api, make)
        except NotFoundError:
            return None

    def pages(self, api: str, make: Callable[[str | None], HttpRequest], key: str) -> list[Any]:
        """Every item of a paged list call; `make(page_token)` builds one page's request."""
        items: list[Any] = []
        token: str | None = None
        while True:
            page = self.execute(api, partial(make, token))
            items.extend(page.get(key) or [])
            token = page.get("nextPageToken")
            if not token:
                return items

    def batch(
        self, api: str, batch_uri: str, requests: Sequence[Callable[[], HttpRequest]]
    ) -> list[Any | WorkspaceError]:
        """Run requests in batches; per request, its response or its (mapped) error, in order."""
        results: list[Any | WorkspaceError] = [None] * len(requests)
        pending = list(range(len(requests)))
        started = self.retrier.timer.monotonic()
        attempt = 0
        while pending:
            attempt += 1
            failed: dict[int, WorkspaceError] = {}
            size = self.chunk_size(api)
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                failed.update(self._run_batch(api, batch_uri, requests, chunk, results))
            retry: list[int] = []
            delays: list[float] = []
            for index, error in failed.items():
                delay = self.retrier.should_retry(error, attempt, started)
                if delay is None:
                    results[index] = error
                else:
                    retry.append(index)
                    delays.append(delay)
            pending = sorted(retry)
            if pending:
                self.retrier.timer.sleep(max(delays))
        return results

    def _run_batch(
        self,
        api: str,
        batch_uri: str,
        requests: Sequence[Callable[[], HttpRequest]],
        chunk: Sequence[int],
        results: list[Any | WorkspaceError],
    ) -> dict[int, WorkspaceError]:
        """One multipart request; the failed parts' errors by index (a failed envelope fails every part)."""
        failed: dict[int, WorkspaceError] = {}

        def callback(request_id: str, response: Any, exception: HttpError | None) -> None:
            index = int(request_id)
            if exception is None:
                results[index] = response
                return
            mapped = from_exception(exception)
            if mapped is None:
                raise exception
            failed[index] = mapped

        batch = BatchHttpRequest(callback=callback, batch_uri=batch_uri)
        for index in chunk:
            batch.add(requests[index](), request_id=str(index))
        self._take(api, len(chunk))
        try:
            batch.execute()
        except Exception as raised:
            error = from_exception(raised)
            if error is None:
                raise
            for index in chunk:
                if index not in failed and results[index] is None:
                    failed[index] = error
        return failed
