# shellcheck shell=bash
# The shared part of every convox.convox integration target. A target's runme.sh is
#
#   #!/usr/bin/env bash
#   source ../setup_emulator/run.sh
#   ...what is specific to the target (more emulators, secrets, seed data)...
#   run_playbook "$@"
#
# Sourcing it turns on `set -eux` and starts the rack emulator (emulator.sh: CONVOX_HOST,
# CONVOX_PASSWORD, EMULATOR_URL, EMULATOR_PASSWORD, EMULATOR_PYTHON; stopped on exit). Then:
#
#   run_playbook ARGS...         ansible-playbook -i ../setup_emulator/inventory.yml runme.yml ARGS
#                                (PLAYBOOK=path runs another playbook)
#   run_playbook_checking_secrets VAR... -- ARGS...
#                                the same with -vvv --diff, its output kept in a file that is
#                                searched for the values of the environment variables VAR... before
#                                any of it is shown (the end of it then; 150 lines on failure). The
#                                file stays readable as $PLAYBOOK_OUTPUT until exit
#   check_no_secrets FILE VAR... fail when the value of any of these environment variables appears
#                                in FILE (names, not values, so that no value reaches the trace)

set -eux

# shellcheck source=/dev/null
source ../setup_emulator/emulator.sh

run_playbook() {
    ansible-playbook -i ../setup_emulator/inventory.yml "${PLAYBOOK:-runme.yml}" "$@"
}

check_no_secrets() {
    local _xt=0 file=$1 name value
    case "$-" in *x*) _xt=1; set +x ;; esac
    shift
    for name in "$@"; do
        value=${!name:-}
        if [ -z "$value" ]; then
            echo "check_no_secrets: $name is empty" >&2
            exit 1
        fi
        if grep -qF -- "$value" "$file"; then
            echo "the value of $name appears in the output" >&2
            exit 1
        fi
    done
    echo "no secret found in the output ($# checked: $*)"
    [ "$_xt" = 1 ] && set -x
    return 0
}

# shellcheck disable=SC2317  # run at exit
_remove_playbook_output() {
    rm -f "${PLAYBOOK_OUTPUT:-}"
}

run_playbook_checking_secrets() {
    local names=() rc=0
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        names+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift # the --
    PLAYBOOK_OUTPUT=$(mktemp "${TMPDIR:-/tmp}/convox-playbook.XXXXXX")
    emulator_on_exit _remove_playbook_output
    run_playbook -vvv --diff "$@" >"$PLAYBOOK_OUTPUT" 2>&1 || rc=$?
    # Checked before anything of the output is shown.
    check_no_secrets "$PLAYBOOK_OUTPUT" "${names[@]}"
    if [ "$rc" -ne 0 ]; then
        tail -n 150 "$PLAYBOOK_OUTPUT"
        exit "$rc"
    fi
    tail -n 3 "$PLAYBOOK_OUTPUT"
}
