# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records: the models' answers without pydantic, for short-lived callers such as modules.

A record carries the attributes its model would have (same names, defaults, ``None`` lists read
as empty, Go times parsed, unknown keys kept) and the same ``to_result()``; it is built with the
standard library only. Importing pydantic and building the schemas costs a module task tens of
milliseconds (docs/architecture.md, "Answers"), more than the request it sends. The field shapes
come from the models (``_shapes``, written by ``tools/gen_shapes.py`` and checked by the unit
tests), so the models stay the one definition of every shape.

``record()`` always answers with a record. An answer a record cannot take as is (a value of
another JSON type than the field's, a time layout Go does not write, both spellings of one key)
is validated by the model first, which coerces it or raises ``ConvoxError`` exactly as
``models.parse`` does; the validated model is then turned into a record. Only such an answer
imports pydantic.

``ConvoxClient(records=True)`` makes the accessors answer with these.
"""

from __future__ import annotations

import copy
import datetime
import re
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from ._convert import ZERO_TIME_PREFIX, to_result
from ._shapes import SHAPES
from .errors import ConvoxError

__all__ = ["Record", "record", "record_list"]

# RFC 3339 as Go's time.Time marshals it (fractions of up to 9 digits, Z or a numeric offset)
_GO_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d\d):(\d\d))\Z")


class _Unusual(Exception):
    """An answer this file leaves to the model."""


class Record:
    """The attributes and ``to_result()`` of one model instance (``record_type`` names it)."""

    # private names are mangled (``_Record__fields``) so that no key of an answer can hide them
    __slots__ = ("__extra", "__fields", "record_type")

    def __init__(self, record_type: str, fields: Dict[str, Any], extra: Dict[str, Any]) -> None:
        object.__setattr__(self, "record_type", record_type)
        object.__setattr__(self, "_Record__fields", fields)
        object.__setattr__(self, "_Record__extra", extra)

    def __getattr__(self, name: str) -> Any:
        # called only for names that are not slots or methods
        state = object.__getattribute__
        for values in (state(self, "_Record__fields"), state(self, "_Record__extra")):
            if name in values:
                return values[name]
        raise AttributeError(f"{object.__getattribute__(self, 'record_type')} record has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        # models are mutable; so are records (unknown names land with the unknown keys, as in a model)
        (self.__fields if name in self.__fields else self.__extra)[name] = value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Record):
            return NotImplemented
        return (self.record_type, self.__fields, self.__extra) == (other.record_type, other.__fields, other.__extra)

    __hash__ = None  # type: ignore[assignment]  # mutable, like the models

    def __repr__(self) -> str:
        # identifiers only: a release's env or a token must not reach a log through a repr
        ident = self.__fields.get("id") or self.__fields.get("name") or ""
        return f"<{self.record_type} record {ident}>".replace(" >", ">")

    def to_result(self) -> Dict[str, Any]:
        """Plain JSON-ready dict with snake_case keys, as the model's ``to_result()``."""
        result = {name: to_result(value) for name, value in self.__fields.items()}
        for key, value in self.__extra.items():
            result.setdefault(key.replace("-", "_"), to_result(value))
        return result


def _go_time(value: Any, nested: Optional[str] = None) -> Optional[datetime.datetime]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Unusual
    if value.startswith(ZERO_TIME_PREFIX):
        return None
    match = _GO_TIME.match(value)
    if match is None:
        raise _Unusual
    fraction, zulu, sign, off_hours, off_minutes = match.group(7, 8, 9, 10, 11)
    # the layout datetime.fromisoformat reads on every Python (3.7+): ten times faster than
    # building the datetime from its parts; beyond microseconds is cut, as pydantic does
    text = value[:19]
    if fraction:
        text += "." + (fraction + "00000")[:6]
    text += "+00:00" if zulu else f"{sign}{off_hours}:{off_minutes}"
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:  # no such day, an offset of a day or more
        raise _Unusual from None


# One converter per field kind of ``_shapes``: the value as the model would hold it, or _Unusual.
# ``nested`` names the nested model of "model" and "models" fields.


def _str(value: Any, nested: Optional[str]) -> Any:
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    raise _Unusual


def _opt_str(value: Any, nested: Optional[str]) -> Any:
    if value is None or isinstance(value, str):
        return value
    raise _Unusual


def _bool(value: Any, nested: Optional[str]) -> Any:
    if isinstance(value, bool):
        return value
    raise _Unusual


def _opt_bool(value: Any, nested: Optional[str]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise _Unusual


def _int(value: Any, nested: Optional[str]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise _Unusual


def _opt_int(value: Any, nested: Optional[str]) -> Any:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _Unusual


def _float(value: Any, nested: Optional[str]) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    raise _Unusual


def _strmap(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Unusual
    for item in value.values():  # a plain loop: about twice as fast as all() over a generator
        if not isinstance(item, str):
            raise _Unusual
    return dict(value)


def _strlist(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _Unusual
    for item in value:
        if not isinstance(item, str):
            raise _Unusual
    return list(value)


def _opt_dict(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return None
    if isinstance(value, dict):
        return dict(value)
    raise _Unusual


def _opt_list(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return list(value)
    raise _Unusual


def _model(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return None
    return _build(nested or "", value)


def _models(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return []
    if isinstance(value, list):
        return [_build(nested or "", item) for item in value]
    raise _Unusual


_CONVERTERS: Dict[str, Callable[[Any, Optional[str]], Any]] = {
    "str": _str,
    "opt_str": _opt_str,
    "bool": _bool,
    "opt_bool": _opt_bool,
    "int": _int,
    "opt_int": _opt_int,
    "float": _float,
    "time": _go_time,
    "strmap": _strmap,
    "strlist": _strlist,
    "opt_dict": _opt_dict,
    "opt_list": _opt_list,
    "model": _model,
    "models": _models,
}

# The type of the values each field kind keeps as they are (the common case, checked with one
# exact-type test, ``value.__class__ is``, before any converter is called); the others always go
# to the converter.
_KEEP: Dict[str, type] = {"str": str, "opt_str": str, "bool": bool, "opt_bool": bool, "int": int, "opt_int": int}

_MISSING = object()

# per model, compiled from SHAPES on first use (``_Compiled``)
_Field = Tuple[str, str, bool, Callable[[Any, Optional[str]], Any], Any, bool, Optional[str], Optional[type]]
_Plain = Tuple[str, str, Any, type, Callable[[Any, Optional[str]], Any]]
_Renamed = Tuple[str, str, Any, Optional[type], Callable[[Any, Optional[str]], Any], Optional[str]]


class _Compiled:
    """One model's fields, split for speed.

    ``plain``: fields with one spelling, an immutable default and a type kept as it is (most
    fields), as (attribute, wire key, default, type kept, converter); the converter is called
    only for a value of another type and gives the default back for it (``None`` of an optional
    field). ``rest``: every other field, as (attribute, wire key, aliased, converter, default,
    default needs a copy, nested model, type kept). ``keys``: every key of a field (either
    spelling). ``order``: the attributes in the model's order, when plain-then-rest is not it.
    ``plain`` and ``rest`` make the per-field loop; the fast paths: ``defaults`` and ``checks``
    (one spelling per field), or ``renamed`` (every field, as (attribute, wire key, default, type
    kept, converter, nested model)) and ``spellings`` (the attribute spellings that send an
    answer to the loop) for a model with other wire keys.
    """

    __slots__ = ("checks", "defaults", "keys", "order", "plain", "renamed", "rest", "spellings")

    def __init__(self, name: str, fast: bool = True) -> None:
        plain: List[_Plain] = []
        rest: List[_Field] = []
        for attr, wire, kind, default, nested in SHAPES[name]:
            convert, keep = _CONVERTERS[kind], _KEEP.get(kind)
            mutable = isinstance(default, (dict, list))
            if (
                attr == wire
                and keep is not None
                and nested is None
                and (default.__class__ is keep or (default is None and convert(None, None) is None))
            ):
                plain.append((attr, wire, default, keep, convert))
            else:
                rest.append((attr, wire, attr != wire, convert, default, mutable, nested, keep))
        self.plain = tuple(plain)
        self.rest = tuple(rest)
        self.keys = frozenset(key for attr, wire, *_more in SHAPES[name] for key in (attr, wire))
        order = tuple(field[0] for field in SHAPES[name])
        self.order = None if order == tuple(field[0] for field in plain + rest) else order
        # The fast paths, for a model whose converters give every default back as it is (equal, and
        # a copy of a mutable one). ``fast=False`` leaves every model to the per-field loop above
        # (the reference the unit tests compare the fast paths with).
        self.defaults: Optional[Dict[str, Any]] = None
        self.checks: Tuple[Tuple[str, Optional[type], Callable[[Any, Optional[str]], Any], Optional[str]], ...] = ()
        self.renamed: Tuple[_Renamed, ...] = ()
        self.spellings: FrozenSet[str] = frozenset()
        wires = {wire for _attr, wire, *_more in SHAPES[name]}
        defaults: Dict[str, Any] = {}
        for attr, wire, kind, default, nested in SHAPES[name]:
            convert, keep = _CONVERTERS[kind], _KEEP.get(kind)
            try:
                back = default if default.__class__ is keep else convert(default, nested)
            except _Unusual:
                back = _MISSING
            if not fast or back != default or (isinstance(default, (dict, list)) and back is default):
                return
            if attr != wire and attr in wires:  # a spelling that is another field's key: the loop
                return
            defaults[attr] = default
        if all(attr == wire for attr, wire, *_more in SHAPES[name]):
            # One spelling per field: built from ``{**defaults, **answer}``: the copy, the defaults
            # of missing keys and the model's order come from one merge in C; then one type test
            # per field (``checks``: attribute, type kept, converter, nested model).
            self.defaults = defaults
            self.checks = tuple(
                (attr, _KEEP.get(kind), _CONVERTERS[kind], nested)
                for attr, _wire, kind, _default, nested in SHAPES[name]
            )
        else:
            # Wire keys in kebab-case (``git-sha``): while the answer uses the wire keys only (the
            # other spelling, which the models also accept, goes to the loop), one comprehension
            # reads every field by its wire key, in the model's order, with one lookup and one
            # exact-type test; the converter (which copies maps and lists) only for other types.
            self.renamed = tuple(
                (attr, wire, default, _KEEP.get(kind), _CONVERTERS[kind], nested)
                for attr, wire, kind, default, nested in SHAPES[name]
            )
            self.spellings = frozenset(attr for attr, wire, *_more in SHAPES[name] if attr != wire)


_COMPILED: Dict[str, _Compiled] = {}


def _compiled(name: str) -> _Compiled:
    shape = _COMPILED.get(name)
    if shape is None:
        shape = _COMPILED[name] = _Compiled(name)
    return shape


_new = object.__new__
_set_type = Record.record_type.__set__  # type: ignore[attr-defined]  # the slots' descriptors
_set_fields = Record._Record__fields.__set__  # type: ignore[attr-defined]
_set_extra = Record._Record__extra.__set__  # type: ignore[attr-defined]


def _build(name: str, data: Any, shape: Optional[_Compiled] = None) -> Record:
    if not isinstance(data, dict):
        raise _Unusual
    if shape is None:
        shape = _compiled(name)
    defaults = shape.defaults
    if defaults is not None:
        merged = {**defaults, **data}
        extra: Dict[str, Any] = {}
        if len(merged) != len(defaults):  # keys the model does not know, in the answer's order
            keys = shape.keys
            extra = {key: merged.pop(key) for key in list(merged) if key not in keys}
        for attr, keep, convert, nested in shape.checks:
            value = merged[attr]
            if value.__class__ is not keep:  # bool is no int for the models: True stays out of an int field
                merged[attr] = convert(value, nested)
        return _record(name, merged, extra)
    get = data.get
    fields: Dict[str, Any]
    if shape.renamed and shape.spellings.isdisjoint(data):  # kebab-case keys, the wire spelling only
        # a default comes back as is (immutable) or through its converter (a copy of a list or map)
        fields = {
            attr: value if (value := get(wire, default)).__class__ is keep else convert(value, nested)
            for attr, wire, default, keep, convert, nested in shape.renamed
        }
        keys = shape.keys
        extra = {} if keys.issuperset(data) else {key: value for key, value in data.items() if key not in keys}
        return _record(name, fields, extra)
    # the per-field loop (every model with ``fast=False``)
    # the usual value has the field's type and is kept as it is: one lookup and one type test
    fields = {
        attr: value if (value := get(wire, default)).__class__ is keep else convert(value, None)
        for attr, wire, default, keep, convert in shape.plain
    }
    for attr, wire, aliased, convert, default, mutable, nested, keep in shape.rest:
        value = get(wire, _MISSING)
        if value is _MISSING:
            if aliased and attr in data:
                fields[attr] = convert(data[attr], nested)
            else:
                fields[attr] = copy.copy(default) if mutable else default
            continue
        if aliased and attr in data:
            raise _Unusual  # both spellings of one field
        # bool is no int for the models: the exact type test keeps True out of an int field
        fields[attr] = value if value.__class__ is keep else convert(value, nested)
    if shape.order is not None:
        fields = {attr: fields[attr] for attr in shape.order}
    keys = shape.keys
    extra = {} if keys.issuperset(data) else {key: value for key, value in data.items() if key not in keys}
    return _record(name, fields, extra)


def _record(name: str, fields: Dict[str, Any], extra: Dict[str, Any]) -> Record:
    """What ``Record()`` does, through the slots' descriptors (half the cost of object.__setattr__)."""
    built = _new(Record)
    _set_type(built, name)
    _set_fields(built, fields)
    _set_extra(built, extra)
    return built


def _from_model(name: str, model: Any) -> Record:
    """The record of a validated model (an unusual answer, after the model has read it)."""
    fields: Dict[str, Any] = {}
    for attr, _wire, kind, _default, nested in SHAPES[name]:
        value = getattr(model, attr)
        if kind == "model" and value is not None:
            value = _from_model(nested or "", value)
        elif kind == "models":
            value = [_from_model(nested or "", item) for item in value]
        fields[attr] = value
    return Record(name, fields, dict(model.__pydantic_extra__ or {}))


def record(name: str, data: Any) -> Any:
    """The record of model ``name`` from one JSON object; always a ``Record``.

    An unusual answer is validated by the model (``ConvoxError`` when it does not fit, as with
    ``models.parse``) and the model is then turned into a record.
    """
    if name not in SHAPES:
        raise KeyError(f"no model named {name}")
    if not isinstance(data, dict):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON object for {name}")
    try:
        return _build(name, data)
    except _Unusual:
        pass
    from . import models  # only here: the model and pydantic load for an unusual answer only

    return _from_model(name, models.parse(getattr(models, name), data))


def record_list(name: str, data: Any) -> List[Any]:
    """Records from a JSON list (``null`` reads as empty); always ``Record`` items."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON list of {name}")
    if name not in SHAPES:
        raise KeyError(f"no model named {name}")
    records: List[Any] = []
    append = records.append
    shape = _compiled(name)
    for item in data:
        try:  # the usual answer: built here, without record()'s checks for every item
            append(_build(name, item, shape))
        except _Unusual:
            append(record(name, item))
    return records
