#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh
source ../convox_registry/files/console.sh

# The test certificate and key go where the module's EXAMPLES read them: files/ next to the playbook.
CERT_FILES_DIR=$PWD/files
# shellcheck disable=SC2317  # called from the EXIT trap
_cert_cleanup() {
    rm -f "$CERT_FILES_DIR/ca.crt" "$CERT_FILES_DIR/example.com.crt" "$CERT_FILES_DIR/example.com.key"
}
_cert_prev_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
# shellcheck disable=SC2064
trap "_cert_cleanup; ${_cert_prev_trap:-true}" EXIT
"$EMULATOR_PYTHON" ../convox_certificate/files/make_cert.py "$CERT_FILES_DIR"

set +x
# Three lines from the middle of the private key: none may appear in the output.
KEY_LINE_1=$(sed -n 2p files/example.com.key)
KEY_LINE_2=$(sed -n 3p files/example.com.key)
KEY_LINE_3=$(sed -n 4p files/example.com.key)
export KEY_LINE_1 KEY_LINE_2 KEY_LINE_3
set -x

OUT=$(mktemp "${TMPDIR:-/tmp}/convox_certificate.XXXXXX")
rc=0
ansible-playbook -i ../setup_emulator/inventory.yml runme.yml -vvv --diff "$@" > "$OUT" 2>&1 || rc=$?
# Checked before anything of the output is shown.
check_no_secrets "$OUT" KEY_LINE_1 KEY_LINE_2 KEY_LINE_3 EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY
if [ "$rc" -ne 0 ]; then tail -n 150 "$OUT"; else tail -n 3 "$OUT"; fi
rm -f "$OUT"
exit "$rc"
