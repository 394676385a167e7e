# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write plugins/module_utils/_shapes.py, the field table of the records, from the models.

Run it after changing a model: ``make shapes`` or ``.venv/bin/python tools/gen_shapes.py``
(``--check`` only compares and exits 1 when the file is stale). The models are read from this
checkout's plugins/module_utils (loaded as a package of their own, so an installed copy of the
collection is never used). tests/unit/plugins/module_utils/test_records.py fails while the
committed file differs from ``render_shapes()``; it never writes the file.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import sys
import types
import typing

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULE_UTILS = os.path.join(REPO_ROOT, "plugins", "module_utils")
SHAPES_PATH = os.path.join(MODULE_UTILS, "_shapes.py")
PACKAGE = "_convox_gen_shapes_module_utils"

HEADER = [
    "# Copyright (c) convox.convox contributors",
    "# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)",
    '"""The field shapes of every model, for the records of ``_records``.',
    "",
    "GENERATED from the models by tools/gen_shapes.py (``make shapes``): do not edit, rerun it after",
    "changing a model; tests/unit/plugins/module_utils/test_records.py fails while this file is stale.",
    "Each field: (attribute, wire key, kind, default, nested model or None).",
    '"""',
    "",
    "from typing import Any, Dict, Optional, Tuple",
    "",
    "SHAPES: Dict[str, Tuple[Tuple[str, str, str, Any, Optional[str]], ...]] = {",
]


def load_models() -> types.ModuleType:
    """``models`` of this checkout, imported as ``<PACKAGE>.models``."""
    if PACKAGE not in sys.modules:
        package = types.ModuleType(PACKAGE)
        package.__path__ = [MODULE_UTILS]
        sys.modules[PACKAGE] = package
    return importlib.import_module(PACKAGE + ".models")


def _validators(info: typing.Any) -> typing.Tuple[str, ...]:
    """Names of a field's pre-validators, ``_convert.none_str`` and the like."""
    names = []
    for item in info.metadata:
        func = getattr(item, "func", None)
        module = getattr(func, "__module__", "") or ""
        names.append(f"{module.rsplit('.', 1)[-1]}.{getattr(func, '__name__', type(item).__name__)}")
    return tuple(names)


def _is_model(annotation: typing.Any) -> bool:
    return isinstance(annotation, type) and any(base.__name__ == "ConvoxModel" for base in annotation.__mro__)


def field_kind(info: typing.Any) -> typing.Tuple[str, typing.Optional[str]]:
    """(kind, nested model name) of one pydantic field, or ValueError for a type records lack."""
    annotation = info.annotation
    validators = _validators(info)
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    simple = {str: "str", bool: "bool", int: "int", float: "float"}
    if annotation in simple:
        kind = simple[annotation]
        if kind == "str" and validators != ("_convert.none_str",):
            raise ValueError(f"str field without _convert.none_str: {info}")
        if kind != "str" and validators:
            raise ValueError(f"no record kind for {annotation!r} {validators}")
        return kind, None
    if origin is typing.Union and len(args) == 2 and type(None) in args:
        inner = args[0] if args[1] is type(None) else args[1]
        if inner is datetime.datetime and validators == ("_convert.go_zero_time",):
            return "time", None
        if not validators:
            if inner in (bool, int, str):
                return "opt_" + simple[inner], None
            if _is_model(inner):
                return "model", inner.__name__
            inner_origin = typing.get_origin(inner)
            if inner_origin is dict and typing.get_args(inner) == (str, typing.Any):
                return "opt_dict", None
            if inner_origin is list and typing.get_args(inner) == (typing.Any,):
                return "opt_list", None
    if origin is dict and args == (str, str) and validators == ("_convert.none_dict",):
        return "strmap", None
    if origin is list and validators == ("_convert.none_list",):
        if args == (str,):
            return "strlist", None
        if _is_model(args[0]):
            return "models", args[0].__name__
    raise ValueError(f"no record kind for {annotation!r} {validators}")


def _literal(value: typing.Any) -> str:
    """Python source of a value, with double quotes (ruff's format, so the file stays formatted)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def shapes(
    models: typing.Optional[types.ModuleType] = None,
) -> typing.Dict[str, typing.List[typing.Tuple[typing.Any, ...]]]:
    """Model name -> fields (attribute, wire key, kind, default, nested model), from the models."""
    if models is None:
        models = load_models()
    table = {}
    names = sorted(name for name, group in models.LAZY_MODELS.items() if group != "_models_base")
    for name in names:
        rows = []
        for attr, info in getattr(models, name).model_fields.items():
            kind, nested = field_kind(info)
            default = info.default_factory() if info.default_factory is not None else info.default
            rows.append((attr, info.alias or attr, kind, default, nested))
        wires = [row[1] for row in rows]
        for attr, wire, *_rest in rows:
            if attr != wire and attr in wires:  # records read either spelling of a field
                raise ValueError(f"{name}.{attr}: the attribute is another field's wire key")
        table[name] = rows
    return table


def render_shapes(models: typing.Optional[types.ModuleType] = None) -> str:
    """The text of ``_shapes.py``."""
    lines = list(HEADER)
    for name, fields in shapes(models).items():
        rows = ["(" + ", ".join(_literal(item) for item in field) + ")" for field in fields]
        if len(rows) == 1:  # ruff's format keeps a one-element tuple on one line
            lines.append(f"    {_literal(name)}: ({rows[0]},),")
            continue
        lines.append(f"    {_literal(name)}: (")
        lines.extend(f"        {row}," for row in rows)
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: typing.Optional[typing.List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the file is stale")
    args = parser.parse_args(argv)
    text = render_shapes()
    try:
        with open(SHAPES_PATH, encoding="utf-8") as handle:
            current = handle.read()
    except FileNotFoundError:
        current = ""
    if current == text:
        sys.stdout.write(f"{os.path.relpath(SHAPES_PATH, REPO_ROOT)} is current\n")
        return 0
    if args.check:
        sys.stderr.write(f"{os.path.relpath(SHAPES_PATH, REPO_ROOT)} is stale: run make shapes\n")
        return 1
    with open(SHAPES_PATH, "w", encoding="utf-8") as handle:
        handle.write(text)
    sys.stdout.write(f"wrote {os.path.relpath(SHAPES_PATH, REPO_ROOT)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
