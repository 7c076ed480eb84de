# What an operator needs after apply: the client id to authorise in every reseller account's Admin console,
# and where to look when something fails.

output "runtime_service_account_email" {
  description = "The functions' identity, and the principal of keyless domain-wide delegation."
  value       = google_service_account.runtime.email
}

output "runtime_service_account_client_id" {
  description = "Client ID to authorise in each tenant for the scopes of its roles: `python -m portalsync.scopes --for ROLE`."
  value       = google_service_account.runtime.unique_id
}

output "function_names" {
  description = "Deployed function name per entry point."
  value       = { for entry_point, fn in google_cloudfunctions2_function.this : entry_point => fn.name }
}

output "status_url" {
  description = "URL of the status function (call it with an identity token)."
  value       = google_cloudfunctions2_function.this["status"].service_config[0].uri
}

output "topics" {
  description = "Pub/Sub topic ids by role."
  value       = { for role, name in local.topics : role => google_pubsub_topic.this[name].id }
}

output "dead_letter_subscription" {
  description = "Pull subscription that holds events which failed every delivery attempt."
  value       = google_pubsub_subscription.dead_letter_hold.id
}

output "smtp_password_secret" {
  description = "Secret Manager secret to add the SMTP password to (only when mail_transport is \"smtp\")."
  value       = one(google_secret_manager_secret.smtp_password[*].id)
}
