# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Checks of the collection's metadata against its modules.

* every module in plugins/modules is in the ``convox`` action group of meta/runtime.yml,
  and the group names no module that does not exist;
* every module documents ``attributes`` (check_mode, diff_mode, platform), directly or
  through doc fragments;
* every EXAMPLES block is valid YAML whose tasks call modules by FQCN and use the module
  it documents as ``convox.convox.<module>``;
* galaxy.yml, the README's module list and the changelog agree with the modules.

Module files are read with ``ast`` (never imported), so the checks work under plain pytest
and under ``ansible-test units`` without the modules' own requirements.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULES_DIR = ROOT / "plugins" / "modules"
FRAGMENTS_DIR = ROOT / "plugins" / "doc_fragments"
COLLECTION = "convox.convox"
REQUIRED_ATTRIBUTES = ("check_mode", "diff_mode", "platform")
TASK_LOOP_PREFIX = "with_"
BLOCK_KEYS = ("block", "rescue", "always")


def _task_keywords() -> frozenset:
    try:
        from ansible.playbook.task import Task
    except ImportError:  # pragma: no cover - ansible-core is always present where these tests run
        return frozenset()
    return frozenset(Task.fattributes) | {"local_action", "action", "args"}


TASK_KEYWORDS = _task_keywords()


def module_names() -> List[str]:
    if not MODULES_DIR.is_dir():
        return []
    return sorted(p.stem for p in MODULES_DIR.glob("*.py") if p.stem != "__init__" and not p.stem.startswith("_"))


