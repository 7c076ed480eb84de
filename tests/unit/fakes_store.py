"""An in-memory `StateStore` that counts writes the way the Firestore store does (only changed records)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from portalsync.model import Person, ResellerAccount, Settings
from portalsync.ports import Approval, DesiredState, ValidationIssue, from_origin
from portalsync.records import ProvisioningRecord, RunRecord


@dataclass
class FakeStore:
    accounts: list[ResellerAccount] = field(default_factory=list)
    people: dict[str, Person] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)
    desired_issues: list[ValidationIssue] = field(default_factory=list)
    records: dict[str, dict[str, ProvisioningRecord]] = field(default_factory=dict)
    runs: list[RunRecord] = field(default_factory=list)
    issues: list[ValidationIssue] = field(default_factory=list)
    approvals: dict[str, Approval] = field(default_factory=dict)
    writes: Counter[str] = field(default_factory=Counter)
    reads: Counter[str] = field(default_factory=Counter)  # load_desired / load_settings calls

    def load_desired(self) -> DesiredState:
        self.reads["desired"] += 1
        return DesiredState(
            list(self.accounts),
            list(self.people.values()),
            self.settings,
            list(self.desired_issues),
            dict(self.approvals),
        )

    def load_settings(self) -> Settings:
        self.reads["settings"] += 1
        return self.settings

    def save_people(self, people: Sequence[Person]) -> int:
        changed = [p for p in people if self.people.get(p.person_id) != p]
        for person in changed:
            self.people[person.person_id] = person
        self.writes["people"] += len(changed)
        return len(changed)

    def load_records(self, account_id: str) -> dict[str, ProvisioningRecord]:
        return dict(self.records.get(account_id, {}))

    def record_counts(self, account_id: str) -> dict[str, int]:
        return dict(Counter(r.status.value for r in self.records.get(account_id, {}).values()))

    def save_records(self, account_id: str, records: Sequence[ProvisioningRecord]) -> int:
        stored = self.records.setdefault(account_id, {})
        changed = [r for r in records if r.key not in stored or not stored[r.key].same_as(r)]
        for record in changed:
            stored[record.key] = record
        self.writes["records"] += len(changed)
        return len(changed)

    def save_run(self, run: RunRecord) -> None:
        self.runs.append(run)
        self.writes["runs"] += 1

    def record_issues(self, issues: Sequence[ValidationIssue], reread: Sequence[str] = ()) -> None:
        sources = {i.source for i in issues}
        stale = [
            i
            for i in self.issues
            if i.source not in sources and any(from_origin(i.source, o) for o in reread)
        ]
        new = [i for i in issues if i not in self.issues]
        self.issues = [i for i in self.issues if i not in stale] + new
        self.writes["issues"] += len(new) + len(stale)

    def approval(self, account_id: str) -> Approval | None:
        return self.approvals.get(account_id)

    def save_approval(self, approval: Approval) -> None:
        self.approvals[approval.account_id] = approval

    def consume_approval(self, account_id: str) -> None:
        self.approvals.pop(account_id, None)

    def status_of(self, account_id: str) -> dict[str, str]:
        return {k: r.status.value for k, r in self.records.get(account_id, {}).items()}
