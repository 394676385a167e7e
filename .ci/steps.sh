#!/usr/bin/env bash
# Every check of the convox.convox collection, one named step at a time.
#
#   bash .ci/steps.sh test            everything `make test` runs, in order
#   bash .ci/steps.sh lint pytest     just those steps (the Makefile's targets use this)
#   bash .ci/steps.sh --list          the step names
#
# Each step runs in its own bash process under `set -euo pipefail` and prints one timing
# line ("TIME <step> <seconds>s ok|FAILED"). Later steps still run after a failure so one
# run reports everything; the script exits non-zero if any step failed. Steps that others
# depend on (venv, tools, tree) stop the run when they fail.
#
# ansible-test needs the collection at a physical path ending in
# ansible_collections/convox/convox, so the tracked files are copied to
# $CI_WORK/collections/ansible_collections/convox/convox (a temporary directory unless
# CI_WORK is set; kept afterwards only when KEEP_CI_WORK=1).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export REPO
export VENV=${VENV:-$REPO/.venv}
export VENV216=${VENV216:-$REPO/.venv-2.16}
export PYTHONDONTWRITEBYTECODE=1
export ANSIBLE_NOCOLOR=1
export PY_COLORS=0

TEST_STEPS=(venv tools tree lint pytest ansible-lint changelog docs-lint galaxy sanity sanity-pythons units
    integration integration-modules molecule venv-2.16 sanity-2.16 integration-2.16 demo docs)
# Steps of the second lane (run in parallel with the rest; see main).
LANE_B_STEPS=" venv-2.16 sanity-2.16 integration-2.16 demo docs "
CRITICAL_STEPS=" venv tools tree venv-2.16 "

coll() { echo "$CI_WORK/collections/ansible_collections/convox/convox"; }

# Real python3.X interpreters: the pyenv shims of non-global versions exit 127, which breaks
# ansible-test (toolchain.md finding 2). Their symlinks live in $CI_WORK/pybin.
real_python() {
    local v=$1 prefix
    if command -v pyenv >/dev/null 2>&1 && prefix=$(pyenv prefix "$v" 2>/dev/null) && [ -x "$prefix/bin/python$v" ]; then
        echo "$prefix/bin/python$v"
    elif command -v "python$v" >/dev/null 2>&1 && "python$v" -c 'pass' >/dev/null 2>&1; then
        command -v "python$v"
    fi
}

pip_bootstrap_version() {
    # The pip version ansible-test bootstraps into its venvs names the get-pip cache file.
    "$1" - <<'PY'
import inspect
import re

import ansible_test._internal.python_requirements as m

print(re.search(r"pip='([0-9.]+)'", inspect.getsource(m.get_venv_packages)).group(1))
PY
}

install_get_pip_standin() {
    local ver
    ver=$(pip_bootstrap_version "$1/bin/python")
    mkdir -p "$HOME/.ansible/test/cache"
    cp "$REPO/.ci/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${ver//./_}.py"
    echo "get-pip stand-in for pip $ver installed for $1"
}

# ----------------------------------------------------------------------------- steps

step_venv() {
    make -s -C "$REPO" venv
    "$VENV/bin/python" --version
    "$VENV/bin/ansible" --version | sed -n 1p
}

step_venv-2.16() {
    make -s -C "$REPO" venv-2.16
    "$VENV216/bin/ansible" --version | sed -n 1p
    install_get_pip_standin "$VENV216"
}

step_tools() {
    mkdir -p "$CI_WORK/pybin"
    local v py found=""
    for v in 3.9 3.10 3.11 3.12 3.13; do
        py=$(real_python "$v")
        if [ -n "$py" ]; then
            ln -sf "$py" "$CI_WORK/pybin/python$v"
            found="$found $v"
        else
            echo "WARNING: no working python$v; ansible-test skips it" >&2
        fi
    done
    echo "target Pythons:$found"
    install_get_pip_standin "$VENV"
    if [ -x "$VENV216/bin/python" ]; then
        install_get_pip_standin "$VENV216"
    fi
    if ! command -v shellcheck >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "installing shellcheck (ansible-test sanity checks the runme.sh targets with it)"
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
        else
            echo "WARNING: shellcheck is missing and cannot be installed (not root): sanity skips it" >&2
        fi
    fi
    if command -v shellcheck >/dev/null 2>&1; then shellcheck --version | sed -n 2p; fi
}

step_lint() {
    in_tree
    local rc=0
    "$VENV/bin/ruff" check . || rc=1
    "$VENV/bin/ruff" format --check . || rc=1
    "$VENV/bin/mypy" || rc=1
    return $rc
}

