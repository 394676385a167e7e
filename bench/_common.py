# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Plumbing shared by the bench scripts (not a benchmark: bench/run.sh skips ``_*.py``)."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def collection_root(prefix: str = "convox-bench-") -> str:
    """A temporary directory whose ansible_collections/convox/convox is a symlink to this checkout."""
    root = tempfile.mkdtemp(prefix=prefix)
    os.makedirs(os.path.join(root, "ansible_collections", "convox"))
    os.symlink(REPO_ROOT, os.path.join(root, "ansible_collections", "convox", "convox"))
    return root


def write_result(name: str, result: Any) -> str:
    """Write ``result`` as JSON to bench/results/<name>.json (ignored by git) and return the path.

    ``CONVOX_BENCH_RESULTS`` names another directory (the smoke test's, so that its tiny runs never
    replace a real run's figures)."""
    directory = os.environ.get("CONVOX_BENCH_RESULTS") or os.path.join(REPO_ROOT, "bench", "results")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, f"{name}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=2)
    return path
