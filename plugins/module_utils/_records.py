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
    year, month, day, hour, minute, second, fraction, zulu, sign, off_hours, off_minutes = match.groups()
    try:
        zone = datetime.timezone.utc
        if not zulu:
            offset = datetime.timedelta(hours=int(off_hours), minutes=int(off_minutes))
            zone = datetime.timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "").ljust(6, "0")[:6])  # beyond microseconds is cut, as pydantic does
        return datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo=zone
        )
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
    if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
        return dict(value)
    raise _Unusual


def _strlist(value: Any, nested: Optional[str]) -> Any:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise _Unusual


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

# per model, compiled from SHAPES on first use: the keys of its fields (either spelling), and per
# field (attribute, wire key, aliased, converter, default, default needs a copy, nested model)
_Field = Tuple[str, str, bool, Callable[[Any, Optional[str]], Any], Any, bool, Optional[str]]
_COMPILED: Dict[str, Tuple[FrozenSet[str], Tuple[_Field, ...]]] = {}


def _compiled(name: str) -> Tuple[FrozenSet[str], Tuple[_Field, ...]]:
    shape = _COMPILED.get(name)
    if shape is None:
        fields = tuple(
            (attr, wire, attr != wire, _CONVERTERS[kind], default, isinstance(default, (dict, list)), nested)
            for attr, wire, kind, default, nested in SHAPES[name]
        )
        keys = frozenset(key for field in fields for key in field[:2])
        shape = _COMPILED[name] = (keys, fields)
    return shape


def _build(name: str, data: Any) -> Record:
    if not isinstance(data, dict):
        raise _Unusual
    keys, shape = _compiled(name)
    fields: Dict[str, Any] = {}
    for attr, wire, aliased, convert, default, mutable, nested in shape:
        if wire in data:
            if aliased and attr in data:
                raise _Unusual  # both spellings of one field
            fields[attr] = convert(data[wire], nested)
        elif aliased and attr in data:
            fields[attr] = convert(data[attr], nested)
        else:
            fields[attr] = copy.copy(default) if mutable else default
    extra = {key: value for key, value in data.items() if key not in keys}
    return Record(name, fields, extra)


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
    return [record(name, item) for item in data]
