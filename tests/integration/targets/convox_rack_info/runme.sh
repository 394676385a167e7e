#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh
source ../convox_service/files/extra_emulator.sh

"$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml >/dev/null

# Pre-3.24.1 error behaviour (500 and plain text) must give the same refusal.
set +x  # the password must not reach the shell trace
start_extra_emulator --legacy --password "$EMULATOR_PASSWORD"
set -x
export LEGACY_URL=$EXTRA_URL

ansible-playbook -i ../setup_emulator/inventory.yml runme.yml "$@"
