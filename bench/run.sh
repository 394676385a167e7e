#!/usr/bin/env bash
# make bench: run every benchmark script in bench/ (bench/*.py) with the dev venv's Python.
# Benchmarks are measurements, not tests: each prints its own figures; results that a script
# writes go to bench/results/ (ignored by git and by the collection build).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PY=${PYTHON:-.venv/bin/python}
mkdir -p bench/results
# what the benchmarks compare against (the official Python SDK): into the venv, never a runtime
# or test requirement of the collection
"$PY" -m pip install --quiet -r bench/requirements-bench.txt
shopt -s nullglob
scripts=(bench/[!_]*.py) # bench/_common.py is plumbing, not a benchmark
if [ ${#scripts[@]} -eq 0 ]; then
    echo "no benchmark scripts in bench/ yet"
    exit 0
fi
failed=0
for script in "${scripts[@]}"; do
    echo "======== $script"
    start=$SECONDS
    if "$PY" "$script"; then # the emulator comes from the venv (make venv installs emulator/)
        echo "TIME $script $((SECONDS - start))s ok"
    else
        echo "TIME $script $((SECONDS - start))s FAILED"
        failed=1
    fi
done
exit $failed
