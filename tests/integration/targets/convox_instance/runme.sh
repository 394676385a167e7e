#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_service/files/extra_emulator.sh

# A v3 rack on another provider (keyroll answers 501 there), with the same password.
start_extra_emulator --provider gcp --password-env EMULATOR_PASSWORD
export GCP_URL=$EXTRA_URL

# Console mode with a read-only API key.
set +x
CONSOLE_RO_KEY=${CONSOLE_RO_KEY:-$(random_key)}
export CONSOLE_RO_KEY
start_extra_emulator --console --rack acme/prod --api-key "$CONSOLE_RO_KEY:read"
set -x

run_playbook "$@"
