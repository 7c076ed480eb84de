#!/usr/bin/env bash
# Installs what a Cloud Build step needs on top of the google-cloud-cli "-emulators" image (Debian, Python 3.11,
# gcloud with the Firestore and Pub/Sub emulators and a Java runtime). That image is built without recommended
# packages, so make and python3-venv are not there; each step is a new container, so each step calls this.
#   scripts/cloudbuild_tools.sh            make, python3-venv (and a JRE if the image lacks one)
#   scripts/cloudbuild_tools.sh terraform  the above plus Terraform $TERRAFORM_VERSION from HashiCorp's signed apt repo
set -euo pipefail

packages=()
command -v make >/dev/null || packages+=(make)
python3 -c "import ensurepip" 2>/dev/null || packages+=(python3-venv)
command -v java >/dev/null || packages+=(openjdk-17-jre-headless)

if [ "${1:-}" = terraform ] && ! command -v terraform >/dev/null; then
  apt-get -qq update && apt-get -qq install -y --no-install-recommends gnupg curl lsb-release >/dev/null
  curl -fsSL https://apt.releases.hashicorp.com/gpg | gpg --dearmor -o /usr/share/keyrings/hashicorp.gpg
  echo "deb [signed-by=/usr/share/keyrings/hashicorp.gpg] https://apt.releases.hashicorp.com $(lsb_release -cs) main" \
    > /etc/apt/sources.list.d/hashicorp.list
  packages+=("terraform=${TERRAFORM_VERSION:?set TERRAFORM_VERSION}-*")
fi

if [ ${#packages[@]} -gt 0 ]; then
  apt-get -qq update
  apt-get -qq install -y --no-install-recommends "${packages[@]}" >/dev/null
fi
