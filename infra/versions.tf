# Provider and Terraform versions, and where state lives.
#
# State goes to a GCS bucket given at `terraform init -backend-config="bucket=..."` (see docs/deploy.md), so
# Cloud Build and an operator's workstation share one state and its lock.
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }

  backend "gcs" {
    prefix = "portalsync"
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# The project number names Google's service agents (Pub/Sub's, for dead-letter forwarding).
data "google_project" "this" {
  project_id = var.project_id
}
