#!/usr/bin/env bash
# The inventory plugin convox.convox.convox against the emulator: ansible-inventory --list and
# --graph, filters, services and racks as hosts, caching (a cache hit sends no request: the
# emulator's request log stays empty), an unreachable rack (warning, or a failure with strict),
# a console with three racks whose API key may not read one, a vaulted password, and a play over
# convox_status_running with forks=5. No password or env value may appear in any output.
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

set +x
APP_SECRET="app-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(12))')"
CONSOLE_KEY="key-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(12))')"
VAULT_PASSWORD="vault-$("$EMULATOR_PYTHON" -c 'import secrets; print(secrets.token_hex(12))')"
export APP_SECRET CONSOLE_KEY VAULT_PASSWORD
set -x

WORK=$(mktemp -d "${TMPDIR:-/tmp}/convox-inventory.XXXXXX")
_remove_work() { rm -rf "$WORK"; }
emulator_on_exit _remove_work
OUT="$WORK/out"
mkdir -p "$OUT"
CHECK="$EMULATOR_PYTHON files/check_inventory.py"

emulator_requests() { # URL -> the request log as JSON on stdout
    "$EMULATOR_PYTHON" -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1] + "/_emulator/requests").read().decode())' "$1"
}
clear_requests() {
    "$EMULATOR_PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_emulator/requests", method="DELETE"))' "$1"
}
count_requests() { # URL -> number of logged requests
    emulator_requests "$1" | "$EMULATOR_PYTHON" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
as_console() { # COMMAND... with CONVOX_PASSWORD set to the console key, kept out of the shell trace
    local _xt=0 rc=0
    case "$-" in *x*) _xt=1; set +x ;; esac
    CONVOX_PASSWORD=$CONSOLE_KEY CONSOLE_TOKEN=$CONSOLE_KEY STAGING_RACK_PASSWORD=$EMULATOR_PASSWORD "$@" || rc=$?
    [ "$_xt" = 1 ] && set -x
    return "$rc"
}
inventory() { # NAME FILE ARGS... -> ansible-inventory output in $OUT/NAME.json (stderr in NAME.err)
    local name=$1 file=$2
    shift 2
    ansible-inventory -i "$file" "$@" >"$OUT/$name.json" 2>"$OUT/$name.err"
}

# -- seed the direct rack: alpha and beta deployed (alpha has a secret), gamma empty and locked
ansible-playbook -i ../setup_emulator/inventory.yml seed.yml -e seed_apps=alpha,beta,gamma -e seed_deployed=alpha,beta

# -- a direct rack: hosts, groups, vars, constructed options ------------------------------------
cat >"$WORK/direct.convox.yml" <<'YAML'
plugin: convox.convox.convox
racks:
  - name: local
    host: "{{ lookup('ansible.builtin.env', 'EMULATOR_URL') }}"
groups:
  locked_apps: convox_locked
compose:
  web_domain: convox_services | selectattr('name', 'equalto', 'web') | map(attribute='domain') | first | default('')
keyed_groups:
  - key: "'web' if web_domain else ''"
    prefix: has
    separator: "_"
YAML
inventory direct "$WORK/direct.convox.yml" --list
$CHECK direct "$OUT/direct.json"
ansible-inventory -i "$WORK/direct.convox.yml" --graph >"$OUT/graph.txt"
grep -q -- '--@convox_status_running:' "$OUT/graph.txt"
grep -q -- '--local/gamma' "$OUT/graph.txt"

# filters: name pattern, status, host_format, no ansible_connection
cat >"$WORK/filtered.convox.yml" <<'YAML'
plugin: convox.convox.convox
name_patterns: ["a*"]
statuses: [running]
host_format: "{app}"
connection: ""
YAML
inventory filtered "$WORK/filtered.convox.yml" --list
$CHECK filtered "$OUT/filtered.json"
printf 'plugin: convox.convox.convox\nstatuses: [updating]\n' >"$WORK/none.convox.yml"
inventory no_status "$WORK/none.convox.yml" --list
$CHECK no_status "$OUT/no_status.json"

# services and racks as hosts
printf 'plugin: convox.convox.convox\nhosts: services\nracks: [{name: local}]\n' >"$WORK/services.convox.yaml"
inventory services "$WORK/services.convox.yaml" --list
$CHECK services "$OUT/services.json"
printf 'plugin: convox.convox.convox\nhosts: racks\nracks: [{name: local}]\n' >"$WORK/racks.convox.yml"
inventory racks "$WORK/racks.convox.yml" --list
$CHECK racks "$OUT/racks.json"

