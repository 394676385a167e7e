#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh
# shellcheck source=/dev/null
source ../convox_registry/files/console.sh

# The test certificate and key go where the module's EXAMPLES read them: files/ next to the playbook.
CERT_FILES_DIR=$PWD/files
# shellcheck disable=SC2317  # run at exit
_cert_cleanup() {
    rm -f "$CERT_FILES_DIR/ca.crt" "$CERT_FILES_DIR/example.com.crt" "$CERT_FILES_DIR/example.com.key"
}
emulator_on_exit _cert_cleanup
"$EMULATOR_PYTHON" ../convox_certificate/files/make_cert.py "$CERT_FILES_DIR"

set +x
# Three lines from the middle of the private key: none may appear in the output.
KEY_LINE_1=$(sed -n 2p files/example.com.key)
KEY_LINE_2=$(sed -n 3p files/example.com.key)
KEY_LINE_3=$(sed -n 4p files/example.com.key)
export KEY_LINE_1 KEY_LINE_2 KEY_LINE_3
set -x

run_playbook_checking_secrets KEY_LINE_1 KEY_LINE_2 KEY_LINE_3 EMULATOR_PASSWORD CONSOLE_READ_KEY CONSOLE_WRITE_KEY -- "$@"
