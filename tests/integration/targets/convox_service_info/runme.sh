#!/usr/bin/env bash
set -eux
source ../setup_emulator/emulator.sh
source ../convox_service/files/extra_emulator.sh

"$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml

set +x
CONSOLE_RO_KEY=${CONSOLE_RO_KEY:-$(random_key)}
CONSOLE_ADMIN_KEY=${CONSOLE_ADMIN_KEY:-$(random_key)}
export CONSOLE_RO_KEY CONSOLE_ADMIN_KEY
start_extra_emulator --console --rack acme/prod --api-key "$CONSOLE_RO_KEY:read" --api-key "$CONSOLE_ADMIN_KEY:admin"
CONVOX_HOST=$EXTRA_URL CONVOX_PASSWORD=$CONSOLE_ADMIN_KEY CONVOX_RACK=acme/prod \
    "$EMULATOR_PYTHON" ../convox_service/files/seed_app.py myapp ../convox_service/files/convox.yml
set -x

ansible-playbook -i ../setup_emulator/inventory.yml runme.yml "$@"
