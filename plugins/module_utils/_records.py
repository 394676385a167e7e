# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Records: the models' answers without pydantic, for short-lived callers such as modules.

A record carries the attributes its model would have (same names, defaults, ``None`` lists read
as empty, Go times parsed, unknown keys kept) and the same ``to_result()``; it is built with the
standard library only. Importing pydantic and building a model's schema costs a module task
about a quarter of a second, more than the request it sends. The field shapes come from the
models (``_shapes``, generated and checked by the unit tests), so the models stay the one
definition of every shape.

An answer a record cannot take as is (a value of another JSON type than the field's, a time
layout Go does not write, both spellings of one key) goes to the model itself, which validates
it, coerces it or raises ``ConvoxError`` exactly as ``models.parse`` does. Callers therefore get
a record or a model; both read alike.

``ConvoxClient(records=True)`` makes the accessors answer with these.
"""

from __future__ import annotations

import copy
import datetime
import re
from typing import Any, Dict, List, Optional

from . import models
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
        result = {name: models.to_result(value) for name, value in self.__fields.items()}
        for key, value in self.__extra.items():
            result.setdefault(key.replace("-", "_"), models.to_result(value))
        return result


def _go_time(value: Any) -> Optional[datetime.datetime]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise _Unusual
    if value.startswith(models.ZERO_TIME_PREFIX):
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _convert(kind: str, nested: Optional[str], value: Any) -> Any:
    if kind.startswith("opt_") and value is None:
        return None
    if kind in ("str", "opt_str"):
        if value is None:
            return ""
        if isinstance(value, str):
            return value
    elif kind in ("bool", "opt_bool"):
        if isinstance(value, bool):
            return value
    elif kind in ("int", "opt_int"):
        if _is_int(value):
            return value
    elif kind == "float":
        if _is_int(value) or isinstance(value, float):
            return float(value)
    elif kind == "time":
        return _go_time(value)
    elif kind == "strmap":
        if value is None:
            return {}
        if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
            return dict(value)
    elif kind == "strlist":
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return list(value)
    elif kind == "opt_dict":
        if isinstance(value, dict):
            return dict(value)
    elif kind == "opt_list":
        if isinstance(value, list):
            return list(value)
    elif kind == "model" and nested is not None:
        if value is None:
            return None
        return _build(nested, value)
    elif kind == "models" and nested is not None:
        if value is None:
            return []
        if isinstance(value, list):
            return [_build(nested, item) for item in value]
    raise _Unusual


def _build(name: str, data: Any) -> Record:
    if not isinstance(data, dict):
        raise _Unusual
    fields: Dict[str, Any] = {}
    used = set()
    for attr, wire, kind, default, nested in SHAPES[name]:
        if wire in data:
            if attr != wire and attr in data:
                raise _Unusual  # both spellings of one field
            used.add(wire)
            fields[attr] = _convert(kind, nested, data[wire])
        elif attr in data:
            used.add(attr)
            fields[attr] = _convert(kind, nested, data[attr])
        else:
            fields[attr] = copy.copy(default)
    extra = {key: value for key, value in data.items() if key not in used}
    return Record(name, fields, extra)


def record(name: str, data: Any) -> Any:
    """A record of model ``name`` from one JSON object (or the model, for an unusual answer)."""
    if name not in SHAPES:
        raise KeyError(f"no model named {name}")
    if not isinstance(data, dict):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON object for {name}")
    try:
        return _build(name, data)
    except _Unusual:
        return models.parse(getattr(models, name), data)


def record_list(name: str, data: Any) -> List[Any]:
    """Records from a JSON list (``null`` reads as empty)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConvoxError(f"unexpected answer from the rack: expected a JSON list of {name}")
    return [record(name, item) for item in data]
