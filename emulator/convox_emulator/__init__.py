"""A stateful, wire-faithful stand-in for a Convox v3 rack (see docs/emulator.md).

It is written from ../shared/convox-api.md and never imports anything from plugins/.
"""

from __future__ import annotations

__all__ = ["VERSION"]

VERSION = "3.24.9"
