#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_service/files/extra_emulator.sh
seed_myapp_with_console
run_playbook "$@"
