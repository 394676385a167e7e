#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_registry/files/console.sh

set +x
REGISTRY_PASSWORD="pw-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(10))')"
export REGISTRY_PASSWORD
set -x

run_playbook_checking_secrets REGISTRY_PASSWORD EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY -- "$@"
