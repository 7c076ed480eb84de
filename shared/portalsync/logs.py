"""JSON log lines with `severity`, as Cloud Logging reads them from a function's stdout.

Context such as `run_id`, `account_id`, `action` travels in `extra=`; fields whose name suggests a secret are
dropped here as a last line of defence, although nothing in portalsync logs one.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any, TextIO

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_SECRET_WORDS = ("password", "token", "secret", "private_key", "assertion")
SEVERITY = {"WARNING": "WARNING", "CRITICAL": "CRITICAL", "ERROR": "ERROR", "INFO": "INFO", "DEBUG": "DEBUG"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "severity": SEVERITY.get(record.levelname, "DEFAULT"),
            "message": record.getMessage(),
            "logger": record.name,
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or any(w in key.lower() for w in _SECRET_WORDS):
                continue
            entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Send portalsync's logs as JSON lines to `stream` (stderr by default); idempotent."""
    logger = logging.getLogger("portalsync")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        if getattr(handler, "_portalsync", False):
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._portalsync = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.propagate = False
