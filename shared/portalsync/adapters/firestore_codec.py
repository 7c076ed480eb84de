"""How portalsync's records look as Firestore documents, and back.

Kept apart from the store so the field names live in one place: the Cloud Console, the `status` command and
the store all read the same shapes. Documents are plain JSON-like maps; no secret ever has a field here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from portalsync.records import AccountObservation, AccountStatus, ProvisioningRecord, RunRecord, Wanted

_RECORD_FIELDS = {f.name for f in dataclasses.fields(ProvisioningRecord)}
_OBSERVED_FIELDS = {f.name for f in dataclasses.fields(AccountObservation)}


def safe_id(key: str) -> str:
    """A Firestore-safe document id for a key that may contain `/` (reversible, still readable)."""
    return key.replace("%", "%25").replace("/", "%2F")


def record_to_doc(record: ProvisioningRecord) -> dict[str, Any]:
    """`observed` is a map (exists, suspended, licensed, has_role) so the console shows it as one field."""
    doc = dataclasses.asdict(record)
    doc["status"] = record.status.value
    doc["desired"] = record.desired.value
    return doc


def record_from_doc(data: Mapping[str, Any]) -> ProvisioningRecord:
    """Unknown fields (added by a newer version) are ignored rather than failing the whole account; fields
    an older version did not write take their defaults."""
    values = {k: v for k, v in data.items() if k in _RECORD_FIELDS}
    values["status"] = AccountStatus(values["status"])
    if "desired" in values:
        values["desired"] = Wanted(values["desired"])
    seen = values.get("observed")
    if isinstance(seen, Mapping):
        values["observed"] = AccountObservation(
            **{k: bool(v) for k, v in seen.items() if k in _OBSERVED_FIELDS}
        )
    else:
        values.pop("observed", None)
    return ProvisioningRecord(**values)


def run_to_doc(run: RunRecord) -> dict[str, Any]:
    return dataclasses.asdict(run)


def run_from_doc(data: Mapping[str, Any]) -> RunRecord:
    names = {f.name for f in dataclasses.fields(RunRecord)}
    return RunRecord(**{k: v for k, v in data.items() if k in names})