# a file name the plugin does not claim is not read by it
cp "$WORK/racks.convox.yml" "$WORK/racks.yml"
clear_requests "$EMULATOR_URL"
inventory wrong_name "$WORK/racks.yml" --list || true
[ "$(count_requests "$EMULATOR_URL")" = 0 ]

# -- caching: the second run answers from the cache and sends nothing --------------------------
cat >"$WORK/cached.convox.yml" <<YAML
plugin: convox.convox.convox
racks: [{name: local}]
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: $WORK/cache
cache_timeout: 600
YAML
clear_requests "$EMULATOR_URL"
inventory cached1 "$WORK/cached.convox.yml" --list
FIRST=$(count_requests "$EMULATOR_URL")
[ "$FIRST" -ge 3 ] # GET /apps and one GET of services per deployed app
clear_requests "$EMULATOR_URL"
inventory cached2 "$WORK/cached.convox.yml" --list
emulator_requests "$EMULATOR_URL" >"$OUT/cache-hit-requests.json"
[ "$(count_requests "$EMULATOR_URL")" = 0 ]
cmp "$OUT/cached1.json" "$OUT/cached2.json"
grep -rqF -- "beta" "$WORK/cache" # the apps are in the cache
# --flush-cache reads the rack again
inventory cached3 "$WORK/cached.convox.yml" --list --flush-cache
[ "$(count_requests "$EMULATOR_URL")" = "$FIRST" ]

