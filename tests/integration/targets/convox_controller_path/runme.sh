#!/usr/bin/env bash
# Which path a task takes, proven from -vvv output (a module process shows its AnsiballZ file; the
# controller path says so), and the same play's registered results compared across both paths.
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

OUT=$(mktemp -d "${TMPDIR:-/tmp}/convox-paths.XXXXXX")
# shellcheck disable=SC2317  # run at exit
_remove_out() { rm -rf "$OUT"; }
emulator_on_exit _remove_out
# another interpreter path (a wrapper of the same Python): such a task goes to the module
mkdir "$OUT/bin"
printf '#!/bin/sh\nexec "%s" "$@"\n' "$(command -v python)" >"$OUT/bin/python3"
chmod +x "$OUT/bin/python3"
set -- -e "other_python=$OUT/bin/python3" "$@"

# 1. forced on (an extra var beats the CI lane's inventory variable)
run_playbook -vvv -e convox_controller_path=true -e "results_file=$OUT/controller.json" "$@" >"$OUT/controller.log" 2>&1 || {
    tail -n 80 "$OUT/controller.log"
    exit 1
}
grep -q "convox.convox.convox_app: runs in the controller process" "$OUT/controller.log"
# only the task on another interpreter spelling started a module process
test "$(grep -c "AnsiballZ_convox_" "$OUT/controller.log" | tr -d ' ')" -gt 0
grep -q "runs as a module (the module would run on another Python" "$OUT/controller.log"
if grep "AnsiballZ_convox_" "$OUT/controller.log" | grep -v "convox_app_info" | grep -q .; then
    echo "a module process ran for a task that should have run in the controller" >&2
    exit 1
fi

# 2. off for the tasks (the variable)
run_playbook -vvv -e convox_controller_path=false -e "results_file=$OUT/module.json" "$@" >"$OUT/module.log" 2>&1 || {
    tail -n 80 "$OUT/module.log"
    exit 1
}
grep -q "convox.convox.convox_app: runs as a module (convox_controller_path is off for this task)" "$OUT/module.log"
grep -q "AnsiballZ_convox_app.py" "$OUT/module.log"
if grep -q "runs in the controller process" "$OUT/module.log"; then
    echo "a task ran in the controller with convox_controller_path=false" >&2
    exit 1
fi

# 3. off for the whole run (the environment variable), unless a variable says otherwise
CONVOX_CONTROLLER_PATH=false \
    run_playbook -vvv -e "results_file=$OUT/env.json" "$@" >"$OUT/env.log" 2>&1 || {
    tail -n 80 "$OUT/env.log"
    exit 1
}
grep -q "AnsiballZ_convox_app.py" "$OUT/env.log"
if grep -q "runs in the controller process" "$OUT/env.log"; then
    echo "a task ran in the controller with CONVOX_CONTROLLER_PATH=false" >&2
    exit 1
fi

# the registered results of both paths, key by key
"${EMULATOR_PYTHON:-python}" files/compare.py "$OUT/module.json" "$OUT/controller.json" "$OUT/env.json"
