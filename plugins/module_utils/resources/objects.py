# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Objects (blobs such as source tarballs): ``/apps/{app}/objects`` (convox-api.md 5.2)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, List, Optional

from ..errors import ConvoxError
from ._base import Accessor, build_path, path_segment, require

if TYPE_CHECKING:
    from ..models import ObjectRef
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    ObjectRef = "ObjectRef"


class ObjectsAccessor(Accessor):
    """``client.objects``"""

    def _path(self, app: str, key: str) -> str:
        return build_path("apps", require(app, "app"), "objects") + "/" + path_segment(key, keep_slash=True)

    def store(self, app: str, key: str, data: bytes, *, public: bool = False) -> str:
        """Store ``data`` under ``key`` (``""`` lets the rack pick ``tmp/<hex>``); returns the ``Url``."""
        headers = {"Public": True} if public else None
        answer = self._call("POST", self._path(app, key), content=bytes(data), headers=headers, idempotent=bool(key))
        return self._parse(ObjectRef, answer).url

    def fetch(self, app: str, key: str) -> bytes:
        return self._transport.request("GET", self._path(app, require(key, "key"))).content

    def delete(self, app: str, key: str) -> None:
        self._call("DELETE", self._path(app, require(key, "key")))

    def list(self, app: str, *, prefix: Optional[str] = None) -> List[str]:
        answer: Any = self._call("GET", build_path("apps", require(app, "app"), "objects"), params={"prefix": prefix})
        if answer is None:
            return []
        if not isinstance(answer, list):
            raise ConvoxError("unexpected answer from the rack: expected a list of object keys")
        return [str(item) for item in answer]
