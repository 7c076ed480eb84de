# The nightly reconcile: Cloud Scheduler publishes one message to the nightly topic; nightly_sync fans it out to
# one sync-account message per reseller account, so each account retries (and fails) on its own.
resource "google_cloud_scheduler_job" "nightly" {
  project     = var.project_id
  region      = var.region
  name        = local.topics.nightly
  description = "Starts the nightly portalsync reconcile of every reseller account."
  schedule    = var.nightly_schedule
  time_zone   = var.time_zone

  pubsub_target {
    topic_name = google_pubsub_topic.this[local.topics.nightly].id
    # Pub/Sub needs a non-empty message; the function takes everything it needs from Firestore.
    data = base64encode("{}")
    attributes = {
      origin = "cloud-scheduler"
    }
  }

  # A missed publish is retried a few times; a missed night is caught up by the next one anyway.
  retry_config {
    retry_count          = 3
    min_backoff_duration = "30s"
  }

  depends_on = [google_project_service.enabled]
}
