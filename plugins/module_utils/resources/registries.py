# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private registries: ``/registries`` (convox-api.md 5.9). v3 answers carry passwords in clear."""

from __future__ import annotations

from typing import TYPE_CHECKING, List

from ._base import Accessor, path_segment, require

if TYPE_CHECKING:
    from ..models import Registry
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Registry = "Registry"


class RegistriesAccessor(Accessor):
    """``client.registries``"""

    def list(self) -> List[Registry]:
        return self._parse_list(Registry, self._call("GET", "/registries"))

    def add(self, server: str, username: str, password: str) -> Registry:
        """Add or overwrite the credentials of a registry (safe to retry)."""
        data = {"server": require(server, "server"), "username": username, "password": password}
        return self._parse(Registry, self._call("POST", "/registries", data=data, idempotent=True))

    def remove(self, server: str) -> None:
        self._call("DELETE", "/registries/" + path_segment(require(server, "server"), keep_slash=True))
