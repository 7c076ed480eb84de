"""Names shared by the code, `infra/` and `cloudbuild.yaml`; tests check that the three agree."""

from __future__ import annotations

from typing import Final

# Pub/Sub topics
TOPIC_NIGHTLY: Final = "portalsync-nightly"
TOPIC_SYNC_ACCOUNT: Final = "portalsync-sync-account"
TOPIC_ONBOARD: Final = "portalsync-onboard"
TOPIC_DEAD_LETTER: Final = "portalsync-dead-letter"
TOPICS: Final = (TOPIC_NIGHTLY, TOPIC_SYNC_ACCOUNT, TOPIC_ONBOARD, TOPIC_DEAD_LETTER)
# What the functions publish to, so all their service account may publish to (infra/iam.tf): only the nightly
# fan-out publishes. Cloud Scheduler publishes nightly, an operator onboard, Pub/Sub's agent dead letters.
# tests/unit/test_infra.py derives the set from the code's publish calls.
PUBLISHED_TOPICS: Final = (TOPIC_SYNC_ACCOUNT,)

# Eventarc event types of the triggers
EVENT_PUBLISHED: Final = "google.cloud.pubsub.topic.v1.messagePublished"
EVENT_DOCUMENT_WRITTEN: Final = "google.cloud.firestore.document.v1.written"
EVENT_DOCUMENT_CREATED: Final = "google.cloud.firestore.document.v1.created"

# Cloud Functions entry points in functions/main.py -> the trigger that runs each: (kind, topic or document
# pattern, event type). The outbox drain runs on `created` only: on `written` it would also fire on its own
# claim and sent/failed updates, about three invocations per mail.
FUNCTIONS: Final = {
    "nightly_sync": ("pubsub", TOPIC_NIGHTLY, EVENT_PUBLISHED),
    "sync_account": ("pubsub", TOPIC_SYNC_ACCOUNT, EVENT_PUBLISHED),
    "onboard": ("pubsub", TOPIC_ONBOARD, EVENT_PUBLISHED),
    "onboard_on_roster_write": ("firestore", "people/{personId}", EVENT_DOCUMENT_WRITTEN),
    "drain_outbox": ("firestore", "outbox/{messageId}", EVENT_DOCUMENT_CREATED),
    "status": ("http", "", ""),
}

# Firestore collections
COL_ACCOUNTS: Final = "reseller_accounts"  # desired: one document per reseller account (Workspace customer)
COL_PEOPLE: Final = "people"  # desired: the staff roster
COL_SETTINGS: Final = "settings"  # desired: document `global`
SETTINGS_DOC: Final = "global"
COL_ACCOUNT_STATE: Final = "account_state"  # observed/recorded: per account, subcollection `accounts`
SUB_PROVISIONING: Final = "provisioning"  # per person x domain, under account_state/{account}
COL_RUNS: Final = "runs"
COL_ALERTS: Final = "alerts"
COL_OUTBOX: Final = "outbox"
COL_LEASES: Final = "leases"
COL_EVENTS: Final = "processed_events"
COL_VALIDATION: Final = "validation_issues"
COL_RUN_GROUPS: Final = "run_groups"  # one nightly run: accounts published and finished (digest timing)
COL_CREDENTIALS_DUE: Final = "credentials_due"  # first-sign-in mails to retry: addresses only
COL_WELCOMES: Final = "welcomes"  # person x domain: due an onboarding mail, or already listed in one

# Composite indexes the adapters' queries need: (collection, ((field, "ASCENDING"|"DESCENDING"), ...)). Only a
# filter combined with an order on another field needs one; equality filters alone are served by single-field
# indexes. tests/unit/test_infra.py derives the set from the queries in portalsync.adapters.
COMPOSITE_INDEXES: Final = ((COL_RUNS, (("account_id", "ASCENDING"), ("started_at", "DESCENDING"))),)

# Firestore TTL policies: collection -> the timestamp field after which Firestore deletes a document. Only
# leases carry an expiry (`expires_at`; an expired lease is free, so deleting it changes nothing). Processed
# event ids, run groups and sent outbox messages record when something happened, not until when they matter,
# so they get no policy until the code writes an expiry for them.
TTL_FIELDS: Final = {COL_LEASES: "expires_at"}