step_pytest() {
    in_tree
    # One pytest session per test directory: each directory has its own conftest.py, and
    # test modules that import from "conftest" would otherwise get another directory's.
    # Coverage of plugins/module_utils accumulates over the sessions and is reported at
    # the end (the client's own coverage config when it has one, else pyproject.toml).
    local cfg=pyproject.toml rc=0 d
    if [ -f tests/client_integration/coverage.ini ]; then cfg=tests/client_integration/coverage.ini; fi
    # --cov-fail-under=0: one session alone covers part of the client; the bound is checked once, on the total.
    local cov=(--cov --cov-config="$cfg" --cov-append --cov-report= --cov-fail-under=0)
    rm -f .coverage .coverage.*
    for d in emulator/tests tests/unit/plugins/module_utils tests/unit/plugins/modules tests/unit \
        tests/client_integration tests/tools; do
        [ -d "$d" ] || continue
        echo "---- pytest $d"
        local args=("$d" -q)
        case $d in
        tests/unit) args+=(--ignore=tests/unit/plugins/module_utils --ignore=tests/unit/plugins/modules) ;;
        esac
        case $d in
        emulator/tests | tests/tools) ;; # the emulator's own tests, the docs tool's: no client code to cover
        *) args+=("${cov[@]}") ;;
        esac
        "$VENV/bin/pytest" "${args[@]}" || rc=1
    done
    echo "---- coverage of plugins/module_utils ($cfg)"
    "$VENV/bin/coverage" report --rcfile="$cfg" || rc=1
    return $rc
}

step_tree() {
    local c
    c=$(coll)
    rm -rf "$c"
    mkdir -p "$c"
    # Tracked files, copied (ansible-test reads the physical path; a symlink fails).
    # CI_UNTRACKED=1 adds untracked, not ignored files: handy before a first commit.
    local list=(git ls-files -z)
    if [ "${CI_UNTRACKED:-0}" = 1 ]; then list+=(--cached --others --exclude-standard); fi
    "${list[@]}" | tar --null --ignore-failed-read -T - -cf - 2>/dev/null | tar -C "$c" -xf -
    echo "collection tree: $c ($("${list[@]}" | tr -cd '\0' | wc -c) files)"
}

in_tree() { cd "$(coll)"; }

# ansible-test shows the output of every pip install it runs for its test venvs; drop those
# progress lines (errors and ansible-test's own messages stay). Exit status is kept (pipefail).
PIP_NOISE='^(Looking in (indexes|links)|WARNING: Location .* is ignored|Processing /|Requirement already satisfied|Collecting |Downloading |Using cached |Installing collected packages|Successfully (installed|uninstalled)|  Attempting uninstall|    Found existing installation|    Uninstalling |Obtaining |Preparing metadata|Building wheels?|  Building wheel|  Created wheel|  Stored in directory|Requirement |Ignoring )'
ansible_test() {
    "$@" 2>&1 | sed -E "\\#$PIP_NOISE#d"
}

step_sanity() {
    in_tree
    ansible_test "$VENV/bin/ansible-test" sanity --venv --python 3.12 --color no
}

step_sanity-pythons() {
    in_tree
    # Every target Python on PATH (3.9 to 3.13 here); ansible-test skips ones it cannot find.
    ansible_test "$VENV/bin/ansible-test" sanity --venv --test import --test compile --color no
}

step_units() {
    in_tree
    ansible_test "$VENV/bin/ansible-test" units --venv --python 3.12 --color no
}

