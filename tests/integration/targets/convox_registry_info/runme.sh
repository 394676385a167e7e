#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh
source ../convox_registry/files/console.sh

set +x
REGISTRY_PASSWORD="pw-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(10))')"
export REGISTRY_PASSWORD
set -x

OUT=$(mktemp "${TMPDIR:-/tmp}/convox_registry_info.XXXXXX")
rc=0
ansible-playbook -i ../setup_emulator/inventory.yml runme.yml -vvv --diff "$@" > "$OUT" 2>&1 || rc=$?
# Checked before anything of the output is shown.
check_no_secrets "$OUT" REGISTRY_PASSWORD EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY
if [ "$rc" -ne 0 ]; then tail -n 150 "$OUT"; else tail -n 3 "$OUT"; fi
rm -f "$OUT"
exit "$rc"
