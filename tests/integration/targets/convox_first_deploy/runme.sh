#!/usr/bin/env bash
# docs/examples/first_deploy.yml on an empty rack: --check --diff (every task ok, changed where the
# apply changes, GET requests only, no secret at -vvv), apply (the same tasks change), apply again
# (changed=0), --check again (changed=0). files/check_runs.py judges the four runs.
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

# The collection's copy of the example (ansible-test runs targets from a copy of tests/integration).
PLAYBOOK=
for dir in ${ANSIBLE_COLLECTIONS_PATH//:/ }; do
    candidate=$dir/ansible_collections/convox/convox/docs/examples/first_deploy.yml
    if [ -f "$candidate" ]; then PLAYBOOK=$candidate; fi
done
if [ -z "$PLAYBOOK" ]; then
    echo "docs/examples/first_deploy.yml not found under ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_COLLECTIONS_PATH" >&2
    exit 1
fi
export PLAYBOOK

set +x
FIRST_DB_PASSWORD=db-$RANDOM$RANDOM$RANDOM
FIRST_REGISTRY_PASSWORD=reg-$RANDOM$RANDOM$RANDOM
export FIRST_DB_PASSWORD FIRST_REGISTRY_PASSWORD
set -x
secrets=(-e "db_password={{ lookup('ansible.builtin.env', 'FIRST_DB_PASSWORD') }}"
    -e "registry_password={{ lookup('ansible.builtin.env', 'FIRST_REGISTRY_PASSWORD') }}")

RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/convox-first-deploy.XXXXXX")
_remove_results() { rm -rf "$RESULTS"; }
emulator_on_exit _remove_results
export ANSIBLE_CALLBACK_PLUGINS=$PWD/callback_plugins ANSIBLE_CALLBACKS_ENABLED=task_results

curl_log() { "$EMULATOR_PYTHON" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())' "$EMULATOR_URL/_emulator/requests"; }

TASK_RESULTS=$RESULTS/check.json run_playbook_checking_secrets FIRST_DB_PASSWORD FIRST_REGISTRY_PASSWORD -- --check "${secrets[@]}"
curl_log >"$RESULTS/check-requests.json"
TASK_RESULTS=$RESULTS/apply.json run_playbook_checking_secrets FIRST_DB_PASSWORD FIRST_REGISTRY_PASSWORD -- "${secrets[@]}"
TASK_RESULTS=$RESULTS/rerun.json run_playbook --diff "${secrets[@]}"
TASK_RESULTS=$RESULTS/recheck.json run_playbook --check --diff "${secrets[@]}"

"$EMULATOR_PYTHON" files/check_runs.py "$RESULTS/check.json" "$RESULTS/apply.json" "$RESULTS/rerun.json" \
    "$RESULTS/recheck.json" "$RESULTS/check-requests.json"
