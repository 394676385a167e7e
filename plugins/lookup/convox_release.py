# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: convox_release
short_description: Read the active or newest release id of Convox apps
version_added: 0.2.0
description:
  - Returns the id of the active release of each app named in the terms, or of its newest
    release with O(latest=true).
  - An app that has no release yet gives an empty string; an app that does not exist fails the
    lookup, naming it.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
options:
  _terms:
    description: Names of the apps.
    type: list
    elements: str
    required: true
  latest:
    description:
      - Return the newest release (which may not be promoted yet) instead of the active one.
    type: bool
    default: false
seealso:
  - module: convox.convox.convox_release_info
  - module: convox.convox.convox_release
"""

EXAMPLES = r"""
- name: Remember the active release of api before a deploy
  ansible.builtin.set_fact:
    api_release_before: "{{ lookup('convox.convox.convox_release', 'api') }}"

- name: Promote the newest release of api when it is not the active one
  convox.convox.convox_release:
    app: api
    release: "{{ lookup('convox.convox.convox_release', 'api', latest=true) }}"
  when: lookup('convox.convox.convox_release', 'api', latest=true) != api_release_before
"""

RETURN = r"""
_raw:
  description: The release ids, one per app (an empty string for an app without a release).
  type: list
  elements: str
"""

from typing import Any, List

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase

from ansible_collections.convox.convox.plugins.module_utils import _plugins
from ansible_collections.convox.convox.plugins.module_utils.errors import ConvoxError


class LookupModule(LookupBase):
    def run(self, terms: List[Any], variables: Any = None, **kwargs: Any) -> List[Any]:
        self.set_options(var_options=variables, direct=kwargs)
        apps = [str(term) for term in terms]
        if not apps:
            return []
        latest = bool(self.get_option("latest"))
        params = _plugins.plugin_params(self.get_option)
        which = "newest" if latest else "active"

        def read(client: Any) -> List[str]:
            return [_plugins.release_id(client, app, latest=latest) for app in apps]

        try:
            return list(_plugins.with_client(params, f"read the {which} release of app {', '.join(apps)}", read))
        except ConvoxError as exc:
            raise AnsibleLookupError(f"convox_release: {exc}") from None
