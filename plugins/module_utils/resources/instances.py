# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances: ``/instances`` (convox-api.md 5.9)."""

from __future__ import annotations

from typing import TYPE_CHECKING, List, Optional

from ._base import Accessor, build_path, require

if TYPE_CHECKING:
    from ..models import Instance, KeyPair
else:  # named, not imported: the client answers with a model or a record (Accessor._parse)
    Instance, KeyPair = "Instance", "KeyPair"


class InstancesAccessor(Accessor):
    """``client.instances``"""

    def list(self) -> List[Instance]:
        return self._parse_list(Instance, self._call("GET", "/instances"))

    def terminate(self, id: str) -> None:
        self._call("DELETE", build_path("instances", require(id, "id")))

    def keyroll(self) -> Optional[KeyPair]:
        """New SSH key pair (v3 AWS); v2 racks answer ``ok`` and roll asynchronously (returns None)."""
        answer = self._call("POST", "/instances/keyroll", idempotent=False)
        return self._parse(KeyPair, answer) if isinstance(answer, dict) else None
