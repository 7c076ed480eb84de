# The SMTP relay password, the only secret portalsync has (the Gmail path is keyless), so it exists only when
# mail_transport is "smtp". Terraform creates the secret but never its value, so the password stays out of state
# and out of CI logs: an operator adds it between a targeted and the full apply (docs/deploy.md, "SMTP instead of
# the Gmail API"), because the functions mount its latest version and cannot deploy while it has none.
resource "google_secret_manager_secret" "smtp_password" {
  count = var.mail_transport == "smtp" ? 1 : 0

  project   = var.project_id
  secret_id = "portalsync-smtp-password"

  # Kept in the functions' region rather than replicated worldwide.
  replication {
    user_managed {
      replicas {
        location = var.region
      }
    }
  }

  depends_on = [google_project_service.enabled]
}

# Read by the runtime account only; nobody else gets an accessor binding from this configuration.
resource "google_secret_manager_secret_iam_member" "runtime_reads_smtp_password" {
  count = var.mail_transport == "smtp" ? 1 : 0

  project   = var.project_id
  secret_id = google_secret_manager_secret.smtp_password[0].secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.runtime_member
}

# Both used to exist unconditionally: keep an SMTP deployment's secret (and its versions) where it is.
moved {
  from = google_secret_manager_secret.smtp_password
  to   = google_secret_manager_secret.smtp_password[0]
}

moved {
  from = google_secret_manager_secret_iam_member.runtime_reads_smtp_password
  to   = google_secret_manager_secret_iam_member.runtime_reads_smtp_password[0]
}
