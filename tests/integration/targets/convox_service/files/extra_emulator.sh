# shellcheck shell=bash
# Sourced by the runme.sh of the service, process, run and console targets after ../setup_emulator/run.sh.
# start_extra_emulator ARGS...: starts one more emulator (for example in console mode, or with
# another provider) on a free 127.0.0.1 port and sets EXTRA_URL; it is stopped on exit, before
# the emulator of setup_emulator. ARGS are convox-emulator options; pass passwords by name
# (--password-env EMULATOR_PASSWORD), not by value.

start_extra_emulator() {
    local _xtrace=0 log
    case "$-" in *x*) _xtrace=1; set +x ;; esac   # the arguments carry keys
    log=$(mktemp "${TMPDIR:-/tmp}/convox-extra-emulator.XXXXXX")
    emulator_launch "$log" "$@"
    rm -f "$log"
    _extra_pids="${_extra_pids:-} $EMULATOR_LAUNCHED_PID"
    EXTRA_URL=$EMULATOR_LAUNCHED_URL
    export EXTRA_URL
    if [ -z "${_extra_stop_registered:-}" ]; then
        emulator_on_exit _stop_extra_emulators
        _extra_stop_registered=1
    fi
    [ "$_xtrace" = 1 ] && set -x
    return 0
}

# shellcheck disable=SC2317  # run at exit
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

# The seed the service, process and run targets share: app myapp (convox.yml beside this file)
# deployed on the emulator of setup_emulator, and on a console-mode emulator (EXTRA_URL) with one
# rack acme/prod behind a read-only key (CONSOLE_RO_KEY) and an admin key (CONSOLE_ADMIN_KEY).
# Exports SEED_RELEASE, the release id seeded on the first emulator.
seed_myapp_with_console() {
    local _xtrace=0 files=../convox_service/files
    SEED_RELEASE=$("$EMULATOR_PYTHON" "$files/seed_app.py" myapp "$files/convox.yml")
    export SEED_RELEASE
    case "$-" in *x*) _xtrace=1; set +x ;; esac   # keys below
    CONSOLE_RO_KEY=${CONSOLE_RO_KEY:-$(random_key)}
    CONSOLE_ADMIN_KEY=${CONSOLE_ADMIN_KEY:-$(random_key)}
    export CONSOLE_RO_KEY CONSOLE_ADMIN_KEY
    start_extra_emulator --console --rack acme/prod --api-key "$CONSOLE_RO_KEY:read" --api-key "$CONSOLE_ADMIN_KEY:admin"
    CONVOX_HOST=$EXTRA_URL CONVOX_PASSWORD=$CONSOLE_ADMIN_KEY CONVOX_RACK=acme/prod \
        "$EMULATOR_PYTHON" "$files/seed_app.py" myapp "$files/convox.yml" >/dev/null
    [ "$_xtrace" = 1 ] && set -x
    return 0
}
