# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of the resource accessors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from ..errors import ConvoxInputError
from ..transport import Transport, build_path, path_segment

if TYPE_CHECKING:
    from ..client import ConvoxClient

__all__ = ["Accessor", "build_path", "path_segment", "require"]


def require(value: Optional[str], field: str) -> str:
    """Reject an empty identifier before anything is sent."""
    if value is None or not str(value).strip():
        raise ConvoxInputError(f"{field} is required", field=field)
    return str(value)


class Accessor:
    """Base class: holds the client and sends through its transport."""

    def __init__(self, client: ConvoxClient) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self._client!r}>"

    @property
    def _transport(self) -> Transport:
        return self._client.transport

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._transport.call(method, path, **kwargs)
