# shellcheck shell=bash
# Sourced by ../setup_emulator/run.sh (which every convox.convox integration target sources):
#   source ../setup_emulator/emulator.sh
# Starts the rack emulator (the installed convox_emulator package: `make venv` installs it from
# emulator/, `pip install ./emulator` anywhere else) on a free 127.0.0.1 port with the Python that
# runs the test, exports CONVOX_HOST, CONVOX_PASSWORD, EMULATOR_URL, EMULATOR_PASSWORD and
# EMULATOR_PYTHON, and stops it on exit.
#
# Also defines, for the helpers sourced after it:
#   emulator_launch LOG ARGS...  start one more emulator (ARGS are convox-emulator options),
#                                output in LOG; sets EMULATOR_LAUNCHED_PID and
#                                EMULATOR_LAUNCHED_URL, exits the test when it does not come up
#   emulator_on_exit COMMAND     run COMMAND (a function name, say) at exit, before the commands
#                                registered earlier (so later emulators stop first)

_emu_xtrace=0
case "$-" in *x*) _emu_xtrace=1; set +x ;; esac   # keep the password out of the shell trace

EMULATOR_PYTHON=${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3 || command -v python)}
EMULATOR_PASSWORD=${EMULATOR_PASSWORD:-emu-$RANDOM$RANDOM$RANDOM}
export EMULATOR_PYTHON EMULATOR_PASSWORD

_emu_exit_commands=()
emulator_on_exit() {
    _emu_exit_commands=("$1" "${_emu_exit_commands[@]}")
}
# shellcheck disable=SC2317  # run from the EXIT trap
_emu_run_exit_commands() {
    local command
    for command in "${_emu_exit_commands[@]}"; do
        "$command" || true
    done
}
trap _emu_run_exit_commands EXIT

emulator_launch() {
    local log=$1 _
    shift
    "$EMULATOR_PYTHON" -m convox_emulator --host 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
    EMULATOR_LAUNCHED_PID=$!
    EMULATOR_LAUNCHED_URL=
    for _ in $(seq 1 200); do
        EMULATOR_LAUNCHED_URL=$(sed -n 's/^convox emulator listening on //p' "$log" | head -n 1)
        [ -n "$EMULATOR_LAUNCHED_URL" ] && return 0
        kill -0 "$EMULATOR_LAUNCHED_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "setup_emulator: the emulator did not start with $EMULATOR_PYTHON:" >&2
    cat "$log" >&2
    rm -f "$log"
    if ! "$EMULATOR_PYTHON" -c 'import convox_emulator' 2>/dev/null; then
        echo "setup_emulator: convox_emulator is not installed for $EMULATOR_PYTHON (make venv, or pip install ./emulator)" >&2
    fi
    exit 1
}

_emu_log=$(mktemp "${TMPDIR:-/tmp}/convox-emulator.XXXXXX")
# The password goes through the environment (--password-env), never onto a command line.
emulator_launch "$_emu_log" --password-env EMULATOR_PASSWORD
_emu_pid=$EMULATOR_LAUNCHED_PID
EMULATOR_URL=$EMULATOR_LAUNCHED_URL

# shellcheck disable=SC2317  # run from the EXIT trap
_emu_stop() {
    kill "$_emu_pid" 2>/dev/null || true
    wait "$_emu_pid" 2>/dev/null || true
    rm -f "$_emu_log"
}
emulator_on_exit _emu_stop

export EMULATOR_URL
export CONVOX_HOST="$EMULATOR_URL"
export CONVOX_PASSWORD="$EMULATOR_PASSWORD"
# Module interpreter = the test's Python (it has httpx and pydantic); no pyenv shim discovery.
export ANSIBLE_PYTHON_INTERPRETER="${ANSIBLE_PYTHON_INTERPRETER:-$EMULATOR_PYTHON}"
echo "setup_emulator: emulator at $EMULATOR_URL (pid $_emu_pid)"

[ "$_emu_xtrace" = 1 ] && set -x
unset _emu_xtrace
