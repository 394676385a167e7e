# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: convox_resource
short_description: Read the URL or another field of a Convox resource
version_added: 0.2.0
description:
  - Returns the URL (or another field) of each resource named in the terms, a rack resource or,
    with O(app), a resource of that app (from its C(convox.yml)).
  - Resource URLs usually hold credentials. The lookup never prints them itself, but a task that
    uses them should set C(no_log=true).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
options:
  _terms:
    description: Names of the resources.
    type: list
    elements: str
    required: true
  app:
    description:
      - Read the resources of this app; without it, the rack's resources.
    type: str
  field:
    description:
      - What to return, V(url), V(status), V(type), V(name), or the name of one of the resource's
        parameters.
      - A resource without that field fails the lookup, listing the fields it has.
    type: str
    default: url
seealso:
  - module: convox.convox.convox_resource_info
"""

EXAMPLES = r"""
- name: Give a second app the URL of the first app's database
  convox.convox.convox_env:
    app: reports
    env:
      DATABASE_URL: "{{ lookup('convox.convox.convox_resource', 'database', app='api') }}"
  no_log: true

- name: The status of a rack resource
  ansible.builtin.debug:
    msg: "{{ lookup('convox.convox.convox_resource', 'deploy-hook', field='status') }}"
"""

RETURN = r"""
_raw:
  description: The value of O(field) of each resource, one per term.
  type: list
  elements: raw
"""

from typing import Any, List

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.convox.convox.plugins.module_utils import _plugins
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError


class LookupModule(LookupBase):
    def run(self, terms: List[Any], variables: Any = None, **kwargs: Any) -> List[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        names = [str(term) for term in terms]
        if not names:
            return []
        app = self.get_option("app") or None
        field = self.get_option("field") or "url"
        params = _plugins.plugin_params(self.get_option)
        where = f"the resources of app {app}" if app else "the rack's resources"

        def read(client: Any) -> List[Any]:
            return [_plugins.resource_value(client, name, app=app, field=field) for name in names]

        try:
            return list(_plugins.with_client(params, f"read {field} of {', '.join(names)} among {where}", read))
        except ConvoxError as exc:
            raise AnsibleLookupError(f"convox_resource: {exc}") from None
