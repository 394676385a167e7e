# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Convox console's own calls (convox-api.md 2.4): ``GET /racks``.

Console-level calls are sent without the ``Rack`` routing header, whatever rack the client was
made for. The console answers with Go field names (``Name``, ``Organization``); ``racks()``
turns them into plain dicts with snake_case keys and the full ``<org>/<rack>`` name that the
``Rack`` header (and the ``rack`` option) takes.
"""

from __future__ import annotations

from typing import Any, Dict, List

from ..errors import ConvoxError
from ._base import Accessor


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def console_rack(item: Any) -> Dict[str, str]:
    """One entry of ``GET /racks`` as ``{name, organization, rack, provider, status, version, role}``."""
    if not isinstance(item, dict):
        raise ConvoxError(f"the console listed a rack as {type(item).__name__}, not an object")
    short = _text(item.get("Name") or item.get("name"))
    org_value = item.get("Organization") or item.get("organization") or {}
    org = _text(org_value.get("Name") or org_value.get("name")) if isinstance(org_value, dict) else _text(org_value)
    if not short:
        raise ConvoxError("the console listed a rack without a name")
    return {
        "name": f"{org}/{short}" if org and "/" not in short else short,
        "organization": org,
        "rack": short,
        "provider": _text(item.get("Provider") or item.get("provider")),
        "status": _text(item.get("Status") or item.get("status")),
        "version": _text(item.get("Version") or item.get("version")),
        "role": _text(item.get("Role") or item.get("role")),
    }


class ConsoleAccessor(Accessor):
    """``client.console``: calls to the console itself (no ``Rack`` header)."""

    def racks(self) -> List[Dict[str, str]]:
        """The racks the console lists for these credentials, sorted by full name."""
        answer = self._call("GET", "/racks", rack_header=False)
        if not isinstance(answer, list):
            raise ConvoxError("the host did not answer GET /racks with a list: is it a Convox console?")
        return sorted((console_rack(item) for item in answer), key=lambda rack: rack["name"])
