#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_service/files/extra_emulator.sh
seed_myapp_with_console
console_url=$EXTRA_URL

# A rack older than 3.24.6 (no scale override, no autoscale triggers), with myapp deployed.
start_extra_emulator --legacy --password-env EMULATOR_PASSWORD
LEGACY_URL=$EXTRA_URL
CONVOX_HOST=$LEGACY_URL "$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml >/dev/null
EXTRA_URL=$console_url
export LEGACY_URL EXTRA_URL

run_playbook "$@"