# -- an unreachable rack: skipped with a warning, or a clear failure with strict ---------------
DEAD_PORT=$("$EMULATOR_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$WORK/dead.convox.yml" <<YAML
plugin: convox.convox.convox
timeout: 2
racks:
  - name: local
  - name: gone
    host: http://127.0.0.1:$DEAD_PORT
YAML
inventory dead "$WORK/dead.convox.yml" --list
grep -q "skipping gone: Could not read the apps of rack at http://127.0.0.1:$DEAD_PORT: cannot connect" "$OUT/dead.err"
grep -q '"local/alpha"' "$OUT/dead.json" # the reachable rack is still read
printf 'strict: true\n' >>"$WORK/dead.convox.yml"
rc=0
ANSIBLE_INVENTORY_UNPARSED_FAILED=true inventory dead_strict "$WORK/dead.convox.yml" --list || rc=$?
[ "$rc" -ne 0 ]
grep -q "Could not read the apps of rack at http://127.0.0.1:$DEAD_PORT" "$OUT/dead_strict.err"
grep -q "Check that the rack is reachable" "$OUT/dead_strict.err"

# -- a console with three racks; the key may not read acme/dev; the password is vaulted -------
_console_log=$(mktemp "${TMPDIR:-/tmp}/convox-console-emulator.XXXXXX")
set +x
emulator_launch "$_console_log" --console --password "" --rack acme/prod --rack acme/staging --rack acme/dev \
    --api-key "$CONSOLE_KEY:write" --rack-role "$CONSOLE_KEY:acme/dev:none"
set -x
_console_pid=$EMULATOR_LAUNCHED_PID
CONSOLE_URL=$EMULATOR_LAUNCHED_URL
export CONSOLE_URL
_console_stop() {
    kill "$_console_pid" 2>/dev/null || true
    wait "$_console_pid" 2>/dev/null || true
    rm -f "$_console_log"
}
emulator_on_exit _console_stop

CONVOX_HOST=$CONSOLE_URL CONVOX_RACK=acme/prod as_console \
    ansible-playbook -i ../setup_emulator/inventory.yml seed.yml -e seed_apps=shop,blog -e seed_deployed=shop
CONVOX_HOST=$CONSOLE_URL CONVOX_RACK=acme/staging as_console \
    ansible-playbook -i ../setup_emulator/inventory.yml seed.yml -e seed_apps=shop -e seed_deployed=

set +x
printf '%s' "$VAULT_PASSWORD" >"$WORK/vault-pass"
VAULTED=$(printf '%s' "$CONSOLE_KEY" | ansible-vault encrypt_string --vault-password-file "$WORK/vault-pass" \
    --stdin-name password 2>/dev/null)
cat >"$WORK/console.convox.yml" <<YAML
plugin: convox.convox.convox
host: $CONSOLE_URL
console_racks: ["acme/*"]
$VAULTED
YAML
set -x
grep -q 'password: !vault' "$WORK/console.convox.yml"
# the environment must not help: no password but the vaulted one
(
    unset CONVOX_PASSWORD CONVOX_HOST
    inventory console "$WORK/console.convox.yml" --list --vault-password-file "$WORK/vault-pass"
    inventory console_verbose "$WORK/console.convox.yml" --graph --vault-password-file "$WORK/vault-pass" -vvv
)
$CHECK console "$OUT/console.json"
grep -q "skipping acme/dev: Could not read the apps of rack acme/dev: you are unauthorized to access this" "$OUT/console.err"
printf 'strict: true\n' >>"$WORK/console.convox.yml"
rc=0
ANSIBLE_INVENTORY_UNPARSED_FAILED=true inventory console_strict "$WORK/console.convox.yml" --list \
    --vault-password-file "$WORK/vault-pass" || rc=$?
[ "$rc" -ne 0 ]
grep -q "rack acme/dev: you are unauthorized to access this" "$OUT/console_strict.err"
sed -i '$d' "$WORK/console.convox.yml" # strict off again

# -- the plugin's EXAMPLES, as ansible-doc shows them, with the emulators' addresses -----------
"$EMULATOR_PYTHON" files/examples.py "$WORK" "$EMULATOR_URL" "$CONSOLE_URL"
inventory example1 "$WORK/example1.convox.yml" --list
"$EMULATOR_PYTHON" -c 'import json, sys; h = json.load(open(sys.argv[1]))["_meta"]["hostvars"]; sys.exit(sorted(h) != ["convox/alpha", "convox/beta", "convox/gamma"] and "example 1: %s" % sorted(h))' "$OUT/example1.json"
as_console inventory example2 "$WORK/example2.convox.yml" --list
"$EMULATOR_PYTHON" -c '
import json, sys
data = json.load(open(sys.argv[1]))
hosts = sorted(data["_meta"]["hostvars"])
want = ["acme/prod/blog", "acme/prod/shop", "staging/alpha", "staging/beta", "staging/gamma"]
assert hosts == want, hosts
assert sorted(data["apps_locked"]["hosts"]) == ["acme/prod/blog", "staging/gamma"], data.get("apps_locked")
assert "web.alpha." in str(data["_meta"]["hostvars"]["staging/alpha"]["web_domain"])' "$OUT/example2.json"
! grep -q "skipping" "$OUT/example2.err"
as_console inventory example3 "$WORK/example3.convox.yml" --list
"$EMULATOR_PYTHON" -c 'import json, sys; h = json.load(open(sys.argv[1]))["_meta"]["hostvars"]; sys.exit(sorted(h) != ["acme/prod", "acme/staging"] and "example 3: %s" % sorted(h))' "$OUT/example3.json"
grep -q "skipping acme/dev" "$OUT/example3.err" # the key may not read acme/dev
# a source with a rack that could not be read is not cached (the rack is read again next time)
[ -z "$(ls -A "$WORK/examples-cache" 2>/dev/null)" ]

# -- one play over convox_status_running of both sources, forks=5 -------------------------------
clear_requests "$EMULATOR_URL"
clear_requests "$CONSOLE_URL"
START=$(date +%s.%N)
ansible-playbook -i "$WORK/direct.convox.yml" -i "$WORK/console.convox.yml" --vault-password-file "$WORK/vault-pass" \
    -f 5 forks.yml | tee "$OUT/forks.txt"
END=$(date +%s.%N)
grep -Eq 'ok=2 +changed=0 +unreachable=0 +failed=0' "$OUT/forks.txt"
[ "$(grep -cE '^(local|acme)/[a-z/]+ +: ok=2 ' "$OUT/forks.txt")" = 6 ]
for app in alpha beta gamma; do
    emulator_requests "$EMULATOR_URL" | grep -q "\"path\": \"/apps/$app\""
done
emulator_requests "$CONSOLE_URL" | "$EMULATOR_PYTHON" -c '
import json, sys
seen = sorted({(r["rack"], r["path"]) for r in json.load(sys.stdin) if r["path"].count("/") == 2})
want = [("acme/prod", "/apps/blog"), ("acme/prod", "/apps/shop"), ("acme/staging", "/apps/shop")]
sys.exit(0 if seen == want else "console requests: %s" % seen)'
echo "forks=5 play over 6 apps on 3 racks: $(echo "$END - $START" | bc) s"

# -- nothing secret anywhere ---------------------------------------------------------------------
cat "$OUT"/* >"$WORK/all-output"
check_no_secrets "$WORK/all-output" EMULATOR_PASSWORD CONSOLE_KEY APP_SECRET VAULT_PASSWORD
cat "$WORK/cache"/* >"$WORK/all-cache"
check_no_secrets "$WORK/all-cache" EMULATOR_PASSWORD APP_SECRET
