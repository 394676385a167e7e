# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resources: app resources (read-only) and rack resources (convox-api.md 5.8)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional

from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Resource, ResourceType
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Resource, ResourceType = "Resource", "ResourceType"


class ResourcesAccessor(Accessor):
    """``client.resources``: ``app=`` selects the app-scoped routes, otherwise rack resources."""

    def list(self, app: Optional[str] = None) -> List[Resource]:
        path = build_path("apps", app, "resources") if app else "/resources"
        return self._parse_list(Resource, self._call("GET", path))

    def get(self, name: str, *, app: Optional[str] = None) -> Resource:
        require(name, "name")
        path = build_path("apps", app, "resources", name) if app else build_path("resources", name)
        return self._parse(Resource, self._call("GET", path))

    def create(self, kind: str, *, name: Optional[str] = None, parameters: Optional[Dict[str, str]] = None) -> Resource:
        """Create a rack resource (v3: only ``webhook`` with parameter ``Url``)."""
        data = {"kind": require(kind, "kind"), "name": name, "parameters": parameters}
        return self._parse(Resource, self._call("POST", "/resources", data=data))

    def update(self, name: str, parameters: Dict[str, str]) -> Resource:
        return self._parse(
            Resource,
            self._call("PUT", build_path("resources", require(name, "name")), data={"parameters": parameters}),
        )

    def delete(self, name: str) -> None:
        self._call("DELETE", build_path("resources", require(name, "name")))

    def link(self, name: str, app: str) -> Resource:
        path = build_path("resources", require(name, "name"), "links")
        return self._parse(Resource, self._call("POST", path, data={"app": require(app, "app")}, idempotent=True))

    def unlink(self, name: str, app: str) -> Resource:
        path = build_path("resources", require(name, "name"), "links", require(app, "app"))
        return self._parse(Resource, self._call("DELETE", path))

    def types(self) -> List[ResourceType]:
        """Resource types and their parameters (``OPTIONS /resources``; needs a write role)."""
        return self._parse_list(ResourceType, self._call("OPTIONS", "/resources"))
