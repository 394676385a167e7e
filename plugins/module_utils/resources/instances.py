# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Instances: ``/instances`` (convox-api.md 5.9)."""

from __future__ import annotations

from typing import List, Optional

from ..models import Instance, KeyPair, parse, parse_list
from ._base import Accessor, build_path, require


class InstancesAccessor(Accessor):
    """``client.instances``"""

    def list(self) -> List[Instance]:
        return parse_list(Instance, self._call("GET", "/instances"))

    def terminate(self, id: str) -> None:
        self._call("DELETE", build_path("instances", require(id, "id")))

    def keyroll(self) -> Optional[KeyPair]:
        """New SSH key pair (v3 AWS); v2 racks answer ``ok`` and roll asynchronously (returns None)."""
        answer = self._call("POST", "/instances/keyroll", idempotent=False)
        return parse(KeyPair, answer) if isinstance(answer, dict) else None
