# Dead-letter policy on the subscriptions Eventarc creates for each event-driven function.
#
# Eventarc owns those subscriptions and neither google_cloudfunctions2_function nor google_eventarc_trigger can
# configure them (hashicorp/terraform-provider-google#25069, #17697), so without this an event that keeps failing
# is retried for the subscription's 7-day retention and then silently dropped. This step finds each trigger's
# subscription and sets a dead-letter topic, a delivery cap and retry backoff on it with gcloud. It reruns
# whenever a trigger is recreated (a new trigger brings a new subscription). Needs gcloud where Terraform runs
# (the Cloud Build deploy step has it).
resource "terraform_data" "dead_letter_policy" {
  for_each = { for name, fn in local.functions : name => fn if fn.trigger != "http" }

  triggers_replace = [
    google_cloudfunctions2_function.this[each.key].event_trigger[0].trigger,
    var.dead_letter_max_delivery_attempts,
  ]

  provisioner "local-exec" {
    interpreter = ["bash", "-c"]
    environment = {
      PROJECT           = var.project_id
      TRIGGER           = google_cloudfunctions2_function.this[each.key].event_trigger[0].trigger
      LOCATION          = each.value.trigger == "firestore" ? var.firestore_location : var.region
      DEAD_LETTER_TOPIC = google_pubsub_topic.this[local.topics.dead_letter].id
      ATTEMPTS          = var.dead_letter_max_delivery_attempts
      PUBSUB_AGENT      = local.pubsub_service_agent
    }
    command = <<-EOT
      set -euo pipefail
      sub=$(gcloud eventarc triggers describe "$${TRIGGER##*/}" --project="$PROJECT" --location="$LOCATION" \
        --format='value(transport.pubsub.subscription)')
      # Pub/Sub's agent acknowledges the message on the source subscription when it forwards it.
      gcloud pubsub subscriptions add-iam-policy-binding "$sub" --project="$PROJECT" \
        --member="serviceAccount:$PUBSUB_AGENT" --role=roles/pubsub.subscriber --quiet >/dev/null
      gcloud pubsub subscriptions update "$sub" --project="$PROJECT" \
        --dead-letter-topic="$DEAD_LETTER_TOPIC" --max-delivery-attempts="$ATTEMPTS" \
        --min-retry-delay=10s --max-retry-delay=600s --quiet
    EOT
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_forwarder]
}
