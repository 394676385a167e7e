# shellcheck shell=bash
# Sourced by the runme.sh of every convox.convox integration target:
#   source ../setup_emulator/emulator.sh
# Starts the rack emulator (tests/emulator) on a free 127.0.0.1 port with the Python that runs
# the test, exports CONVOX_HOST, CONVOX_PASSWORD and EMULATOR_URL, and stops it on exit.

_emu_xtrace=0
case "$-" in *x*) _emu_xtrace=1; set +x ;; esac   # keep the password out of the shell trace

# ansible-test runs targets from a copy of tests/integration; the emulator package stays in the
# collection's tests/ directory, so look for it upwards from here.
_emu_root=$PWD
while [ "$_emu_root" != "/" ] && [ ! -f "$_emu_root/tests/emulator/__main__.py" ]; do
    _emu_root=$(dirname "$_emu_root")
done
if [ ! -f "$_emu_root/tests/emulator/__main__.py" ]; then
    echo "setup_emulator: tests/emulator not found above $PWD" >&2
    exit 1
fi

EMULATOR_PYTHON=${ANSIBLE_TEST_PYTHON_INTERPRETER:-$(command -v python3 || command -v python)}
EMULATOR_PASSWORD=${EMULATOR_PASSWORD:-emu-$RANDOM$RANDOM$RANDOM}
_emu_log=$(mktemp "${TMPDIR:-/tmp}/convox-emulator.XXXXXX")

PYTHONPATH="$_emu_root/tests${PYTHONPATH:+:$PYTHONPATH}" "$EMULATOR_PYTHON" -m emulator \
    --host 127.0.0.1 --port 0 --password "$EMULATOR_PASSWORD" >"$_emu_log" 2>&1 &
_emu_pid=$!

_emu_stop() {
    kill "$_emu_pid" 2>/dev/null || true
    wait "$_emu_pid" 2>/dev/null || true
    rm -f "$_emu_log"
}
trap _emu_stop EXIT

EMULATOR_URL=
for _ in $(seq 1 200); do
    EMULATOR_URL=$(sed -n 's/^convox emulator listening on //p' "$_emu_log" | head -n 1)
    [ -n "$EMULATOR_URL" ] && break
    if ! kill -0 "$_emu_pid" 2>/dev/null; then break; fi
    sleep 0.1
done
if [ -z "$EMULATOR_URL" ]; then
    echo "setup_emulator: the emulator did not start:" >&2
    cat "$_emu_log" >&2
    exit 1
fi

export EMULATOR_URL EMULATOR_PASSWORD
export CONVOX_HOST="$EMULATOR_URL"
export CONVOX_PASSWORD="$EMULATOR_PASSWORD"
# Module interpreter = the test's Python (it has httpx and pydantic); no pyenv shim discovery.
export ANSIBLE_PYTHON_INTERPRETER="${ANSIBLE_PYTHON_INTERPRETER:-$EMULATOR_PYTHON}"
echo "setup_emulator: emulator at $EMULATOR_URL (pid $_emu_pid)"

[ "$_emu_xtrace" = 1 ] && set -x
unset _emu_xtrace
