#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_service/files/extra_emulator.sh

"$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml >/dev/null

# A 3.24.0 rack has no cost routes (404, empty body): the module must say which version it needs.
start_extra_emulator --legacy --password-env EMULATOR_PASSWORD
export LEGACY_URL=$EXTRA_URL

run_playbook_checking_secrets EMULATOR_PASSWORD -- "$@"
