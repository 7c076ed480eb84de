"""Validate a JSON value against a discovery-document schema, strictly.

Strict means: no property the schema does not declare, JSON types as discovery declares them (int64 and
uint64 travel as strings), `$ref`s followed. This is what lets the emulator claim its bodies are Google's.
"""

from __future__ import annotations

from typing import Any

from workspace_emulator.discovery import document

STRING_FORMATS_AS_STRINGS = {
    "int64",
    "uint64",
    "date-time",
    "date",
    "byte",
    "google-datetime",
    "google-duration",
}


def validate(api: str, ref: str, value: Any) -> list[str]:
    """Return the problems found (empty when the value fits the schema)."""
    schemas = document(api)["schemas"]
    problems: list[str] = []
    _check(schemas, {"$ref": ref}, value, ref, problems)
    return problems


def _check(schemas: dict[str, Any], schema: dict[str, Any], value: Any, where: str, out: list[str]) -> None:
    if "$ref" in schema:
        _check(schemas, schemas[schema["$ref"]], value, where, out)
        return
    kind = schema.get("type")
    if kind == "any" or kind is None:
        return
    if kind == "object":
        if not isinstance(value, dict):
            out.append(f"{where}: expected object, got {type(value).__name__}")
            return
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in props:
                _check(schemas, props[key], item, f"{where}.{key}", out)
            elif extra is not None:
                _check(schemas, extra, item, f"{where}[{key!r}]", out)
            else:
                out.append(f"{where}: property {key!r} is not in the schema")
    elif kind == "array":
        if not isinstance(value, list):
            out.append(f"{where}: expected array, got {type(value).__name__}")
            return
        for index, item in enumerate(value):
            _check(schemas, schema.get("items", {}), item, f"{where}[{index}]", out)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{where}: expected string, got {type(value).__name__} {value!r}")
        elif "enum" in schema and value not in schema["enum"]:
            out.append(f"{where}: {value!r} not in enum")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            out.append(f"{where}: expected integer, got {value!r}")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            out.append(f"{where}: expected number, got {value!r}")
    elif kind == "boolean" and not isinstance(value, bool):
        out.append(f"{where}: expected boolean, got {value!r}")
