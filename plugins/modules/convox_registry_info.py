#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_registry_info
short_description: List the private Docker registries of a Convox rack
version_added: 0.1.0
description:
  - Lists the private Docker registries a Convox rack pulls from (C(convox registries)).
  - Passwords are never returned, even though some racks send them in their listing.
author:
  - convox.convox contributors (!UNKNOWN)
options:
  server:
    description:
      - Return only the registry with this host name (an empty list when it is not configured).
    type: str
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
seealso:
  - module: convox.convox.convox_registry
"""

EXAMPLES = r"""
- name: List the registries of the rack
  convox.convox.convox_registry_info:
  register: result

- name: Is registry.example.com configured?
  convox.convox.convox_registry_info:
    server: registry.example.com
  register: one

- name: Show whether it is
  ansible.builtin.debug:
    msg: "{{ one.registries | length == 1 }}"
"""

RETURN = r"""
registries:
  description: The registries, ordered by server, without passwords.
  returned: always
  type: list
  elements: dict
  contains:
    server:
      description: Host name of the registry.
      type: str
      sample: registry.example.com
    username:
      description: User name the rack logs in with.
      type: str
      sample: deploy
"""

from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import registry_view


class RegistryInfo(InfoTask):
    options = {"server": {"type": "str"}}
    result_key = "registries"
    kind = "registries"
    action = "list"

    def identity(self) -> str:
        return ""

    def items(self) -> List[Dict[str, Any]]:
        server = self.params.get("server")
        registries = [registry_view(r) for r in self.client.registries.list()]
        return sorted((r for r in registries if not server or r["server"] == server), key=lambda r: r["server"])


def main() -> None:
    RegistryInfo.main()


if __name__ == "__main__":
    main()
