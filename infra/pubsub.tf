# Pub/Sub topics. The subscriptions that deliver to the functions are created by Eventarc with each function's
# trigger (functions.tf); only the dead-letter side is ours.
resource "google_pubsub_topic" "this" {
  #checkov:skip=CKV_GCP_83:Messages carry ids, never secrets or personal data; Google-managed keys suffice.
  for_each = toset(values(local.topics))

  project = var.project_id
  name    = each.value
}

# Events that failed dead_letter_max_delivery_attempts times land here and are kept for a week, so an operator
# can read why (`gcloud pubsub subscriptions pull portalsync-dead-letter-hold`) and republish after a fix.
resource "google_pubsub_subscription" "dead_letter_hold" {
  project = var.project_id
  name    = "${local.topics.dead_letter}-hold"
  topic   = google_pubsub_topic.this[local.topics.dead_letter].id

  message_retention_duration = "604800s"
  retain_acked_messages      = true
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = "" # never expire, however long nothing fails
  }
}

# Pub/Sub's service agent forwards dead letters: it must publish to the dead-letter topic (and acknowledge on the
# source subscriptions, granted in dead_letters.tf because Eventarc owns those subscriptions).
resource "google_pubsub_topic_iam_member" "dead_letter_forwarder" {
  project = var.project_id
  topic   = google_pubsub_topic.this[local.topics.dead_letter].name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${local.pubsub_service_agent}"
}

locals {
  pubsub_service_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}