# ansible-test runs targets one after another, and a target mostly waits (module start-up,
# the emulator's lifecycles): one run keeps one core busy at most. The targets are split
# round-robin into CI_SHARDS groups (default 2, one per core) that run at once, each in its
# own copy of the tree; CI_SHARDS=1 runs them all in one ansible-test call.
step_integration() {
    in_tree
    local shards=${CI_SHARDS:-2} tree i j rc=0 targets=() pids=()
    tree=$(coll)
    if [ -n "${CI_TARGETS:-}" ]; then
        read -r -a targets <<<"$CI_TARGETS" # a subset, for development: CI_TARGETS="convox_app convox_env"
    else
        mapfile -t targets < <(cd tests/integration/targets && for t in convox_*; do [ -f "$t/aliases" ] && echo "$t"; done)
    fi
    if [ "$shards" -le 1 ] || [ ${#targets[@]} -lt 2 ]; then
        # --local: the modules and the emulator run on the dev venv's Python (httpx, pydantic, ...).
        PATH="$VENV/bin:$PATH" ansible_test "$VENV/bin/ansible-test" integration --local --color no ${CI_TARGETS:+"${targets[@]}"}
        return
    fi
    for ((i = 0; i < shards; i++)); do
        local part=() dir="$CI_WORK/shard-$i/collections/ansible_collections/convox/convox"
        for ((j = i; j < ${#targets[@]}; j += shards)); do part+=("${targets[j]}"); done
        rm -rf "$CI_WORK/shard-$i"
        mkdir -p "$dir"
        cp -a "$tree/." "$dir/"
        echo "integration shard $i: ${part[*]}"
        (cd "$dir" && PATH="$VENV/bin:$PATH" ansible_test "$VENV/bin/ansible-test" integration --local --color no "${part[@]}") \
            >"$CI_WORK/shard-$i.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!pids[@]}"; do
        wait "${pids[i]}" || rc=1
        echo "-------- integration shard $i"
        cat "$CI_WORK/shard-$i.log"
    done
    return $rc
}

# The same targets on the module path: every convox task of the run starts a module process, as
# on a remote host (the controller path is off through the inventory variable
# convox_controller_path, in a copy of the tree; ansible-test passes no environment variable to
# the targets). `integration` runs them on the controller path, the default for localhost.
# CI_TARGETS and CI_SHARDS apply as for `integration`.
step_integration-modules() {
    local lane="$CI_WORK/modules" dir inventory
    dir="$lane/collections/ansible_collections/convox/convox"
    rm -rf "$lane"
    mkdir -p "$dir"
    cp -a "$(coll)/." "$dir/"
    inventory="$dir/tests/integration/targets/setup_emulator/inventory.yml"
    sed -i 's|^\( *\)ansible_python_interpreter: .*$|&\n\1convox_controller_path: false|' "$inventory"
    grep -q "convox_controller_path: false" "$inventory"
    echo "module path lane: $dir"
    CI_WORK=$lane step_integration
}

step_sanity-2.16() {
    in_tree
    ansible_test "$VENV216/bin/ansible-test" sanity --venv --python 3.12 --color no
}

# On the oldest ansible-core the collection claims, integration covers the app lifecycle
# (the wave-1 targets, which exercise the shared glue every module uses); the newest
# ansible-core runs every target. Running all of them twice does not fit a 20-minute CI
# on two cores. CI_216_TARGETS=all runs every target on 2.16 too.
CI_216_TARGETS=${CI_216_TARGETS:-convox_app convox_app_info convox_env convox_env_info convox_build convox_build_info convox_release convox_release_info convox_deploy}

step_integration-2.16() {
    in_tree
    local targets=()
    if [ "$CI_216_TARGETS" != all ]; then read -r -a targets <<<"$CI_216_TARGETS"; fi
    PATH="$VENV216/bin:$PATH" ansible_test "$VENV216/bin/ansible-test" integration --local --color no "${targets[@]}"
}

step_ansible-lint() {
    in_tree
    # A HOME of its own: ansible-lint also looks in ~/.ansible/collections, where molecule installs a
    # copy of the collection that can be older than this tree (modules it lacks fail syntax-check).
    mkdir -p "$CI_WORK/lint-home"
    HOME="$CI_WORK/lint-home" "$VENV/bin/ansible-lint" --offline --profile production
}

step_changelog() {
    in_tree
    "$VENV/bin/antsibull-changelog" lint
}

step_docs-lint() {
    in_tree
    # The guides' RST (docs/docsite) is generated from docs/*.md: fail while it is stale.
    "$VENV/bin/python" tools/docs.py rst --check
    "$VENV/bin/antsibull-docs" lint-collection-docs --plugin-docs .
}

step_galaxy() {
    in_tree
    rm -rf "$CI_WORK/dist"
    "$VENV/bin/ansible-galaxy" collection build --force --output-path "$CI_WORK/dist"
    # ansible-test and ansible-lint have their own steps (the importer's ansible-test step
    # would need Docker); the importer still loads every plugin's docs and runs flake8.
    printf '[galaxy-importer]\nRUN_ANSIBLE_TEST = False\nRUN_ANSIBLE_LINT = False\nRUN_FLAKE8 = True\n' >"$CI_WORK/gi.cfg"
    # galaxy-importer runs outside the collection tree and writes importer_result.json there.
    mkdir -p "$CI_WORK/importer"
    cd "$CI_WORK/importer"
    GALAXY_IMPORTER_CONFIG="$CI_WORK/gi.cfg" "$VENV/bin/python" -m galaxy_importer.main "$CI_WORK"/dist/convox-convox-*.tar.gz \
        >"$CI_WORK/importer/log.txt" 2>&1 || {
        cat "$CI_WORK/importer/log.txt"
        return 1
    }
    grep -E "WARNING|ERROR|Done|Removing|imported" "$CI_WORK/importer/log.txt" | tail -20 || true
    if grep -q "ERROR" "$CI_WORK/importer/log.txt"; then
        echo "galaxy-importer logged errors" >&2
        return 1
    fi
}

# README's first command on a fresh install: `make demo` with a new venv of its own (only
# requirements-demo.txt: ansible-core, the runtime requirements and the emulator installed with
# pip from emulator/, not editable), run from the tree. Proves that the emulator installs into a
# fresh venv and serves the demo.
step_demo() {
    in_tree
    rm -rf "$CI_WORK/demo-venv"
    make -s demo DEMO_VENV="$CI_WORK/demo-venv"
}

step_molecule() {
    in_tree
    PATH="$VENV/bin:$PATH" "$VENV/bin/molecule" test --all
}

# The docs site: antsibull-docs' collection docs (every module's options, examples and return
# values) and the guides (docs/docsite/rst, generated from docs/*.md by tools/docs.py), as HTML in
# build/docs/build/html of the checkout (kept after the run: the artifact). Offline: the Ansible
# docs' labels that module pages link to come from a local intersphinx inventory, so Sphinx runs
# with -W (any warning, an unresolved reference included, fails); then every internal link and
# anchor of the HTML is checked.
step_docs() {
    in_tree
    local dest="$REPO/build/docs"
    "$VENV/bin/python" tools/docs.py rst --check
    rm -rf "$dest"
    mkdir -p "$dest"
    "$VENV/bin/antsibull-docs" sphinx-init --use-current --lenient --dest-dir "$dest" convox.convox >/dev/null
    "$VENV/bin/python" tools/docs.py inventory "$dest"
    {
        echo
        echo "# Added by .ci/steps.sh (step_docs): no network, one local inventory (tools/docs.py inventory)."
        echo "intersphinx_mapping = {"
        echo "    'ansible_devel': ('https://docs.ansible.com/projects/ansible/devel/', '$dest/ansible_devel.inv'),"
        echo "}"
    } >>"$dest/conf.py"
    sed -i 's/^sphinx-build -M html rst build -c \.$/& -W --keep-going -q/' "$dest/build.sh"
    grep -q -- '-W --keep-going' "$dest/build.sh"
    # The generated build.sh uses the sphinx-build and antsibull-docs on PATH (the dev venv).
    (cd "$dest" && PATH="$VENV/bin:$PATH" ./build.sh)
    test -f "$dest/build/html/collections/convox/convox/index.html"
    touch "$dest/build/html/.nojekyll" # GitHub Pages serves _static/ as it is
    "$VENV/bin/python" tools/docs.py linkcheck "$dest/build/html"
    echo "HTML: $dest/build/html/index.html ($(du -sh "$dest/build/html" | cut -f1))"
    echo "docs site (HTML): $dest/build/html/index.html" >>"$CI_ARTIFACTS"
}

# ----------------------------------------------------------------------------- driver

run_one() {
    local name=$1
    export PATH="$CI_WORK/pybin:$VENV/bin:$PATH"
    "step_$name"
}

main() {
    if [ "${1:-}" = "--one" ]; then
        shift
        run_one "$1"
        return
    fi
    if [ "${1:-}" = "--list" ]; then
        printf '%s\n' "${TEST_STEPS[@]}"
        return
    fi
    local steps=() s
    for s in "$@"; do
        if [ "$s" = test ]; then steps+=("${TEST_STEPS[@]}"); else steps+=("$s"); fi
    done
    if [ ${#steps[@]} -eq 0 ]; then
        echo "usage: $0 test | STEP... | --list" >&2
        return 2
    fi
    for s in "${steps[@]}"; do
        if ! declare -F "step_$s" >/dev/null; then
            echo "unknown step: $s (see --list)" >&2
            return 2
        fi
    done

    if [ -z "${CI_WORK:-}" ]; then
        CI_WORK=$(mktemp -d /tmp/convox-ci.XXXXXX)
        if [ "${KEEP_CI_WORK:-0}" != 1 ]; then
            trap 'rm -rf "$CI_WORK"' EXIT
        fi
    fi
    export CI_WORK
    export ANSIBLE_COLLECTIONS_PATH="$CI_WORK/collections"
    mkdir -p "$CI_WORK/pybin"
    # Steps name what they leave behind (one line each); printed at the end, lane B's too.
    if [ -z "${CI_ARTIFACTS:-}" ]; then
        export CI_ARTIFACTS="$CI_WORK/artifacts.txt"
        : >"$CI_ARTIFACTS"
    fi
    # Steps that need the tree or the tools get them even when run alone.
    local needs_tree=0 needs_tools=0
    for s in "${steps[@]}"; do
        case $s in
        lint | pytest | sanity* | units | integration* | ansible-lint | changelog | docs-lint | galaxy | molecule | docs | demo)
            needs_tree=1
            needs_tools=1
            ;;
        esac
    done
    local auto=()
    [[ $needs_tools = 1 && " ${steps[*]} " != *" tools "* ]] && auto+=(tools)
    [[ $needs_tree = 1 && " ${steps[*]} " != *" tree "* ]] && auto+=(tree)
    if [ ${#auto[@]} -gt 0 ]; then steps=("${auto[@]}" "${steps[@]}"); fi
    case " ${steps[*]} " in *" sanity-2.16 "* | *" integration-2.16 "*)
        [[ " ${steps[*]} " != *" venv-2.16 "* ]] && steps=(venv-2.16 "${steps[@]}") ;;
    esac

    # The ansible-core 2.16 steps and the demo run in a second lane, in parallel with the rest,
    # on their own copy of the tree (ansible-test keeps state in tests/output): most steps use
    # one core, and the machine has two. CI_PARALLEL=0 runs everything in one lane.
    local lane_b=() lane_a=() lane_pid="" lane_dir="$CI_WORK/lane-2.16"
    if [ "${CI_PARALLEL:-1}" != 0 ] && [ "${CI_LANE:-}" != b ]; then
        for s in "${steps[@]}"; do
            if [[ $LANE_B_STEPS = *" $s "* ]]; then lane_b+=("$s"); else lane_a+=("$s"); fi
        done
        if [ ${#lane_b[@]} -gt 0 ] && [ ${#lane_a[@]} -gt 0 ]; then
            steps=("${lane_a[@]}")
        else
            lane_b=()
        fi
    fi
    start_lane_b() {
        mkdir -p "$lane_dir"
        echo "(lane B started in parallel: ${lane_b[*]}; its output follows at the end)"
        CI_WORK=$lane_dir CI_LANE=b bash "$REPO/.ci/steps.sh" tools tree "${lane_b[@]}" >"$lane_dir/log.txt" 2>&1 &
        lane_pid=$!
    }
    # Start it once the shared tools (pybin, shellcheck) are in place.
    if [ ${#lane_b[@]} -gt 0 ] && [[ " ${steps[*]} " != *" tools "* ]]; then start_lane_b; fi

    local summary=() failed=0 start rc dur total_start=$SECONDS
    for s in "${steps[@]}"; do
        echo
        echo "======== $s ($(date +%H:%M:%S))"
        start=$SECONDS
        rc=0
        bash "$REPO/.ci/steps.sh" --one "$s" || rc=$?
        dur=$((SECONDS - start))
        if [ $rc -eq 0 ]; then
            echo "TIME $s ${dur}s ok"
            summary+=("$(printf '%-18s %5ss  ok' "$s" "$dur")")
        else
            echo "TIME $s ${dur}s FAILED (exit $rc)"
            summary+=("$(printf '%-18s %5ss  FAILED (exit %s)' "$s" "$dur" "$rc")")
            failed=1
            if [[ $CRITICAL_STEPS = *" $s "* ]]; then
                echo "step $s is needed by the rest: stopping" >&2
                break
            fi
        fi
        if [ "$s" = tools ] && [ ${#lane_b[@]} -gt 0 ] && [ -z "$lane_pid" ]; then start_lane_b; fi
    done
    if [ -n "$lane_pid" ]; then
        echo
        echo "======== lane B ($(date +%H:%M:%S)): waiting for it"
        rc=0
        wait "$lane_pid" || rc=$?
        cat "$lane_dir/log.txt"
        while read -r line; do
            summary+=("$line")
        done < <(sed -n '/^======== summary/,/^RESULT/p' "$lane_dir/log.txt" | grep -v -E '^(========|RESULT|tools |tree )' || true)
        if [ $rc -ne 0 ]; then failed=1; fi
    fi
    echo
    echo "======== summary (total $((SECONDS - total_start))s)"
    printf '%s\n' "${summary[@]}"
    if [ "${CI_LANE:-}" != b ] && [ -s "$CI_ARTIFACTS" ]; then
        echo "artifacts:"
        sed 's/^/  /' "$CI_ARTIFACTS"
    fi
    if [ $failed -ne 0 ]; then
        echo "RESULT: FAILED"
        return 1
    fi
    echo "RESULT: ok"
}

main "$@"
