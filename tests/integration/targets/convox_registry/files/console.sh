# shellcheck shell=bash
# Sourced by the runme.sh of the convox_registry/resource/certificate/letsencrypt targets, after
# ../setup_emulator/run.sh. Starts a second emulator in console mode: one rack (acme/prod)
# behind one host, with a read-only and a write API key. Exports CONSOLE_URL, CONSOLE_RACK,
# CONSOLE_READ_KEY and CONSOLE_WRITE_KEY; the emulator is stopped on exit (before the first one).

_console_xtrace=0
case "$-" in *x*) _console_xtrace=1; set +x ;; esac   # the keys never go to the shell trace

CONSOLE_RACK=acme/prod
CONSOLE_READ_KEY=$("$EMULATOR_PYTHON" -c 'import secrets; print("ro" + secrets.token_hex(12))')
CONSOLE_WRITE_KEY=$("$EMULATOR_PYTHON" -c 'import secrets; print("rw" + secrets.token_hex(12))')
_console_log=$(mktemp "${TMPDIR:-/tmp}/convox-console-emulator.XXXXXX")

emulator_launch "$_console_log" --console \
    --rack "$CONSOLE_RACK" --api-key "$CONSOLE_READ_KEY:read" --api-key "$CONSOLE_WRITE_KEY:write"
_console_pid=$EMULATOR_LAUNCHED_PID
CONSOLE_URL=$EMULATOR_LAUNCHED_URL

# shellcheck disable=SC2317  # run at exit
_console_stop() {
    kill "$_console_pid" 2>/dev/null || true
    wait "$_console_pid" 2>/dev/null || true
    rm -f "$_console_log"
}
emulator_on_exit _console_stop
export CONSOLE_URL CONSOLE_RACK CONSOLE_READ_KEY CONSOLE_WRITE_KEY

[ "$_console_xtrace" = 1 ] && set -x
unset _console_xtrace
