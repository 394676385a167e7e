#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# myapp deployed (services web and worker), as the service, process and run targets seed it.
SEED_RELEASE=$("$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml)
export SEED_RELEASE
run_playbook "$@"
