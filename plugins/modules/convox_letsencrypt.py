#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_letsencrypt
short_description: Manage the Let's Encrypt DNS-01 solver configuration of a Convox rack
version_added: 0.1.0
description:
  - Sets the configuration a Convox v3 rack uses to prove domain ownership to Let's Encrypt with DNS-01
    challenges (C(convox letsencrypt dns53 ...)). It holds an IAM role and a list of solvers, each serving
    some DNS zones through a Route 53 hosted zone.
  - The rack stores the configuration as one document; the module reads it, lays the options given over it and
    writes it back only when something differs.
author:
  - convox.convox contributors (!UNKNOWN)
options:
  role:
    description:
      - ARN of the IAM role the rack assumes to answer DNS-01 challenges.
      - When not given, the current role is kept.
    type: str
  solvers:
    description:
      - The solvers, replacing the current list. When not given, the current solvers are kept.
      - The order of the list and of each solver's zones does not matter.
    type: list
    elements: dict
    suboptions:
      id:
        description:
          - Number of the solver. Solvers without one are numbered after the highest given.
        type: int
      dns_zones:
        description:
          - DNS zones (domains) this solver answers challenges for.
        type: list
        elements: str
        required: true
      route53:
        description:
          - The Route 53 hosted zone that holds the challenge records.
        type: dict
        suboptions:
          hosted_zone_id:
            description: Id of the hosted zone.
            type: str
          region:
            description: AWS region of the hosted zone.
            type: str
          role:
            description: ARN of a role to assume for this hosted zone, if it differs from O(role).
            type: str
  state:
    description:
      - V(present) sets the configuration; V(absent) clears it (no role and no solvers).
    type: str
    choices: [present, absent]
    default: present
notes:
  - >-
    Only Convox v3 racks have this configuration; on a v2 rack the module fails and says so.
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
seealso:
  - module: convox.convox.convox_certificate
"""

EXAMPLES = r"""
- name: Answer DNS-01 challenges for example.com through Route 53
  convox.convox.convox_letsencrypt:
    role: arn:aws:iam::123456789012:role/convox-dns
    solvers:
      - id: 1
        dns_zones:
          - example.com
        route53:
          hosted_zone_id: Z0123456789ABCDEFGHIJ
          region: us-east-1

- name: Clear the configuration
  convox.convox.convox_letsencrypt:
    state: absent
"""

RETURN = r"""
letsencrypt:
  description: The configuration after the task (the predicted one in check mode).
  returned: always
  type: dict
  contains:
    role:
      description: ARN of the IAM role.
      type: str
      sample: arn:aws:iam::123456789012:role/convox-dns
    solvers:
      description: The solvers, ordered by id, each with C(id), C(dns_zones) and C(route53).
      type: list
      elements: dict
      sample:
        - id: 1
          dns_zones: [example.com]
          route53: {hosted_zone_id: Z0123456789ABCDEFGHIJ, region: us-east-1, role: null}
"""

from typing import Any, Dict, List, Optional

from ansible_collections.convox.convox.plugins.module_utils._module import upper_first
from ansible_collections.convox.convox.plugins.module_utils._tasks import DeclarativeResource, merge_desired
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

ROUTE53_KEYS = ("hosted_zone_id", "region", "role")


def _route53(value: Any) -> Optional[Dict[str, Optional[str]]]:
    """A route53 block with all three keys, or None when it says nothing."""
    if not isinstance(value, dict):
        return None
    block = {key: (str(value[key]) if value.get(key) not in (None, "") else None) for key in ROUTE53_KEYS}
    return block if any(v is not None for v in block.values()) else None


def _solver(value: Dict[str, Any], solver_id: int) -> Dict[str, Any]:
    zones = sorted({str(z).strip() for z in value.get("dns_zones") or [] if str(z).strip()})
    return {"id": solver_id, "dns_zones": zones, "route53": _route53(value.get("route53"))}


def normalize(config: Any) -> Dict[str, Any]:
    """The configuration with solvers sorted by id and zones sorted, so that equal means equal."""
    data = to_plain(config) or {}
    solvers = [_solver(s, int(s.get("id") or 0)) for s in data.get("solvers") or [] if isinstance(s, dict)]
    return {"role": str(data.get("role") or ""), "solvers": sorted(solvers, key=lambda s: s["id"])}


def desired_solvers(given: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    next_id = max([int(s["id"]) for s in given if s.get("id") is not None] + [0]) + 1
    solvers = []
    for solver in given:
        if solver.get("id") is None:
            solver_id, next_id = next_id, next_id + 1
        else:
            solver_id = int(solver["id"])
        solvers.append(_solver(solver, solver_id))
    return sorted(solvers, key=lambda s: s["id"])


class LetsEncrypt(DeclarativeResource):
    """One document that always exists: present lays the options over it, absent empties it."""

    options = {
        "role": {"type": "str"},
        "solvers": {
            "type": "list",
            "elements": "dict",
            "options": {
                "id": {"type": "int"},
                "dns_zones": {"type": "list", "elements": "str", "required": True},
                "route53": {
                    "type": "dict",
                    "options": {"hosted_zone_id": {"type": "str"}, "region": {"type": "str"}, "role": {"type": "str"}},
                },
            },
        },
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    result_key = "letsencrypt"
    kind = "the Let's Encrypt configuration"

    def identity(self) -> str:
        return ""

    def validate(self) -> None:
        params = self.params
        if params["state"] == "absent" and (params.get("role") or params.get("solvers")):
            self.cm.fail("With state=absent the configuration is cleared; leave role and solvers out.")
        ids = [s["id"] for s in params.get("solvers") or [] if s.get("id") is not None]
        if len(ids) != len(set(ids)):
            self.cm.fail("Each solver needs its own id; the same id is given twice.")
        if any(not [z for z in s["dns_zones"] if z and z.strip()] for s in params.get("solvers") or []):
            self.cm.fail("Every solver needs at least one DNS zone in dns_zones.")

    def read(self) -> Optional[Dict[str, Any]]:
        try:
            return normalize(self.cm.client.system.letsencrypt_config())
        except self.cm.not_found() as exc:
            self.cm.fail(
                f"{upper_first(self.cm.rack_label)} has no Let's Encrypt configuration API (only Convox v3 racks have "
                "one). On a v2 rack, manage certificates with convox.convox.convox_certificate instead.",
                failure={"status": getattr(exc, "status_code", None), "message": str(exc)},
            )
        return None  # pragma: no cover - fail() does not return

    def desired(self) -> Dict[str, Any]:
        """What the user set (None: keep the current value); absent: no role and no solvers."""
        if self.params["state"] == "absent":
            return {"role": "", "solvers": []}
        solvers = self.params.get("solvers")
        return {"role": self.params.get("role"), "solvers": None if solvers is None else desired_solvers(solvers)}

    def update(self, current: Dict[str, Any], desired: Dict[str, Any], differences: Any) -> Dict[str, Any]:
        config = merge_desired(current, desired)
        self.cm.client.system.letsencrypt_config_set(config)
        return config

    def _absent(self, current: Optional[Dict[str, Any]]) -> None:
        # The configuration always exists: clearing it converges it to desired() like present does.
        self._present(current)


def main() -> None:
    LetsEncrypt.main()


if __name__ == "__main__":
    main()
