# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Conversions shared by the models, the records and the modules (standard library only).

``models``, the model classes (``_models_*``) and the records (``_records``) all import this
file and it imports none of them, so the answer files form no import cycle. It holds the
field pre-validators of the models (``none_list``, ``none_dict``, ``none_str``,
``go_zero_time``), the one time formatter of the client (``format_time``) and ``to_result``
(models, records and dataclasses as plain JSON-ready data).
"""

import datetime
from typing import Any, Dict

__all__ = [
    "ZERO_TIME_PREFIX",
    "format_time",
    "go_zero_time",
    "model_result",
    "none_dict",
    "none_list",
    "none_str",
    "to_result",
]

# Go's zero time.Time, as a rack marshals it (a build that has not ended yet)
ZERO_TIME_PREFIX = "0001-01-01T00:00:00"


def none_list(value: Any) -> Any:
    """``null`` reads as an empty list."""
    return [] if value is None else value


def none_dict(value: Any) -> Any:
    """``null`` reads as an empty map."""
    return {} if value is None else value


def none_str(value: Any) -> Any:
    """``null`` reads as an empty string."""
    return "" if value is None else value


def go_zero_time(value: Any) -> Any:
    """``null``, ``""`` and Go's zero time read as None; anything else is left to the parser."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.startswith(ZERO_TIME_PREFIX):
        return None
    return value


def format_time(value: datetime.datetime) -> str:
    """RFC 3339 text of a time for results: UTC with ``Z`` when the time has a zone.

    ``2024-05-01T12:00:00.123456Z``; a naive time is written as it is, without a zone.
    """
    if value.tzinfo is not None:
        value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value.isoformat() + "Z"
    return value.isoformat()


_SCALARS = frozenset((str, int, float, bool, type(None)))


def to_result(value: Any) -> Any:
    """Plain JSON-ready data from models, records, dataclasses, times, lists and maps."""
    kind = type(value)
    if kind in _SCALARS:  # most values: checked first, and cheaply
        return value
    if kind is list or kind is tuple:
        return [to_result(item) for item in value]
    if kind is dict:
        return {str(key): to_result(item) for key, item in value.items()}
    # models, records (``_records``), RunResult and EnvPlan all shape themselves
    if callable(getattr(kind, "to_result", None)):
        return value.to_result()
    if hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        # dataclasses (and its inspect import, ~7 ms) only for a dataclass: a module task rarely has one
        import dataclasses

        return {field.name: to_result(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, datetime.datetime):
        return format_time(value)
    if isinstance(value, (list, tuple)):
        return [to_result(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_result(item) for key, item in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def model_result(model: Any) -> Dict[str, Any]:
    """``to_result()`` of a pydantic model: its fields, then its unknown keys in snake_case."""
    result: Dict[str, Any] = {}
    for name in type(model).model_fields:
        result[name] = to_result(getattr(model, name))
    extra = model.__pydantic_extra__ or {}
    for key, value in extra.items():
        result.setdefault(key.replace("-", "_"), to_result(value))
    return result
