#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_service/files/extra_emulator.sh

# Pre-3.24.1 error behaviour (500 and plain text) must give the same refusal.
start_extra_emulator --legacy --password-env EMULATOR_PASSWORD
export LEGACY_URL=$EXTRA_URL

run_playbook "$@"
