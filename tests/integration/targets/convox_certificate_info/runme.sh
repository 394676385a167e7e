#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh
source ../convox_registry/files/console.sh

OUT=$(mktemp "${TMPDIR:-/tmp}/convox_certificate_info.XXXXXX")
rc=0
ansible-playbook -i ../setup_emulator/inventory.yml runme.yml -vvv --diff "$@" > "$OUT" 2>&1 || rc=$?
# Checked before anything of the output is shown.
check_no_secrets "$OUT" EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY
if [ "$rc" -ne 0 ]; then tail -n 150 "$OUT"; else tail -n 3 "$OUT"; fi
rm -f "$OUT"
exit "$rc"