def string_constants(path: Path) -> Dict[str, str]:
    """Top-level ``NAME = "..."`` string assignments of a Python file, and of classes in it."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: Dict[str, str] = {}
    nodes: List[ast.stmt] = list(tree.body)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            nodes.extend(node.body)
    for node in nodes:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def load_fragment(name: str) -> Optional[Dict[str, Any]]:
    """The YAML of a doc fragment (``ns.coll.file`` or ``ns.coll.file.variable``, or a builtin name)."""
    parts = name.split(".")
    if name.startswith(COLLECTION + "."):
        file_name = parts[2]
        variable = parts[3].upper() if len(parts) > 3 else "DOCUMENTATION"
        path = FRAGMENTS_DIR / (file_name + ".py")
        if not path.is_file():
            return None
        text = string_constants(path).get(variable)
        return yaml.safe_load(text) if text else None
    if name.startswith("ansible.builtin.") or len(parts) <= 2:
        short = parts[2:] if name.startswith("ansible.builtin.") else parts
        from ansible.plugins.loader import fragment_loader

        fragment = fragment_loader.get(short[0])
        if fragment is None:
            return None
        variable = short[1].upper() if len(short) > 1 else "DOCUMENTATION"
        text = getattr(fragment, variable, None)
        return yaml.safe_load(text) if text else None
    return None


def module_docs(name: str) -> Tuple[Dict[str, Any], Any, List[str]]:
    """(DOCUMENTATION with fragment attributes merged, parsed EXAMPLES, problems)."""
    problems: List[str] = []
    constants = string_constants(MODULES_DIR / (name + ".py"))
    doc_text = constants.get("DOCUMENTATION")
    if not doc_text:
        return {}, None, [f"{name}: no DOCUMENTATION string"]
    try:
        doc = yaml.safe_load(doc_text) or {}
    except yaml.YAMLError as exc:
        return {}, None, [f"{name}: DOCUMENTATION is not valid YAML: {exc}"]
    attributes: Dict[str, Any] = {}
    fragments = doc.get("extends_documentation_fragment") or []
    if isinstance(fragments, str):
        fragments = [fragments]
    for fragment_name in fragments:
        fragment = load_fragment(fragment_name)
        if fragment is None:
            problems.append(f"{name}: doc fragment {fragment_name} not found")
            continue
        attributes.update(fragment.get("attributes") or {})
    attributes.update(doc.get("attributes") or {})
    doc["attributes"] = attributes
    examples: Any = None
    examples_text = constants.get("EXAMPLES")
    if not examples_text:
        problems.append(f"{name}: no EXAMPLES string")
    else:
        try:
            examples = yaml.safe_load(examples_text)
        except yaml.YAMLError as exc:
            problems.append(f"{name}: EXAMPLES is not valid YAML: {exc}")
    return doc, examples, problems


def iter_tasks(items: Any) -> List[Dict[str, Any]]:
    """Flatten a task list (blocks and plays included) into task dicts."""
    tasks: List[Dict[str, Any]] = []
    for item in items or []:
        if not isinstance(item, dict):
            tasks.append({"__invalid__": item})
            continue
        if "hosts" in item or "import_playbook" in item:
            for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
                tasks.extend(iter_tasks(item.get(section)))
        elif any(key in item for key in BLOCK_KEYS):
            for key in BLOCK_KEYS:
                tasks.extend(iter_tasks(item.get(key)))
        else:
            tasks.append(item)
    return tasks


def task_action(task: Dict[str, Any]) -> Optional[str]:
    if "action" in task or "local_action" in task:
        value = task.get("action") or task.get("local_action")
        if isinstance(value, dict):
            return value.get("module")
        return str(value).split()[0] if value else None
    candidates = [key for key in task if key not in TASK_KEYWORDS and not key.startswith(TASK_LOOP_PREFIX)]
    return candidates[0] if len(candidates) == 1 else None


def example_problems(name: str, examples: Any, modules: List[str]) -> List[str]:
    if examples is None:
        return []
    if not isinstance(examples, list) or not examples:
        return [f"{name}: EXAMPLES must be a non-empty YAML list of tasks"]
    problems: List[str] = []
    used_self = False
    for task in iter_tasks(examples):
        if "__invalid__" in task:
            problems.append(f"{name}: EXAMPLES item is not a task mapping: {task['__invalid__']!r}")
            continue
        action = task_action(task)
        if action is None:
            problems.append(f"{name}: cannot tell the module of EXAMPLES task {task.get('name')!r}")
            continue
        if action.count(".") < 2:
            problems.append(f"{name}: EXAMPLES task {task.get('name')!r} uses {action!r}, not a FQCN")
            continue
        if action.startswith(COLLECTION + "."):
            target = action[len(COLLECTION) + 1 :]
            if target not in modules:
                problems.append(f"{name}: EXAMPLES use {action}, which is not a module of this collection")
            used_self = used_self or target == name
    if not used_self:
        problems.append(f"{name}: EXAMPLES never call {COLLECTION}.{name}")
    return problems


def attribute_problems(name: str, doc: Dict[str, Any]) -> List[str]:
    problems: List[str] = []
    attributes = doc.get("attributes") or {}
    for attribute in REQUIRED_ATTRIBUTES:
        entry = attributes.get(attribute)
        if not isinstance(entry, dict) or entry.get("support") not in ("full", "partial", "none", "N/A"):
            problems.append(f"{name}: attributes.{attribute} missing or without a valid 'support'")
    return problems


def galaxy_version() -> str:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    return str(galaxy["version"])


def version_tuple(version: str) -> Tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("-")[0])[:3])


def version_added_problems(name: str, doc: Dict[str, Any], release: str) -> List[str]:
    """version_added must be set and not newer than galaxy.yml's version (antsibull-changelog
    leaves a module out of the release notes otherwise)."""
    added = doc.get("version_added")
    if not added:
        return [f"{name}: DOCUMENTATION has no version_added"]
    if version_tuple(str(added)) > version_tuple(release):
        return [f"{name}: version_added {added} is newer than the collection version {release} (galaxy.yml)"]
    return []


def action_group() -> List[str]:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    groups = runtime.get("action_groups") or {}
    return list(groups.get("convox") or [])


# ----------------------------------------------------------------------------- tests


def test_runtime_metadata() -> None:
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text(encoding="utf-8"))
    assert runtime["requires_ansible"] == ">=2.16.0"
    group = action_group()
    assert group, "the convox action group is empty"
    assert len(group) == len(set(group)), "the convox action group lists a module twice"


def test_action_group_matches_modules() -> None:
    modules = module_names()
    group = action_group()
    missing = sorted(set(modules) - set(group))
    unknown = sorted(set(group) - set(modules))
    assert not missing, f"modules missing from action_groups.convox in meta/runtime.yml: {missing}"
    assert not unknown, f"action_groups.convox names modules that do not exist: {unknown}"


def test_module_documentation() -> None:
    modules = module_names()
    assert modules, "no modules found in plugins/modules"
    release = galaxy_version()
    problems: List[str] = []
    checked = []
    for name in modules:
        doc, examples, found = module_docs(name)
        problems.extend(found)
        if doc:
            if doc.get("module") != name:
                problems.append(f"{name}: DOCUMENTATION says module: {doc.get('module')!r}")
            problems.extend(version_added_problems(name, doc, release))
            problems.extend(attribute_problems(name, doc))
        problems.extend(example_problems(name, examples, modules))
        checked.append(name)
    assert checked == modules and len(checked) > 0
    assert not problems, "\n".join(problems)


def test_checker_catches_bad_examples_and_attributes() -> None:
    """The checks above must be able to fail: feed them known-bad input."""
    bad_examples = yaml.safe_load("- name: short name\n  convox_app:\n    name: x\n")
    assert example_problems("convox_app", bad_examples, ["convox_app"]), "short module name not caught"
    other = yaml.safe_load("- name: other\n  ansible.builtin.debug:\n    msg: hi\n")
    assert any("never call" in p for p in example_problems("convox_app", other, ["convox_app"]))
    good = yaml.safe_load("- name: ok\n  convox.convox.convox_app:\n    name: x\n  register: r\n")
    assert example_problems("convox_app", good, ["convox_app"]) == []
    assert example_problems("convox_app", "just text", ["convox_app"])
    assert len(attribute_problems("convox_app", {"attributes": {"check_mode": {"support": "full"}}})) == 2
    full = {a: {"support": "full"} for a in REQUIRED_ATTRIBUTES}
    assert attribute_problems("convox_app", {"attributes": full}) == []
    assert version_added_problems("convox_app", {"version_added": "1.0.0"}, "0.1.0")
    assert version_added_problems("convox_app", {}, "0.1.0")
    assert version_added_problems("convox_app", {"version_added": "0.1.0"}, "0.1.0") == []


def test_galaxy_metadata() -> None:
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
    assert (galaxy["namespace"], galaxy["name"]) == ("convox", "convox")
    assert re.fullmatch(r"\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?", str(galaxy["version"]))
    assert galaxy["dependencies"] == {}, "nothing can come from Galaxy: keep dependencies empty"
    assert "cloud" in galaxy["tags"]
    for ignored in ("tests/output", "collections", ".ansible", "importer_result.json"):
        assert ignored in galaxy["build_ignore"], f"{ignored} missing from build_ignore"
    assert (ROOT / str(galaxy["readme"])).is_file()


def test_readme_lists_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^[-*] `?(convox_[a-z_]+)`?", readme, flags=re.MULTILINE))
    modules = set(module_names())
    assert listed == modules, (
        f"README module list: missing {sorted(modules - listed)}, extra {sorted(listed - modules)}"
    )


PLUGIN_DIRS = {"inventory": ROOT / "plugins" / "inventory", "lookup": ROOT / "plugins" / "lookup"}


def plugin_names() -> List[Tuple[str, str]]:
    """``(type, name)`` of every inventory and lookup plugin."""
    found = []
    for kind, directory in PLUGIN_DIRS.items():
        if directory.is_dir():
            found.extend((kind, p.stem) for p in sorted(directory.glob("*.py")) if not p.stem.startswith("_"))
    return found


def test_readme_lists_every_plugin() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^[-*] (inventory|lookup) `convox\.convox\.([a-z_]+)`", readme, flags=re.MULTILINE))
    plugins = set(plugin_names())
    assert plugins, "no inventory or lookup plugin found"
    assert listed == plugins, (
        f"README plugin list: missing {sorted(plugins - listed)}, extra {sorted(listed - plugins)}"
    )


@pytest.mark.parametrize(("kind", "name"), plugin_names())
def test_plugin_docs(kind: str, name: str) -> None:
    """Each plugin documents itself under its own name, with version_added and YAML EXAMPLES."""
    constants = string_constants(PLUGIN_DIRS[kind] / f"{name}.py")
    doc = yaml.safe_load(constants["DOCUMENTATION"])
    assert doc["name"] == name
    assert doc.get("version_added"), f"{name}: DOCUMENTATION has no version_added"
    assert doc.get("short_description") and doc.get("description")
    examples = list(yaml.safe_load_all(constants["EXAMPLES"]))
    assert examples and all(examples), f"{name}: EXAMPLES must be YAML"
    if kind == "inventory":
        # one mapping of inventory file name to content (one document, no duplicate keys)
        (files,) = examples
        assert files and all(file_name.endswith((".convox.yml", ".convox.yaml")) for file_name in files), files
        assert all(yaml.safe_load(content).get("plugin") == f"{COLLECTION}.{name}" for content in files.values())
    else:
        assert f"'{COLLECTION}.{name}'" in constants["EXAMPLES"], f"{name}: EXAMPLES never use the lookup"
        assert "RETURN" in constants
