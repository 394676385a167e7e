# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The import graph of plugins/module_utils has no cycle.

Every ``.py`` file there (whatever files exist: new glue files are covered as they appear) is
parsed with ``ast``; every import of another file of module_utils counts, relative or through
``ansible_collections.convox.convox.plugins.module_utils``, at module level or inside a
function, except inside ``if TYPE_CHECKING:`` (type-only imports, never run). A cycle fails
the test with the files on it.
"""

from __future__ import annotations

import ast
import os
import textwrap
from typing import Dict, Iterator, List, Optional, Set

import pytest

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MODULE_UTILS = os.path.join(REPO_ROOT, "plugins", "module_utils")
ABSOLUTE = "ansible_collections.convox.convox.plugins.module_utils"


def _modules(root: str) -> Dict[str, str]:
    """Dotted name (relative to module_utils; a package by its own name) -> file path."""
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            parts = os.path.relpath(os.path.join(folder, name), root)[:-3].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            if parts:
                found[".".join(parts)] = os.path.join(folder, name)
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(tree: ast.AST) -> Iterator[ast.stmt]:
    """Import statements that can run: everything but the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:  # the else branch runs
                yield from _runtime_imports(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from _runtime_imports(node)


def _resolve(name: str, modules: Dict[str, str]) -> Optional[str]:
    """The module_utils file a dotted name (relative to module_utils) loads, or None."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]  # ``from .models import App``: App is a name in models
    return None


def import_graph(root: str) -> Dict[str, Set[str]]:
    modules = _modules(root)
    graph: Dict[str, Set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = os.path.basename(path) == "__init__.py"
        package = name if is_package else name.rpartition(".")[0]
        with open(path, encoding="utf-8") as handle:
            tree = ast.parse(handle.read(), filename=path)
        for node in _runtime_imports(tree):
            targets: List[str] = []
            if isinstance(node, ast.Import):
                targets = [
                    alias.name[len(ABSOLUTE) + 1 :] for alias in node.names if alias.name.startswith(ABSOLUTE + ".")
                ]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".") if package else []
                    up = node.level - 1  # ``from ..x``: one package up
                    if up > len(base):
                        continue  # above module_utils
                    base = base[: len(base) - up]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                elif node.module == ABSOLUTE:
                    prefix = ""
                elif node.module and node.module.startswith(ABSOLUTE + "."):
                    prefix = node.module[len(ABSOLUTE) + 1 :]
                else:
                    continue
                # ``from . import models`` / ``from .resources import apps`` load those files
                targets = [f"{prefix}.{alias.name}" if prefix else alias.name for alias in node.names]
                if prefix:
                    targets.append(prefix)
            for target in targets:
                resolved = _resolve(target, modules)
                # importing a submodule runs its packages first
                while resolved:
                    if resolved != name:
                        graph[name].add(resolved)
                    resolved = _resolve(resolved.rpartition(".")[0], modules)
    return graph


def find_cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one file (Tarjan), each sorted."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    cycles: List[List[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_module_utils_has_no_import_cycle():
    graph = import_graph(MODULE_UTILS)
    assert {"models", "client", "_records", "resources._base"} <= set(graph)  # it read the real files
    assert "errors" in graph["client"]
    assert graph["_convert"] == set()  # the helpers the answer files share import none of them
    assert "models" not in graph["_models_base"]
    cycles = find_cycles(graph)
    assert not cycles, "import cycles in plugins/module_utils: " + "; ".join(" <-> ".join(c) for c in cycles)


def _tree(tmp_path, files: Dict[str, str]) -> str:
    for name, text in files.items():
        path = tmp_path.joinpath(*name.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(tmp_path)


def test_the_check_finds_cycles(tmp_path):
    root = _tree(
        tmp_path,
        {
            "a.py": "from .b import helper\n",
            "b.py": "def helper():\n    from . import a\n",  # a function-level import counts
            "c.py": f"from {ABSOLUTE}.pkg import d\n",
            "pkg/__init__.py": "",
            "pkg/d.py": "from ..c import x\n",  # relative, two levels
            "e.py": "import typing\nif typing.TYPE_CHECKING:\n    from .f import F\nelse:\n    import os\n",
            "f.py": "from .e import E\n",  # e -> f is type-only: no cycle
            "g.py": f"import {ABSOLUTE}.h as h\n",
            "h.py": "from . import g\n",
        },
    )
    graph = import_graph(root)
    assert graph["e"] == set()
    assert graph["c"] == {"pkg", "pkg.d"}
    assert find_cycles(graph) == [["a", "b"], ["c", "pkg.d"], ["g", "h"]]


@pytest.mark.parametrize("name", ["models", "_records", "_convert", "client"])
def test_answer_files_have_no_cycle_through_them(name):
    graph = import_graph(MODULE_UTILS)
    seen, todo = set(), [name]
    while todo:  # everything reachable from ``name`` must not lead back to it
        for target in graph.get(todo.pop(), ()):
            assert target != name, f"{name} is on an import cycle"
            if target not in seen:
                seen.add(target)
                todo.append(target)
