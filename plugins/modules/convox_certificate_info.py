#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_certificate_info
short_description: List the TLS certificates of a Convox rack
version_added: 0.1.0
description:
  - Lists the TLS certificates of a Convox rack with their domains and expiry (C(convox certs)).
  - With O(generated=true), lists the certificates the rack generates itself (Let's Encrypt), including pending
    ones, instead (C(convox certs --generated)).
author:
  - convox.convox contributors (!UNKNOWN)
options:
  generated:
    description:
      - List the rack-generated certificates (including those still C(Not Ready)) instead of the others.
    type: bool
    default: false
  id:
    description:
      - Return only the certificate with this id (an empty list when there is none).
    type: str
  domain:
    description:
      - Return only the certificates that cover this domain name (primary or additional).
    type: str
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.info
seealso:
  - module: convox.convox.convox_certificate
"""

EXAMPLES = r"""
- name: List the rack's certificates
  convox.convox.convox_certificate_info:
  register: certs

- name: List the generated (Let's Encrypt) certificates
  convox.convox.convox_certificate_info:
    generated: true
  register: generated

- name: Certificates that cover www.example.com
  convox.convox.convox_certificate_info:
    domain: www.example.com
  register: www
"""

RETURN = r"""
certificates:
  description: The certificates, ordered by id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Id of the certificate.
      type: str
      sample: cert-a1b2c
    domain:
      description: Primary domain name.
      type: str
      sample: example.com
    domains:
      description: All domain names of the certificate.
      type: list
      elements: str
      sample: [example.com, www.example.com]
    expiration:
      description: When the certificate expires (RFC 3339, UTC); empty while a generated certificate is pending.
      type: str
      sample: "2027-01-31T12:00:00Z"
    status:
      description: Empty normally; C(Not Ready) while a Let's Encrypt certificate is pending.
      type: str
      sample: ""
    days_left:
      description: Whole days until the certificate expires (negative once expired); null without an expiry.
      type: int
      sample: 212
"""

import datetime
from typing import Any, Dict, List

from ansible_collections.convox.convox.plugins.module_utils._tasks import InfoTask
from ansible_collections.convox.convox.plugins.module_utils._views import certificate_view


class CertificateInfo(InfoTask):
    options = {
        "generated": {"type": "bool", "default": False},
        "id": {"type": "str"},
        "domain": {"type": "str"},
    }
    result_key = "certificates"
    kind = "certificates"
    action = "list"

    def identity(self) -> str:
        return ""

    def items(self) -> List[Dict[str, Any]]:
        now = datetime.datetime.now(datetime.timezone.utc)
        listed = self.client.certificates.list(generated=self.params["generated"])
        certs = [certificate_view(c, now) for c in listed]
        if self.params.get("id"):
            wanted = self.params["id"].lower()
            certs = [c for c in certs if c["id"].lower() == wanted]
        if self.params.get("domain"):
            name = self.params["domain"].lower()
            certs = [c for c in certs if name in {d.lower() for d in [c["domain"], *c["domains"]]}]
        return sorted(certs, key=lambda c: c["id"].upper())


def main() -> None:
    CertificateInfo.main()


if __name__ == "__main__":
    main()
