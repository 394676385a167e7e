# shellcheck shell=bash
# Sourced by the runme.sh of the convox_registry/resource/certificate/letsencrypt targets, after
# ../setup_emulator/emulator.sh. Starts a second emulator in console mode: one rack (acme/prod)
# behind one host, with a read-only and a write API key. Exports CONSOLE_URL, CONSOLE_RACK,
# CONSOLE_READ_KEY and CONSOLE_WRITE_KEY; the emulator is stopped on exit.

_console_xtrace=0
case "$-" in *x*) _console_xtrace=1; set +x ;; esac   # the keys never go to the shell trace

_console_root=$PWD
while [ "$_console_root" != "/" ] && [ ! -f "$_console_root/tests/emulator/__main__.py" ]; do
    _console_root=$(dirname "$_console_root")
done

CONSOLE_RACK=acme/prod
CONSOLE_READ_KEY=$("$EMULATOR_PYTHON" -c 'import secrets; print("ro" + secrets.token_hex(12))')
CONSOLE_WRITE_KEY=$("$EMULATOR_PYTHON" -c 'import secrets; print("rw" + secrets.token_hex(12))')
_console_log=$(mktemp "${TMPDIR:-/tmp}/convox-console-emulator.XXXXXX")

PYTHONPATH="$_console_root/tests" "$EMULATOR_PYTHON" -m emulator --host 127.0.0.1 --port 0 --console \
    --rack "$CONSOLE_RACK" --api-key "$CONSOLE_READ_KEY:read" --api-key "$CONSOLE_WRITE_KEY:write" \
    >"$_console_log" 2>&1 &
_console_pid=$!

# Stop this emulator first, then whatever setup_emulator registered. Only function names go into
# the trap string, so that chaining traps never runs into quoting trouble.
_console_stop() {
    kill "$_console_pid" 2>/dev/null || true
    wait "$_console_pid" 2>/dev/null || true
    rm -f "$_console_log"
}
_console_prev_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
# shellcheck disable=SC2064
trap "_console_stop; ${_console_prev_trap:-true}" EXIT

CONSOLE_URL=
for _ in $(seq 1 200); do
    CONSOLE_URL=$(sed -n 's/^convox emulator listening on //p' "$_console_log" | head -n 1)
    [ -n "$CONSOLE_URL" ] && break
    kill -0 "$_console_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$CONSOLE_URL" ]; then
    echo "console emulator did not start:" >&2
    cat "$_console_log" >&2
    exit 1
fi
export CONSOLE_URL CONSOLE_RACK CONSOLE_READ_KEY CONSOLE_WRITE_KEY

# check_no_secrets FILE VAR...: fail when the value of any of these environment variables appears
# in FILE. Takes variable names, so that no value ever reaches the shell trace.
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

[ "$_console_xtrace" = 1 ] && set -x
unset _console_xtrace
