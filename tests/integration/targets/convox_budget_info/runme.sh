#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

# myapp with a promoted release: an auto-shutdown arms only for an app with services to scale down.
"$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml >/dev/null

run_playbook_checking_secrets EMULATOR_PASSWORD -- "$@"
