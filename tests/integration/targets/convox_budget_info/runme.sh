#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

run_playbook_checking_secrets EMULATOR_PASSWORD -- "$@"
