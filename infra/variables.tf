# Inputs. Everything that differs between a staging and a production project is a variable; names the code
# relies on are not (they live in names.tf, mirrored from shared/portalsync/names.py).

variable "project_id" {
  description = "Google Cloud project that runs portalsync."
  type        = string
}

variable "region" {
  description = "Region for the functions, the scheduler job and the source bucket."
  type        = string
  default     = "asia-northeast1"
}

variable "firestore_location" {
  description = "Firestore location. Eventarc Firestore triggers must live in the database's location."
  type        = string
  default     = "asia-northeast1"
}

variable "nightly_schedule" {
  description = "Cron schedule of the nightly reconcile, read in time_zone."
  type        = string
  default     = "0 3 * * *"
}

variable "time_zone" {
  description = "Time zone of nightly_schedule (an IANA name)."
  type        = string
  default     = "Asia/Tokyo"
}

variable "bundle_zip" {
  description = "Path of the function bundle zip that scripts/bundle.py writes."
  type        = string
  default     = "../build/portalsync-functions.zip"
}

variable "function_settings" {
  description = <<-EOT
    Per entry point overrides of memory (e.g. "512M"), timeout_seconds and max_instances; keys are entry points.
    Unset fields keep the defaults in functions.tf.
  EOT
  type = map(object({
    memory          = optional(string)
    timeout_seconds = optional(number)
    max_instances   = optional(number)
  }))
  default = {}
}

variable "mail_transport" {
  description = "How notifications are sent: \"gmail\" (Gmail API through domain-wide delegation) or \"smtp\"."
  type        = string
  default     = "gmail"

  validation {
    condition     = contains(["gmail", "smtp"], var.mail_transport)
    error_message = "mail_transport must be \"gmail\" or \"smtp\"."
  }
}

variable "mail_sender" {
  description = "Sender address of notifications; with gmail it is the mailbox the service account sends as."
  type        = string
}

variable "smtp_host" {
  description = "SMTP relay host, used when mail_transport is \"smtp\"."
  type        = string
  default     = "smtp-relay.gmail.com"
}

variable "smtp_port" {
  description = "SMTP relay port (STARTTLS)."
  type        = number
  default     = 587
}

variable "smtp_username" {
  description = "SMTP user name; its password is the Secret Manager secret, never a variable."
  type        = string
  default     = ""
}

variable "directory_quota_per_minute" {
  description = "Directory API calls a minute per reseller account: Google's default, or the quota Google raised for the project."
  type        = number
  default     = 2400
  validation {
    condition     = var.directory_quota_per_minute > 0
    error_message = "directory_quota_per_minute must be positive."
  }
}

variable "licensing_quota_per_minute" {
  description = "Licensing API calls a minute per reseller account: Google's default, or the quota Google raised for the project."
  type        = number
  default     = 300
  validation {
    condition     = var.licensing_quota_per_minute > 0
    error_message = "licensing_quota_per_minute must be positive."
  }
}

variable "roster_group" {
  description = "Roster source: a group whose members are the staff (read as roster_subject). Empty: not a group."
  type        = string
  default     = ""
}

variable "roster_sheet" {
  description = "Roster source: a spreadsheet id, optionally \"id!sheet name\" (read as roster_subject). Empty: not a sheet."
  type        = string
  default     = ""
}

variable "roster_subject" {
  description = "The user of the roster's tenant portalsync reads roster_group or roster_sheet as (domain-wide delegation)."
  type        = string
  default     = ""
}

variable "max_event_age_seconds" {
  description = "Events older than this when delivered are dropped as stale (the next nightly run catches up)."
  type        = number
  default     = 21600
}

variable "run_group_overdue_seconds" {
  description = "A nightly run whose accounts have not all reported after this long gets its digest anyway."
  type        = number
  default     = 21600
}

variable "extra_environment" {
  description = "More environment variables for every function (not secrets: they are readable in the console)."
  type        = map(string)
  default     = {}
}

variable "status_invokers" {
  description = "IAM members allowed to call the status function, e.g. [\"group:support-admins@example.com\"]."
  type        = list(string)
  default     = []
}

variable "dead_letter_max_delivery_attempts" {
  description = "Deliveries of one event before Pub/Sub moves it to the dead-letter topic (5 to 100)."
  type        = number
  default     = 10
}
