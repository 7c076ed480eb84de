# APIs the deployment and the running functions call. Enabled here so a fresh project needs no console clicks;
# disable_on_destroy = false because other workloads in the project may use them too.
locals {
  apis = [
    "cloudfunctions.googleapis.com",
    "run.googleapis.com",        # functions gen2 run as Cloud Run services
    "cloudbuild.googleapis.com", # functions gen2 build their image with Cloud Build
    "artifactregistry.googleapis.com",
    "eventarc.googleapis.com", # Pub/Sub and Firestore triggers
    "pubsub.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # keyless domain-wide delegation: the runtime account signs its own JWTs
    "admin.googleapis.com",          # Directory API
    "licensing.googleapis.com",
    "gmail.googleapis.com",
    "sheets.googleapis.com", # roster read from a spreadsheet
  ]
}

resource "google_project_service" "enabled" {
  for_each = toset(local.apis)

  project            = var.project_id
  service            = each.value
  disable_on_destroy = false
}
