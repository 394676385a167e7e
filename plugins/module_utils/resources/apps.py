# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Apps: ``/apps`` (convox-api.md 5.1)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, List, Optional

from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import App
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    App = "App"


class AppsAccessor(Accessor):
    """``client.apps``"""

    def list(self) -> List[App]:
        return self._parse_list(App, self._call("GET", "/apps"))

    def get(self, name: str) -> App:
        return self._parse(App, self._call("GET", build_path("apps", require(name, "name"))))

    def create(self, name: str, *, timeout: Optional[int] = None, generation: Optional[str] = None) -> App:
        """Create an app (asynchronous: status ``updating`` until the initial apply ends)."""
        data = {"name": require(name, "name"), "timeout": timeout, "generation": generation}
        return self._parse(App, self._call("POST", "/apps", data=data))

    def update(self, name: str, *, lock: Optional[bool] = None, parameters: Optional[Dict[str, str]] = None) -> None:
        """Lock/unlock and set app parameters (``BuildCpu``, ``BuildMem``, ``BuildLabels``)."""
        data = {"lock": lock, "parameters": parameters}
        self._call("PUT", build_path("apps", require(name, "name")), data=data)

    def delete(self, name: str) -> None:
        """Delete an app (asynchronous: status ``deleting`` then not found)."""
        self._call("DELETE", build_path("apps", require(name, "name")))

    def cancel(self, name: str) -> None:
        """Cancel an in-progress promote (403/conflict unless the app is ``updating``)."""
        self._call("POST", build_path("apps", require(name, "name"), "cancel"), idempotent=True)
