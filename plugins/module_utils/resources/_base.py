# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared base of the resource accessors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional, Type, TypeVar, Union

from ..errors import ConvoxInputError
from ..transport import Transport, build_path, path_segment

if TYPE_CHECKING:
    from ..client import ConvoxClient

__all__ = ["Accessor", "build_path", "path_segment", "require"]

M = TypeVar("M")


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

    # Answers become models, or records when the client was made with ``records=True`` (see
    # ``_records``). The accessors name their models (``App = "App"`` outside type checking)
    # rather than import them, so that the record path never loads pydantic.

    def _parse(self, model: Union[Type[M], str], data: Any) -> M:
        name = model if isinstance(model, str) else model.__name__
        if getattr(self._client, "records", False):
            from .._records import record

            return record(name, data)  # type: ignore[no-any-return]  # reads like M
        from .. import models

        return models.parse(getattr(models, name), data)  # type: ignore[no-any-return]

    def _parse_list(self, model: Union[Type[M], str], data: Any) -> List[M]:
        name = model if isinstance(model, str) else model.__name__
        if getattr(self._client, "records", False):
            from .._records import record_list

            return record_list(name, data)
        from .. import models

        return models.parse_list(getattr(models, name), data)
