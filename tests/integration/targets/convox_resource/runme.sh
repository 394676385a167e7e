#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_registry/files/console.sh

set +x
# A password inside the webhook URL: it must never show in the output.
HOOK_PASSWORD="hook-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(10))')"
export HOOK_PASSWORD
set -x

run_playbook_checking_secrets HOOK_PASSWORD EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY -- "$@"
