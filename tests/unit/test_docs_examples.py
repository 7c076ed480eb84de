"""docs/state.md's example documents are what the code reads and writes, so the docs cannot drift.

Each ```json block follows a paragraph naming its document (`reseller_accounts/sakura`, `people/yamada`, ...);
operator documents validate with `portalsync.model` as the store reads them, and the
documents portalsync writes use only the fields its codecs write.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from portalsync import names
from portalsync.adapters.firestore_codec import record_from_doc, record_to_doc
from portalsync.alerts import Alert
from portalsync.model import Person, ResellerAccount, Settings
from portalsync.records import RunRecord
from portalsync.validation import validate

STATE_DOC = Path(__file__).resolve().parents[2] / "docs" / "state.md"
_BLOCK = re.compile(r"```json\n(.*?)\n```", re.DOTALL)
_DOCUMENT = re.compile(r"`([a-z_]+)/([^`{}]+)`")


def _examples() -> list[tuple[str | None, str | None, dict[str, Any]]]:
    """(collection, document id, body) per JSON block, named by the last document path in the paragraph before
    it."""
    text = STATE_DOC.read_text()
    found = []
    for match in _BLOCK.finditer(text):
        before = text[: match.start()].rsplit("\n\n", 2)[-2]
        named = _DOCUMENT.findall(before)
        collection, doc_id = named[-1] if named else (None, None)
        found.append((collection, doc_id, json.loads(match.group(1))))
    return found


def _by_kind(kind: str) -> list[dict[str, Any]]:
    return [body for collection, _, body in _examples() if collection == kind]


def test_every_example_is_named_and_parses() -> None:
    examples = _examples()
    assert len(examples) >= 6
    kinds = {collection for collection, _, _ in examples}
    assert None not in kinds
    assert kinds == {
        names.COL_ACCOUNTS,
        names.COL_PEOPLE,
        names.COL_SETTINGS,
        names.COL_ACCOUNT_STATE,
        names.COL_RUNS,
        names.COL_ALERTS,
    }


def test_reseller_account_examples_validate() -> None:
    for collection, doc_id, body in _examples():
        if collection != names.COL_ACCOUNTS:
            continue
        parsed, issues = validate(ResellerAccount, {"account_id": doc_id, **body}, f"{collection}/{doc_id}")
        assert parsed is not None, issues
        assert len(parsed.domains) > 1  # what the example is there to show
        assert parsed.role.kind == "custom"


def test_people_examples_validate() -> None:
    for collection, doc_id, body in _examples():
        if collection != names.COL_PEOPLE:
            continue
        parsed, issues = validate(Person, {"person_id": doc_id, **body}, f"{collection}/{doc_id}")
        assert parsed is not None, issues
        assert parsed.username_overrides


def test_the_settings_example_is_every_field_at_its_default() -> None:
    bodies = _by_kind(names.COL_SETTINGS)
    assert len(bodies) == 1
    parsed, issues = validate(Settings, bodies[0], "settings/global")
    assert parsed is not None, issues
    assert bodies[0] == Settings().model_dump(mode="json")


def test_written_document_examples_use_the_codecs_fields() -> None:
    for body in _by_kind(names.COL_ACCOUNT_STATE):
        assert set(body) == set(record_to_doc(record_from_doc(body)))
    for body in _by_kind(names.COL_RUNS):
        assert set(body) == {f.name for f in dataclasses.fields(RunRecord)}
        RunRecord(**body)
    for body in _by_kind(names.COL_ALERTS):
        assert set(body) == set(Alert.from_dict(body).to_dict())
