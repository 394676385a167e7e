#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_registry/files/console.sh

set +x
REGISTRY_PASSWORD_1="pw1-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(10))')"
REGISTRY_PASSWORD_2="pw2-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(10))')"
export REGISTRY_PASSWORD_1 REGISTRY_PASSWORD_2
set -x

run_playbook_checking_secrets REGISTRY_PASSWORD_1 REGISTRY_PASSWORD_2 EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY -- "$@"
