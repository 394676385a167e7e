#!/usr/bin/env bash
# The lookups convox_env, convox_resource and convox_release against the emulator: values,
# defaults, active vs newest release, a missing app, key, resource or field, wrong credentials,
# and the plugins' EXAMPLES as ansible-doc shows them. Everything runs at -vvv and the output is
# searched for the secret values (used only in no_log tasks) before any of it is shown.
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

set +x
API_SENTRY_DSN="https://dsn-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(12))')@sentry.example.com/1"
DB_SECRET="db-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(12))')"
API_DATABASE_URL="postgres://api:$DB_SECRET@db.example.com:5432/api"
export API_SENTRY_DSN API_DATABASE_URL DB_SECRET
set -x

ansible-playbook -i ../setup_emulator/inventory.yml seed.yml

EXAMPLES=$(mktemp "${TMPDIR:-/tmp}/convox-lookup-examples.XXXXXX.yml")
_remove_examples() { rm -f "$EXAMPLES"; }
emulator_on_exit _remove_examples
"$EMULATOR_PYTHON" files/examples.py "$EXAMPLES" \
    lookup:convox.convox.convox_env lookup:convox.convox.convox_release lookup:convox.convox.convox_resource

run_playbook_checking_secrets API_SENTRY_DSN DB_SECRET EMULATOR_PASSWORD -- "$@"
PLAYBOOK=$EXAMPLES run_playbook_checking_secrets API_SENTRY_DSN DB_SECRET EMULATOR_PASSWORD -- "$@"
