# shellcheck shell=bash
# Sourced by the runme.sh of the wave-2 targets after ../setup_emulator/emulator.sh.
# start_extra_emulator ARGS...: starts one more emulator (for example in console mode, or with
# another provider) on a free 127.0.0.1 port and sets EXTRA_URL; it is stopped on exit, before
# the emulator of setup_emulator.

start_extra_emulator() {
    local _xtrace=0 root log pid
    case "$-" in *x*) _xtrace=1; set +x ;; esac   # the arguments carry keys
    root=$PWD
    while [ "$root" != "/" ] && [ ! -f "$root/tests/emulator/__main__.py" ]; do root=$(dirname "$root"); done
    log=$(mktemp "${TMPDIR:-/tmp}/convox-extra-emulator.XXXXXX")
    PYTHONPATH="$root/tests" "$EMULATOR_PYTHON" -m emulator --host 127.0.0.1 --port 0 "$@" >"$log" 2>&1 &
    pid=$!
    _extra_pids="${_extra_pids:-} $pid"
    EXTRA_URL=
    for _ in $(seq 1 200); do
        EXTRA_URL=$(sed -n 's/^convox emulator listening on //p' "$log" | head -n 1)
        [ -n "$EXTRA_URL" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    rm -f "$log"
    if [ -z "$EXTRA_URL" ]; then
        echo "extra emulator did not start" >&2
        exit 1
    fi
    export EXTRA_URL
    if [ -z "${_extra_trap_set:-}" ]; then
        _extra_prev_trap=$(trap -p EXIT | sed -e "s/^trap -- '//" -e "s/' EXIT\$//")
        # shellcheck disable=SC2064
        trap "_stop_extra_emulators; ${_extra_prev_trap:-true}" EXIT
        _extra_trap_set=1
    fi
    [ "$_xtrace" = 1 ] && set -x
    return 0
}

_stop_extra_emulators() {
    local pid
    for pid in ${_extra_pids:-}; do
        kill "$pid" 2>/dev/null || true
    done
}

# A random key for console-mode API keys.
random_key() {
    "$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(12))'
}
