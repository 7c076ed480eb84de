# The SMTP relay password, the only secret portalsync has (the Gmail path is keyless). Terraform creates the
# secret but never its value, so the password stays out of state and out of CI logs: an operator adds it with
# `gcloud secrets versions add portalsync-smtp-password --data-file=-` (docs/deploy.md).
resource "google_secret_manager_secret" "smtp_password" {
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
  project   = var.project_id
  secret_id = google_secret_manager_secret.smtp_password.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.runtime_member
}
