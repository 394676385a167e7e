# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rack's plain forms of ids and values, for comparisons (standard library only).

The rack stores app parameters, build arguments and env values as strings and answers ids
upper-case; both sides of every comparison, in the client and in the modules, go through these.
"""

from __future__ import annotations

from typing import Any, Mapping

__all__ = ["normalize_id", "normalize_scalar"]


def normalize_id(value: Any) -> str:
    """Build and release ids: the rack accepts any case and answers upper-case."""
    if value is None:
        return ""
    return str(value).strip().upper()


def normalize_scalar(value: Any) -> Any:
    """Make values the rack stores as strings comparable with what a user writes.

    ``1``, ``"1"`` and ``1.0`` compare equal; booleans become ``"true"``/``"false"``
    (the wire form); ``None`` stays ``None``; containers are normalised recursively.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): normalize_scalar(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalize_scalar(v) for v in value]
    return str(value)
