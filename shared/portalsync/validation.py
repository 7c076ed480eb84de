"""Turn pydantic errors into `ValidationIssue`s, so a bad document or roster row says where, which field, why.

The Firestore store and the roster import both validate with the models in `model.py`; one shared translation
keeps the operator-facing wording the same whichever way the bad data came in.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from portalsync.ports import ValidationIssue

M = TypeVar("M", bound=BaseModel)

_PREFIXES = ("Value error, ", "Assertion failed, ")


def issues_from(source: str, error: ValidationError) -> list[ValidationIssue]:
    """One issue per pydantic error; a model-level message of the form "field: why" names its field."""
    out: list[ValidationIssue] = []
    for item in error.errors(include_url=False):
        message = str(item["msg"])
        for prefix in _PREFIXES:
            message = message.removeprefix(prefix)
        field = ".".join(str(part) for part in item["loc"])
        if not field and ": " in message:
            head, rest = message.split(": ", 1)
            if head.isidentifier():
                field, message = head, rest
        out.append(ValidationIssue(source=source, field=field, message=message))
    return out


def validate(model: type[M], data: Mapping[str, Any], source: str) -> tuple[M | None, list[ValidationIssue]]:
    """The model, or None and the reasons it could not be built."""
    try:
        return model.model_validate(dict(data)), []
    except ValidationError as error:
        return None, issues_from(source, error)
