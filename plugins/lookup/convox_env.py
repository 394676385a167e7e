# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: convox_env
short_description: Read environment values of a Convox app
version_added: 0.2.0
description:
  - Returns the values of one or more environment variables of a Convox app, one per term, in
    the order of the terms.
  - The environment is read from the app's active release, or from its newest release with
    O(latest=true) (the one a C(convox env set) since the last promote wrote to).
  - Environment values are often secrets. The lookup never prints them itself, but a task that
    uses them should set C(no_log=true), so that Ansible does not show them either (at C(-v) and
    above, task arguments and results are printed).
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
options:
  _terms:
    description: Names of the environment variables.
    type: list
    elements: str
    required: true
  app:
    description: Name of the app.
    type: str
    required: true
  latest:
    description:
      - Read the newest release instead of the active one.
    type: bool
    default: false
  default:
    description:
      - Value returned for a variable the app does not have.
      - When not set, a missing variable fails the lookup, naming the variable.
    type: raw
seealso:
  - module: convox.convox.convox_env_info
  - module: convox.convox.convox_env
"""

EXAMPLES = r"""
- name: Give worker the error-reporting DSN of api
  convox.convox.convox_env:
    app: worker
    env:
      SENTRY_DSN: "{{ lookup('convox.convox.convox_env', 'SENTRY_DSN', app='api') }}"
  no_log: true

- name: Two values of the newest release, with a default for a missing one
  ansible.builtin.set_fact:
    api_settings: >-
      {{ query('convox.convox.convox_env', 'LOG_LEVEL', 'FEATURE_FLAGS',
               app='api', latest=true, default='') }}
  no_log: true
"""

RETURN = r"""
_raw:
  description: The values, one per term (O(default) for a missing variable).
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
        app = self.get_option("app")
        if not app:
            raise AnsibleLookupError("convox_env: option app is required")
        keys = [str(term) for term in terms]
        if not keys:
            return []
        latest = bool(self.get_option("latest"))
        params = _plugins.plugin_params(self.get_option)

        def read(client: Any) -> List[Any]:
            return _plugins.env_values(
                client, app, keys, latest=latest, default=self.get_option("default"), has_default="default" in kwargs
            )

        try:
            return list(_plugins.with_client(params, f"read the environment of app {app}", read))
        except ConvoxError as exc:
            raise AnsibleLookupError(f"convox_env: {exc}") from None
