"""`StateStore` on Firestore: desired state in, per-account records, runs and issues out (alerts are the
notifier's, through `firestore_flows.FirestoreAlertBook`).

Writes cost money and make the audit trail noisy, so every write path compares with what is stored and
writes only what changed; `writes` counts every document written so tests can hold a no-op sync to zero.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from google.cloud import firestore

from portalsync import names
from portalsync.adapters.firestore_codec import (
    record_from_doc,
    record_to_doc,
    run_from_doc,
    run_to_doc,
    safe_id,
)
from portalsync.model import Person, ResellerAccount, Settings
from portalsync.ports import Approval, DesiredState, ValidationIssue, from_origin
from portalsync.records import AccountStatus, ProvisioningRecord, RunRecord
from portalsync.validation import validate

BATCH_LIMIT = 500  # Firestore's limit per batch (the emulator does not enforce it)
APPROVAL_FIELD = "removal_approval"

Write = tuple[str, Any, dict[str, Any] | None]  # (collection for counting, document ref, data; None = delete)


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class FirestoreStore:
    """One Firestore database (the client decides which: production or the emulator)."""

    def __init__(self, client: firestore.Client, now: Callable[[], str] = _utc_now) -> None:
        self.client = client
        self._now = now
        self.writes_by_collection: Counter[str] = Counter()
        # what each account's records looked like when last read or written, to skip unchanged ones
        self._records: dict[str, dict[str, ProvisioningRecord]] = {}

    @property
    def writes(self) -> int:
        return sum(self.writes_by_collection.values())

    # desired state ---------------------------------------------------------------------------------
    def load_desired(self) -> DesiredState:
        issues: list[ValidationIssue] = []
        approvals: dict[str, Approval] = {}
        accounts: list[ResellerAccount] = []
        for doc in self.client.collection(names.COL_ACCOUNTS).stream():
            if (approval := _approval(doc.id, doc.to_dict() or {})) is not None:
                approvals[doc.id] = approval  # kept from this read: a run needs no second one
            if (a := self._parse(ResellerAccount, "account_id", doc, issues)) is not None:
                accounts.append(a)
        people = [
            p
            for doc in self.client.collection(names.COL_PEOPLE).stream()
            if (p := self._parse(Person, "person_id", doc, issues)) is not None
        ]
        settings = self._settings(issues)
        return DesiredState(
            accounts=accounts, people=people, settings=settings, issues=issues, approvals=approvals
        )

    def load_settings(self) -> Settings:
        """`settings/global` alone (one read), for what is decided at send time such as the mail sender."""
        return self._settings([])

    def _settings(self, issues: list[ValidationIssue]) -> Settings:
        snap = self.client.collection(names.COL_SETTINGS).document(names.SETTINGS_DOC).get()
        if not snap.exists:
            return Settings()
        source = f"{names.COL_SETTINGS}/{names.SETTINGS_DOC}"
        parsed, problems = validate(Settings, snap.to_dict() or {}, source)
        issues.extend(problems)  # a broken settings document falls back to the (cautious) defaults
        return parsed or Settings()

    @staticmethod
    def _parse(
        model: type[ResellerAccount] | type[Person],
        id_field: str,
        doc: Any,
        issues: list[ValidationIssue],
    ) -> Any:
        source = f"{doc.reference.parent.id}/{doc.id}"
        data = dict(doc.to_dict() or {})
        data.pop(APPROVAL_FIELD, None)  # operator state kept on the account document, not desired state
        if data.setdefault(id_field, doc.id) != doc.id:
            issues.append(ValidationIssue(source, id_field, f"does not match the document id {doc.id!r}"))
            return None
        parsed, problems = validate(model, data, source)
        issues.extend(problems)
        return parsed

    def save_people(self, people: Sequence[Person]) -> int:
        col = self.client.collection(names.COL_PEOPLE)
        refs = [col.document(p.person_id) for p in people]
        stored = {s.id: s.to_dict() for s in self.client.get_all(refs) if s.exists} if refs else {}
        writes: list[Write] = []
        for person, ref in zip(people, refs, strict=True):
            doc = person.model_dump(mode="json")
            if stored.get(person.person_id) != doc:
                writes.append((names.COL_PEOPLE, ref, doc))
        return self._commit(writes)

    # per-account records ---------------------------------------------------------------------------
    def _provisioning(self, account_id: str) -> Any:
        return (
            self.client.collection(names.COL_ACCOUNT_STATE)
            .document(account_id)
            .collection(names.SUB_PROVISIONING)
        )

    def load_records(self, account_id: str) -> dict[str, ProvisioningRecord]:
        records: dict[str, ProvisioningRecord] = {}
        for snap in self._provisioning(account_id).stream():
            record = record_from_doc(snap.to_dict() or {})
            records[record.key] = record
        self._records[account_id] = dict(records)
        return records

    def record_counts(self, account_id: str) -> dict[str, int]:
        """One count() aggregation per status: the status endpoint pays per state, not per record."""
        counts: dict[str, int] = {}
        for status in AccountStatus:
            query = self._provisioning(account_id).where(
                filter=firestore.FieldFilter("status", "==", status.value)
            )
            [[result]] = query.count().get()
            if int(result.value):
                counts[status.value] = int(result.value)
        return counts

    def save_records(self, account_id: str, records: Sequence[ProvisioningRecord]) -> int:
        if account_id not in self._records:
            self.load_records(account_id)
        known = self._records[account_id]
        col = self._provisioning(account_id)
        writes: list[Write] = []
        for record in records:
            old = known.get(record.key)
            if old is not None and old.same_as(record):
                continue
            writes.append((names.COL_ACCOUNT_STATE, col.document(record.key), record_to_doc(record)))
            known[record.key] = record
        return self._commit(writes)

    # runs and issues -------------------------------------------------------------------------------
    def save_run(self, run: RunRecord) -> None:
        ref = self.client.collection(names.COL_RUNS).document(run.run_id)
        self._commit([(names.COL_RUNS, ref, run_to_doc(run))])

    def recent_runs(self, account_id: str, limit: int = 10) -> list[RunRecord]:
        """Newest first; served by the (account_id, started_at) composite index in `names`."""
        query = (
            self.client.collection(names.COL_RUNS)
            .where(filter=firestore.FieldFilter("account_id", "==", account_id))
            .order_by("started_at", direction=firestore.Query.DESCENDING)
            .limit(limit)
        )
        return [run_from_doc(s.to_dict() or {}) for s in query.stream()]

    def record_issues(self, issues: Sequence[ValidationIssue], reread: Sequence[str] = ()) -> None:
        by_source: dict[str, list[dict[str, str]]] = {}
        for issue in issues:
            by_source.setdefault(issue.source, []).append({"field": issue.field, "message": issue.message})
        col = self.client.collection(names.COL_VALIDATION)
        refs = {source: col.document(safe_id(source)) for source in by_source}
        writes: list[Write] = []
        if reread:  # the whole (small) collection, to find what the re-read sources no longer report
            snaps = list(col.stream())
            stored = {s.id: s.to_dict() or {} for s in snaps}
            for snap in snaps:
                source = str(stored[snap.id].get("source", ""))
                if source not in by_source and any(from_origin(source, o) for o in reread):
                    writes.append((names.COL_VALIDATION, snap.reference, None))
        else:
            stored = self._get_all(refs.values())
        for source, found in by_source.items():
            ref = refs[source]
            if (stored.get(ref.id) or {}).get("issues") != found:
                doc = {"source": source, "issues": found, "seen_at": self._now()}
                writes.append((names.COL_VALIDATION, ref, doc))
        self._commit(writes)

    # the mass-removal guard's approvals --------------------------------------------------------------
    def approval(self, account_id: str) -> Approval | None:
        snap = self.client.collection(names.COL_ACCOUNTS).document(account_id).get()
        return _approval(account_id, snap.to_dict() or {}) if snap.exists else None

    def save_approval(self, approval: Approval) -> None:
        ref = self.client.collection(names.COL_ACCOUNTS).document(approval.account_id)
        value = {
            "max_removals": approval.max_removals,
            "approved_by": approval.approved_by,
            "approved_at": self._now(),
        }
        ref.update({APPROVAL_FIELD: value})
        self.writes_by_collection[names.COL_ACCOUNTS] += 1

    def consume_approval(self, account_id: str) -> None:
        ref = self.client.collection(names.COL_ACCOUNTS).document(account_id)
        ref.update({APPROVAL_FIELD: firestore.DELETE_FIELD})
        self.writes_by_collection[names.COL_ACCOUNTS] += 1

    # plumbing -------------------------------------------------------------------------------------
    def _get_all(self, refs: Iterable[Any]) -> dict[str, dict[str, Any]]:
        wanted = list(refs)
        if not wanted:
            return {}
        return {s.id: s.to_dict() or {} for s in self.client.get_all(wanted) if s.exists}

    def _commit(self, writes: Sequence[Write]) -> int:
        for start in range(0, len(writes), BATCH_LIMIT):
            batch = self.client.batch()
            for collection, ref, data in writes[start : start + BATCH_LIMIT]:
                if data is None:
                    batch.delete(ref)
                else:
                    batch.set(ref, data)
                self.writes_by_collection[collection] += 1
            batch.commit()
        return len(writes)


def _approval(account_id: str, data: Mapping[str, Any]) -> Approval | None:
    raw = data.get(APPROVAL_FIELD)
    if not isinstance(raw, Mapping):
        return None
    try:
        return Approval(account_id, int(raw["max_removals"]), str(raw["approved_by"]))
    except (KeyError, TypeError, ValueError):
        return None
