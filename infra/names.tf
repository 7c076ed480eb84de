# The names code, infra and CI share. This is a mirror of shared/portalsync/names.py, which Terraform cannot
# import; tests/unit/test_infra.py fails as soon as the two disagree, so edit both together.
locals {
  # Pub/Sub topics, by role.
  topics = {
    nightly      = "portalsync-nightly"
    sync_account = "portalsync-sync-account"
    onboard      = "portalsync-onboard"
    dead_letter  = "portalsync-dead-letter"
  }

  # Entry points in functions/main.py and what triggers each (names.FUNCTIONS): a topic name for "pubsub", a
  # document path pattern for "firestore", nothing for "http"; and the Eventarc event type. The outbox drain
  # takes `created` only: `written` would also fire on the drain's own claim and sent/failed updates.
  functions = {
    nightly_sync            = { trigger = "pubsub", target = "portalsync-nightly", event_type = "google.cloud.pubsub.topic.v1.messagePublished" }
    sync_account            = { trigger = "pubsub", target = "portalsync-sync-account", event_type = "google.cloud.pubsub.topic.v1.messagePublished" }
    onboard                 = { trigger = "pubsub", target = "portalsync-onboard", event_type = "google.cloud.pubsub.topic.v1.messagePublished" }
    onboard_on_roster_write = { trigger = "firestore", target = "people/{personId}", event_type = "google.cloud.firestore.document.v1.written" }
    drain_outbox            = { trigger = "firestore", target = "outbox/{messageId}", event_type = "google.cloud.firestore.document.v1.created" }
    status                  = { trigger = "http", target = "", event_type = "" }
  }

  # Composite indexes the store's queries need (names.COMPOSITE_INDEXES). The emulator never asks for them, so
  # a missing one would only show in production, as FAILED_PRECONDITION.
  composite_indexes = {
    runs_by_account = {
      collection = "runs"
      fields     = [["account_id", "ASCENDING"], ["started_at", "DESCENDING"]]
    }
  }

  # TTL policies (names.TTL_FIELDS): collection -> the expiry timestamp after which Firestore deletes a document.
  ttl_fields = {
    leases = "expires_at"
  }
}
