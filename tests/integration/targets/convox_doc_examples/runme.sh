#!/usr/bin/env bash
# The worked examples of the module guides (docs/modules-*.md): the playbooks of
# docs/examples/modules/, run in order against one emulator by runme.yml, which checks after
# each of them what it returned and what the emulator received and holds.
# shellcheck source=/dev/null
source ../setup_emulator/run.sh

# The collection's copy of the examples (ansible-test runs targets from a copy of tests/integration).
EXAMPLES_DIR=
for dir in ${ANSIBLE_COLLECTIONS_PATH//:/ }; do
    candidate=$dir/ansible_collections/convox/convox/docs/examples/modules
    if [ -f "$candidate/apps_env.yml" ]; then EXAMPLES_DIR=$candidate; fi
done
if [ -z "$EXAMPLES_DIR" ]; then
    echo "docs/examples/modules not found under ANSIBLE_COLLECTIONS_PATH=$ANSIBLE_COLLECTIONS_PATH" >&2
    exit 1
fi

RESULTS=$(mktemp -d "${TMPDIR:-/tmp}/convox-doc-examples.XXXXXX")
_remove_results() { rm -rf "$RESULTS"; }
emulator_on_exit _remove_results

# Every example playbook must be in runme.yml: a new example that no test runs fails here.
for example in "$EXAMPLES_DIR"/*.yml; do
    if ! grep -qF "/$(basename "$example")\"" runme.yml; then
        echo "runme.yml does not run docs/examples/modules/$(basename "$example")" >&2
        exit 1
    fi
done

run_playbook -e "examples_dir=$EXAMPLES_DIR" -e "rack_key_file=$RESULTS/rack-key.pem" "$@"
