#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_rack_token
short_description: Mint a rack API token (JWT), or rotate the rack's token signing key
version_added: 0.1.0
description:
  - Mints a JSON Web Token for the rack API with a O(role) and a lifetime of
    O(duration_hours) (C(POST /system/jwt/token)). The token is used as the password with
    the user name C(jwt) - in this collection's modules, O(host=https://jwt@api.myrack.example.com)
    with the token as O(password), and for the Convox CLI
    C(RACK_URL=https://jwt:TOKEN@api.myrack.example.com).
  - With O(rotate=true), rotates the rack's signing key instead
    (C(PUT /system/jwt/rotate), admin only). Every token minted before becomes invalid, and
    the rack's API restarts.
  - Each run mints a new token or a new key, so the task always reports a change. In check
    mode nothing is sent but a C(GET /system) that checks the rack is reachable.
author:
  - convox.convox contributors (!UNKNOWN)
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    support: full
options:
  role:
    description:
      - Role of the token - V(read) (GET requests only), V(write) (all but admin actions)
        or V(admin) (minting admin tokens needs admin credentials).
      - These are the names the rack's API takes. Inside the token the rack writes the role as
        V(r), V(rw) or V(rwa) (the spelling of the rack's own docs and of the emulator's docs), so
        the module accepts those too, as the same roles, and returns both spellings
        (RV(role) and RV(claim_role)).
      - Ignored with O(rotate=true).
    type: str
    choices: [read, write, admin, r, rw, rwa]
    default: read
  duration_hours:
    description:
      - Lifetime of the token in hours, from 1 to 8760 (one year).
      - Ignored with O(rotate=true).
    type: int
    default: 1
  rotate:
    description:
      - Rotate the signing key instead of minting a token.
    type: bool
    default: false
notes:
  - >-
    The token is secret. It is returned in RV(token) only when the task sets C(no_log: true),
    so that it never reaches the output; otherwise RV(token) reads C(<hidden>) and a warning
    says so.
  - Racks older than 3.24.6 know only the roles V(read) and V(write).
seealso:
  - module: convox.convox.convox_rack_info
"""

EXAMPLES = r"""
- name: Mint a read-only token for a monitoring job
  convox.convox.convox_rack_token:
    role: read
    duration_hours: 2
  register: monitoring
  no_log: true

- name: Use it to read the rack (user name jwt in the URL, the token as password)
  convox.convox.convox_rack_info:
    host: "{{ rack_url | regex_replace('://', '://jwt@') }}"
    password: "{{ monitoring.token }}"
  no_log: true

- name: Invalidate every token minted so far
  convox.convox.convox_rack_token:
    rotate: true
"""

RETURN = r"""
token:
  description:
    - The token, only when the task sets C(no_log) (otherwise C(<hidden>)).
    - Use it as the password of the user C(jwt).
  returned: when a token was minted
  type: str
  sample: <hidden>
role:
  description: Role of the token.
  returned: when a token was minted or would be in check mode
  type: str
  sample: read
claim_role:
  description: The role as the token carries it (V(r), V(rw) or V(rwa)).
  returned: when a token was minted or would be in check mode
  type: str
  sample: r
duration_hours:
  description: Lifetime of the token, in hours.
  returned: when a token was minted or would be in check mode
  type: int
  sample: 1
expires:
  description: When the token expires (UTC, ISO 8601), computed from the time of the request.
  returned: when a token was minted
  type: str
  sample: "2026-05-01T13:00:00Z"
rotated:
  description: Whether the signing key was (or in check mode would be) rotated.
  returned: always
  type: bool
  sample: false
"""

import datetime
from typing import Any, Dict

from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils._views import HIDDEN

MAX_HOURS = 8760
# The API's role names (POST /system/jwt/token) and the claim each gives the token.
CLAIMS = {"read": "r", "write": "rw", "admin": "rwa"}
ROLES = {claim: role for role, claim in CLAIMS.items()}


class RackToken(ActionTask):
    """Mint a token (the default) or, with ``rotate``, rotate the rack's token signing key."""

    options = {
        "role": {"type": "str", "choices": [*CLAIMS, *ROLES], "default": "read"},
        "duration_hours": {"type": "int", "default": 1},
        "rotate": {"type": "bool", "default": False},
    }

    @property
    def action(self) -> str:
        return "rotate the token signing key" if self.params["rotate"] else "mint a token"

    def validate(self) -> None:
        hours = self.params["duration_hours"]
        if not self.params["rotate"] and not 1 <= hours <= MAX_HOURS:
            self.cm.fail(
                f"Option duration_hours must be between 1 and {MAX_HOURS}, got {hours}. Nothing was sent to the rack."
            )

    def prepare(self) -> Dict[str, Any]:
        self.client.system.get()  # a GET that proves the rack and the credentials work, in both modes
        if self.params["rotate"]:
            return {"rotated": True}
        role = ROLES.get(self.params["role"], self.params["role"])
        hours = self.params["duration_hours"]
        return {"role": role, "claim_role": CLAIMS[role], "duration_hours": hours, "rotated": False}

    def predict(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        return prepared if prepared["rotated"] else dict(prepared, msg="Check mode: no token was minted.")

    def perform(self, prepared: Dict[str, Any]) -> Dict[str, Any]:
        if prepared["rotated"]:
            self.cm.set_context("rotate the token signing key")
            self.client.system.jwt_rotate()
            return prepared
        role, hours = prepared["role"], prepared["duration_hours"]
        self.cm.set_context(f"mint {'an' if role == 'admin' else 'a'} {role} token")
        token = self.client.system.jwt(role, hours)
        expires = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(hours=hours)
        result = dict(prepared, expires=expires.strftime("%Y-%m-%dT%H:%M:%SZ"), token=HIDDEN)
        if self.cm.no_log:
            result["token"] = token
        else:
            self.cm.warn("The token is hidden because the task does not set no_log: true; set it to receive the token.")
        return result


def main() -> None:
    RackToken.main()


if __name__ == "__main__":
    main()
