# Firestore (native mode) holds desired state (roster, accounts, settings) and everything recorded (runs,
# alerts, outbox, leases). Losing it would lose the provisioning history, so deletion is blocked twice: by the
# database's own protection flag and by abandoning it on `terraform destroy`.
resource "google_firestore_database" "this" {
  project     = var.project_id
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  # Point-in-time recovery: a bad roster import can be rolled back for 7 days.
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.enabled]
}

# Composite indexes for the store's ordered queries (local.composite_indexes, from names.COMPOSITE_INDEXES).
resource "google_firestore_index" "composite" {
  for_each = local.composite_indexes

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value.collection

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value[0]
      order      = fields.value[1]
    }
  }
}

# TTL policies (local.ttl_fields, from names.TTL_FIELDS): Firestore deletes a document some time (typically within
# a day) after its field's timestamp has passed. The field is only written and compared, never queried, so its
# single-field indexes are dropped (an empty index_config), which also avoids hotspots on ever-rising timestamps.
resource "google_firestore_field" "ttl" {
  for_each = local.ttl_fields

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.key
  field      = each.value

  ttl_config {}
  index_config {}
}
