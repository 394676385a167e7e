#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_registry/files/console.sh

run_playbook_checking_secrets EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY -- "$@"
