# One runtime service account for every function, with only what the code does:
#   read/write Firestore, publish the nightly fan-out, sign its own JWTs (keyless domain-wide
#   delegation), receive Eventarc events and invoke its own event-driven functions.
# Google Workspace permissions are not IAM: each reseller account grants them to this account's client id
# (output runtime_service_account_client_id) in its Admin console, see docs/deploy.md.
resource "google_service_account" "runtime" {
  project      = var.project_id
  account_id   = "portalsync-runtime"
  display_name = "portalsync functions"
  description  = "Runs the portalsync Cloud Functions; the subject of domain-wide delegation in reseller accounts."
}

locals {
  runtime_member = "serviceAccount:${google_service_account.runtime.email}"

  # Topics the code publishes to (names.PUBLISHED_TOPICS): nightly_sync fans out to sync-account. Cloud
  # Scheduler's agent publishes nightly; onboard is published by operators, never by the functions.
  published_topics = [local.topics.sync_account]
}

# Firestore read/write, limited by an IAM condition to portalsync's database.
resource "google_project_iam_member" "runtime_datastore_user" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = local.runtime_member

  condition {
    title      = "portalsync-database-only"
    expression = "resource.name == \"projects/${var.project_id}/databases/${google_firestore_database.this.name}\""
  }
}

resource "google_pubsub_topic_iam_member" "runtime_publisher" {
  for_each = toset(local.published_topics)

  project = var.project_id
  topic   = google_pubsub_topic.this[each.value].name
  role    = "roles/pubsub.publisher"
  member  = local.runtime_member
}

# Keyless domain-wide delegation: adapters/auth.py signs the grant JWT with IAM Credentials signBlob as this
# account, i.e. the caller signs as itself, which still needs Token Creator on itself. Granted on this account only.
resource "google_service_account_iam_member" "runtime_signs_own_jwt" {
  service_account_id = google_service_account.runtime.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.runtime_member
}

# The runtime account is also the triggers' identity: Eventarc requires eventReceiver of it (a project-level
# role only), and the push to each event-driven function needs run.invoker on that function's service.
resource "google_project_iam_member" "runtime_event_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = local.runtime_member
}

resource "google_cloud_run_service_iam_member" "trigger_invoker" {
  for_each = { for name, fn in local.functions : name => fn if fn.trigger != "http" }

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this[each.key].service_config[0].service # Cloud Run names it, not us
  role     = "roles/run.invoker"
  member   = local.runtime_member
}

# status has no unauthenticated access: only the listed members may call it (with an identity token).
resource "google_cloud_run_service_iam_member" "status_invoker" {
  for_each = toset(var.status_invokers)

  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this["status"].service_config[0].service
  role     = "roles/run.invoker"
  member   = each.value
}
