#!/usr/bin/env bash
set -eux
# shellcheck source=/dev/null
source ../setup_emulator/emulator.sh

# Secrets this test sets; none may appear in the -vvv --diff output below.
set +x
ENV_SECRET_1="envsecret-$RANDOM$RANDOM-one"
ENV_SECRET_2="envsecret-$RANDOM$RANDOM-two"
export ENV_SECRET_1 ENV_SECRET_2
set -x

output=$(mktemp)
trap '_emu_stop; rm -f "$output"' EXIT
ansible-playbook -i ../setup_emulator/inventory.yml runme.yml -vvv --diff "$@" >"$output" 2>&1 || {
    status=$?
    # print the failure without the secrets (should there be any, the grep below says so)
    set +x
    sed -e "s/$ENV_SECRET_1/<secret 1>/g" -e "s/$ENV_SECRET_2/<secret 2>/g" -e "s/$CONVOX_PASSWORD/<password>/g" "$output" | tail -n 150
    exit "$status"
}
tail -n 5 "$output"

set +x
for secret in "$ENV_SECRET_1" "$ENV_SECRET_2" "$CONVOX_PASSWORD"; do
    if grep -qF -- "$secret" "$output"; then
        echo "FAIL: a secret appears in the -vvv --diff output" >&2
        exit 1
    fi
done
# the output did show the env diffs, with keys and masked values
grep -qF -- '"DATABASE_PASSWORD": "<hidden> (changed)"' "$output" || { echo "FAIL: no env diff in the output?" >&2; exit 1; }
echo "OK: no env value or password in $(wc -l <"$output") lines of -vvv --diff output"
