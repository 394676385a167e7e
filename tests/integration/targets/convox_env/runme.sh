#!/usr/bin/env bash
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

# Secrets this test sets; none may appear in the -vvv --diff output below.
set +x
ENV_SECRET_1="envsecret-$RANDOM$RANDOM-one"
ENV_SECRET_2="envsecret-$RANDOM$RANDOM-two"
export ENV_SECRET_1 ENV_SECRET_2
set -x

run_playbook_checking_secrets ENV_SECRET_1 ENV_SECRET_2 EMULATOR_PASSWORD CONVOX_PASSWORD -- "$@"
# the output did show the env diffs, with keys and masked values
grep -qF -- '"DATABASE_PASSWORD": "<hidden> (changed)"' "$PLAYBOOK_OUTPUT" || { echo "FAIL: no env diff in the output?" >&2; exit 1; }
echo "OK: no env value or password in $(wc -l <"$PLAYBOOK_OUTPUT") lines of -vvv --diff output"
