"""Google's JSON error shape, raised by handlers and rendered in one place."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered the way Google's APIs answer it."""

    def __init__(self, code: int, reason: str, message: str, domain: str = "global") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"domain": self.domain, "reason": self.reason, "message": self.message}],
            }
        }


def not_found(what: str) -> ApiError:
    return ApiError(404, "notFound", f"Resource Not Found: {what}")


def forbidden() -> ApiError:
    return ApiError(403, "forbidden", "Not Authorized to access this resource/api")


def duplicate() -> ApiError:
    return ApiError(409, "duplicate", "Entity already exists.")


def invalid(message: str) -> ApiError:
    return ApiError(400, "invalid", message)


def bad_request(message: str = "Bad Request") -> ApiError:
    return ApiError(400, "badRequest", message)


def creation_not_complete() -> ApiError:
    return ApiError(412, "conditionNotMet", "User creation is not complete.")
