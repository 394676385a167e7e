#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh
source ../convox_service/files/extra_emulator.sh

# A v3 rack on another provider (keyroll answers 501 there).
set +x  # the password must not reach the shell trace
start_extra_emulator --provider gcp --password "$EMULATOR_PASSWORD"
set -x
export GCP_URL=$EXTRA_URL

# Console mode with a read-only API key.
set +x
CONSOLE_RO_KEY=${CONSOLE_RO_KEY:-$(random_key)}
export CONSOLE_RO_KEY
start_extra_emulator --console --rack acme/prod --api-key "$CONSOLE_RO_KEY:read"
set -x

ansible-playbook -i ../setup_emulator/inventory.yml runme.yml "$@"
