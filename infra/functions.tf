# Cloud Functions gen2, one per entry point in local.functions (names.FUNCTIONS), all built from one bundle.

locals {
  # Defaults per entry point; var.function_settings overrides single fields. Event-driven gen2 functions may run
  # at most 540 s; every function that applies changes gets all of it, since one create may wait out apply's
  # 180 s consistency deadline and a person is applied in several accounts. max_instances bounds the Admin SDK
  # calls in flight: Directory quotas are per project, shared by every reseller account.
  function_defaults = {
    nightly_sync            = { memory = "256M", timeout_seconds = 120, max_instances = 1 }  # fan-out only
    sync_account            = { memory = "512M", timeout_seconds = 540, max_instances = 10 } # one account's reconcile
    onboard                 = { memory = "512M", timeout_seconds = 540, max_instances = 5 }
    onboard_on_roster_write = { memory = "256M", timeout_seconds = 540, max_instances = 5 }
    drain_outbox            = { memory = "256M", timeout_seconds = 300, max_instances = 3 } # mail rate limits
    status                  = { memory = "256M", timeout_seconds = 60, max_instances = 2 }
  }
  function_settings = {
    for name, defaults in local.function_defaults : name => merge(
      defaults,
      { for field, value in lookup(var.function_settings, name, {}) : field => value if value != null },
    )
  }

  # Everything the code reads at run time (tests/unit/test_infra.py checks both ways: nothing here the code does
  # not read, nothing the code reads missing here unless docs/deploy.md lists it as optional).
  function_environment = merge(
    {
      GOOGLE_CLOUD_PROJECT          = var.project_id
      PORTALSYNC_FIRESTORE_DATABASE = google_firestore_database.this.name
      # Keyless domain-wide delegation: the grant JWT is signed as this account by IAM Credentials signBlob.
      PORTALSYNC_SERVICE_ACCOUNT = google_service_account.runtime.email
      PORTALSYNC_AUTH_MODE       = "keyless"
      PORTALSYNC_MAIL_TRANSPORT  = var.mail_transport
      PORTALSYNC_MAIL_SENDER     = var.mail_sender
      PORTALSYNC_SMTP_HOST       = var.smtp_host
      PORTALSYNC_SMTP_PORT       = tostring(var.smtp_port)
      PORTALSYNC_SMTP_USERNAME   = var.smtp_username
      # The throttle's limits: raise them together with the project's quota, never above it.
      PORTALSYNC_DIRECTORY_QUOTA_PER_MINUTE = tostring(var.directory_quota_per_minute)
      PORTALSYNC_LICENSING_QUOTA_PER_MINUTE = tostring(var.licensing_quota_per_minute)
      # The nightly fan-out's topic: the one the functions publish to (and may, iam.tf).
      PORTALSYNC_TOPIC_SYNC_ACCOUNT = local.topics.sync_account
      # Where the nightly run reads the roster; both empty: the roster lives in Firestore only.
      PORTALSYNC_ROSTER_GROUP   = var.roster_group
      PORTALSYNC_ROSTER_SHEET   = var.roster_sheet
      PORTALSYNC_ROSTER_SUBJECT = var.roster_subject
      # Older deliveries are dropped as stale; a run group older than this gets its digest anyway.
      PORTALSYNC_MAX_EVENT_AGE_SECONDS     = tostring(var.max_event_age_seconds)
      PORTALSYNC_RUN_GROUP_OVERDUE_SECONDS = tostring(var.run_group_overdue_seconds)
      LOG_EXECUTION_ID                     = "true" # ties log lines to one invocation
    },
    var.extra_environment,
  )
}

# Function sources. Object names carry the bundle's hash, so a changed bundle is a new object and redeploys the
# functions, and an unchanged one deploys nothing.
resource "google_storage_bucket" "sources" {
  #checkov:skip=CKV_GCP_62:Holds only build inputs made from git (no user data); Cloud Audit Logs record access.
  #checkov:skip=CKV_GCP_78:Objects are content-addressed and rebuilt from git; versions would repeat the bytes.
  project                     = var.project_id
  name                        = "${var.project_id}-portalsync-sources"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  # Functions gen2 build their image once; the zip is not read again, and every deploy uploads a new one.
  lifecycle_rule {
    condition {
      age = 90
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_storage_bucket_object" "bundle" {
  name   = "functions/portalsync-${filemd5(var.bundle_zip)}.zip"
  bucket = google_storage_bucket.sources.name
  source = var.bundle_zip
}

resource "google_cloudfunctions2_function" "this" {
  for_each = local.functions

  project     = var.project_id
  location    = var.region
  name        = "portalsync-${replace(each.key, "_", "-")}"
  description = "portalsync ${each.key} (${each.value.trigger} trigger)"

  build_config {
    runtime     = "python311"
    entry_point = each.key
    source {
      storage_source {
        bucket = google_storage_bucket.sources.name
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    available_memory               = local.function_settings[each.key].memory
    timeout_seconds                = local.function_settings[each.key].timeout_seconds
    max_instance_count             = local.function_settings[each.key].max_instances
    service_account_email          = google_service_account.runtime.email
    all_traffic_on_latest_revision = true
    environment_variables          = local.function_environment

    # Event deliveries from Pub/Sub and Eventarc count as internal traffic; only status is called from outside,
    # and then only with an identity token of a member of var.status_invokers.
    ingress_settings = each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"

    # The SMTP password only when SMTP is the transport: mounting a secret with no version would fail the deploy.
    dynamic "secret_environment_variables" {
      for_each = google_secret_manager_secret.smtp_password # one with smtp, none otherwise
      content {
        key        = "PORTALSYNC_SMTP_PASSWORD"
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret_id
        version    = "latest"
      }
    }
  }

  # Pub/Sub and Firestore functions get an Eventarc trigger; HTTP ones none.
  dynamic "event_trigger" {
    for_each = each.value.trigger == "http" ? [] : [each.value]
    content {
      event_type = event_trigger.value.event_type
      # Eventarc Firestore triggers must sit in the database's location.
      trigger_region        = event_trigger.value.trigger == "firestore" ? var.firestore_location : var.region
      pubsub_topic          = event_trigger.value.trigger == "pubsub" ? google_pubsub_topic.this[event_trigger.value.target].id : null
      service_account_email = google_service_account.runtime.email
      # Failures are retried (with backoff, then dead-lettered: dead_letters.tf); the code raises only for
      # errors worth retrying and records permanent ones itself.
      retry_policy = "RETRY_POLICY_RETRY"

      dynamic "event_filters" {
        for_each = event_trigger.value.trigger == "firestore" ? {
          database = google_firestore_database.this.name
          document = event_trigger.value.target
        } : {}
        content {
          attribute = event_filters.key
          value     = event_filters.value
          # The document filter is a path pattern (people/{personId}), not one document.
          operator = event_filters.key == "document" ? "match-path-pattern" : null
        }
      }
    }
  }

  # Checked here rather than in variable validations, which may name other variables only from Terraform 1.9.
  lifecycle {
    precondition {
      condition     = var.roster_group == "" || var.roster_sheet == ""
      error_message = "Set roster_group or roster_sheet, not both."
    }
    precondition {
      condition     = var.roster_subject != "" || (var.roster_group == "" && var.roster_sheet == "")
      error_message = "roster_subject is required with roster_group or roster_sheet (the code fails without it)."
    }
  }

  depends_on = [
    google_project_service.enabled,
    google_project_iam_member.runtime_event_receiver,
    google_secret_manager_secret_iam_member.runtime_reads_smtp_password,
  ]
}
