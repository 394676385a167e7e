#!/usr/bin/python
# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: convox_certificate
short_description: Import, generate, remove, renew and apply TLS certificates on a Convox rack
version_added: 0.1.0
description:
  - Manages the TLS certificates of a Convox rack, like C(convox certs import), C(convox certs generate),
    C(convox certs delete), C(convox certs renew) and C(convox ssl update).
  - The rack never returns a certificate's PEM, so the module recognises an imported certificate by what the
    rack does list (primary domain, domain names and expiry, all read from the PEM given), and a generated
    certificate by its set of domain names.
  - Private keys are never shown in results, diffs or failure messages.
author:
  - convox.convox contributors (!UNKNOWN)
options:
  state:
    description:
      - V(present) makes sure a certificate exists. It is imported from O(certificate) and O(private_key)
        when the rack has no certificate with the same fingerprint; with O(generate=true) it is generated for
        O(domains) when the rack has no certificate for exactly that set of domains; with only O(id) it must
        already exist. With O(app), O(service) and O(port) it is then applied to that service port.
      - V(absent) removes the certificate selected by O(id), O(domain) or O(certificate); removing one that
        does not exist changes nothing.
      - V(renewed) asks the rack to re-issue the certificates of the domains of O(app). This always reports a
        change.
    type: str
    choices: [present, absent, renewed]
    default: present
  certificate:
    description:
      - The certificate to import, in PEM format (the leaf certificate first).
      - Requires O(private_key). Mutually exclusive with O(generate).
      - With O(state=absent), selects the certificate to remove.
    type: str
  private_key:
    description:
      - The private key of O(certificate), in PEM format.
      - Never shown in output.
      - An RSA or ECDSA key must belong to O(certificate) (its public key is compared with the
        certificate's before anything is sent); an encrypted key is refused.
    type: str
  chain:
    description:
      - Intermediate certificates (PEM) that the rack appends after O(certificate) on import.
    type: str
  generate:
    description:
      - Generate a certificate for O(domains) instead of importing one.
    type: bool
    default: false
  domains:
    description:
      - The domain names of a generated certificate.
      - A self-signed certificate takes exactly one domain; a Let's Encrypt certificate takes 1 to 10.
      - The order does not matter when the module looks for an existing certificate.
      - Each must be a DNS name (letters, digits and hyphens in dot-separated labels, optionally
        V(*.) in front).
    type: list
    elements: str
  issuer:
    description:
      - Who signs a generated certificate. V(self-signed) is signed by the rack itself; V(letsencrypt) is
        requested from Let's Encrypt through the DNS-01 solvers (see M(convox.convox.convox_letsencrypt)) and is
        listed as C(Not Ready) until it is issued.
    type: str
    choices: [self-signed, letsencrypt]
    default: self-signed
  duration:
    description:
      - Validity of a generated certificate, as a Go duration such as V(2160h) (the rack's default is
        V(4320h), 180 days).
      - Only used when a certificate is generated; an existing certificate for the same domains is kept
        whatever its validity.
    type: str
  id:
    description:
      - Id of an existing certificate (for example V(cert-a1b2c)), to apply it or to remove it.
    type: str
  domain:
    description:
      - With O(state=absent), remove every certificate whose primary domain is this name.
    type: str
  app:
    description:
      - With O(state=renewed), the app whose domain certificates are re-issued.
      - With O(state=present), the app of O(service) to apply the certificate to.
    type: str
  service:
    description:
      - Service of O(app) whose O(port) gets the certificate.
    type: str
  port:
    description:
      - Port of O(service) that gets the certificate.
    type: int
notes:
  - >-
    Convox v3 racks do not attach certificates to service ports through their API (C(convox ssl update)
    answers C(unimplemented)). On those racks the module fails with that explanation before sending
    anything: declare the service's C(domain) in C(convox.yml) instead and the rack provides the certificate.
  - >-
    The rack cannot tell which certificate a service port uses, so applying a certificate reports a change
    on every run.
extends_documentation_fragment:
  - convox.convox.convox
  - convox.convox.convox.ATTRIBUTES
  - convox.convox.convox.managing
seealso:
  - module: convox.convox.convox_certificate_info
  - module: convox.convox.convox_letsencrypt
"""

EXAMPLES = r"""
- name: Import a certificate (only when the rack does not have it yet)
  convox.convox.convox_certificate:
    certificate: "{{ lookup('ansible.builtin.file', 'files/example.com.crt') }}"
    private_key: "{{ lookup('ansible.builtin.file', 'files/example.com.key') }}"
  register: imported

- name: Generate a self-signed certificate for one domain
  convox.convox.convox_certificate:
    generate: true
    domains:
      - internal.example.com
    duration: 2160h

- name: Request a Let's Encrypt certificate for two domains
  convox.convox.convox_certificate:
    generate: true
    issuer: letsencrypt
    domains:
      - www.example.com
      - example.com

- name: Re-issue the certificates of an app's domains
  convox.convox.convox_certificate:
    state: renewed
    app: myapp

- name: Remove the certificates of a domain
  convox.convox.convox_certificate:
    state: absent
    domain: internal.example.com
"""

RETURN = r"""
check_mode_note:
  description:
    - Set in check mode when the app the task needs does not exist yet (an earlier task of the play would
      create it); the rest of the result is then what the task would do once it exists.
  returned: in check mode, when the app does not exist yet
  type: str
  sample: "App myapp does not exist on rack acme/prod yet: this is what the task would do once an earlier task ..."
certificate:
  description:
    - The certificate after the task (the predicted one in check mode, with id C((new certificate))).
    - Empty with O(state=absent) and O(state=renewed).
  returned: always
  type: dict
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
      description: When the certificate expires (RFC 3339, UTC); empty while a Let's Encrypt certificate is pending.
      type: str
      sample: "2027-01-31T12:00:00Z"
    status:
      description: Empty normally; C(Not Ready) while a Let's Encrypt certificate is pending.
      type: str
      sample: ""
    fingerprint:
      description: SHA-256 fingerprint of O(certificate), when one was given.
      type: str
      sample: "3F:0A:...:9C"
imported:
  description: Whether O(certificate) was imported (V(false) when a certificate with the same fingerprint existed).
  returned: when O(certificate) is given with O(state=present)
  type: bool
generated:
  description: Whether a certificate was generated (V(false) when one for the same domains existed).
  returned: when O(generate=true)
  type: bool
applied:
  description: Whether the certificate was applied to O(app), O(service) and O(port).
  returned: with O(state=present)
  type: bool
removed:
  description: The certificates removed (or, in check mode, that would be removed).
  returned: with O(state=absent)
  type: list
  elements: dict
"""

from typing import Any, Dict, List, Optional

from ansible_collections.convox.convox.plugins.module_utils import _checks as checks
from ansible_collections.convox.convox.plugins.module_utils._module import (
    ConvoxModule,
    is_v3_refusal,
    rack_generation,
    upper_first,
)
from ansible_collections.convox.convox.plugins.module_utils._tasks import ActionTask
from ansible_collections.convox.convox.plugins.module_utils._views import certificate_view, time_text
from ansible_collections.convox.convox.plugins.module_utils.x509 import (
    CertificateError,
    EncryptedKeyError,
    key_matches,
    read_certificate,
)

NEW_CERTIFICATE = "(new certificate)"
V3_APPLY_MESSAGE = (
    "Convox v3 racks do not attach certificates to service ports through the API (the rack answers "
    "'unimplemented'). Declare the domain on the service in convox.yml (services.<name>.domain) instead; "
    "the rack then provides and renews the certificate for it."
)


def domain_set(cert: Dict[str, Any]) -> frozenset:
    """The names of a certificate (or of what a PEM says), lower-case; the primary domain without others."""
    names = cert.get("domains") or ([cert["domain"]] if cert.get("domain") else [])
    return frozenset(str(n).lower() for n in names)


class Certificate(ActionTask):
    """``prepare`` finds the certificates the task is about (GET only); ``perform`` writes, ``predict`` not."""

    options = {
        "state": {"type": "str", "choices": ["present", "absent", "renewed"], "default": "present"},
        "certificate": {"type": "str"},
        "private_key": {"type": "str", "no_log": True},
        "chain": {"type": "str"},
        "generate": {"type": "bool", "default": False},
        "domains": {"type": "list", "elements": "str"},
        "issuer": {"type": "str", "choices": ["self-signed", "letsencrypt"], "default": "self-signed"},
        "duration": {"type": "str"},
        "id": {"type": "str"},
        "domain": {"type": "str"},
        "app": {"type": "str"},
        "service": {"type": "str"},
        "port": {"type": "int"},
    }
    checks = {
        "certificate": [checks.text(checks.MAX_BLOB, required=True, multiline=True)],
        "private_key": [checks.text(checks.MAX_BLOB, required=True, multiline=True)],
        "chain": [checks.text(checks.MAX_BLOB, multiline=True)],
        "domains": [checks.list_of(checks.dns_name(wildcard=True), max_items=100, skip_blank=True)],
        "domain": [checks.dns_name(wildcard=True)],
        "duration": [checks.go_duration()],
        "port": [checks.between(1, 65535)],
    }
    module_options = {
        "mutually_exclusive": [("id", "domain")],
        "required_together": [("service", "port")],
        "required_if": [("generate", True, ["domains"])],
    }

    def __init__(self, cm: ConvoxModule) -> None:
        super().__init__(cm)
        self.info: Optional[Dict[str, Any]] = None  # what the PEM of option certificate says
        self._listed: Dict[bool, List[Dict[str, Any]]] = {}

    @property
    def target(self) -> str:
        params = self.params
        if params["state"] == "renewed":
            return f"certificates of app {params['app']}"
        if params.get("id"):
            return f"certificate {params['id']}"
        if params["generate"] and params.get("domains"):
            return f"certificate for {', '.join(params['domains'])}"
        return f"certificates of domain {params['domain']}" if params.get("domain") else "certificate"

    @property
    def domains(self) -> List[str]:
        return [d.strip() for d in self.params.get("domains") or [] if d and d.strip()]

    @property
    def apply_to(self) -> bool:
        return self.params["state"] == "present" and self.params.get("service") is not None

    def check_key_pair(self, certificate: str, private_key: str) -> None:
        """Refuse a private key that does not belong to the certificate (RSA and ECDSA keys) or
        is encrypted. Key types and encodings the reader does not know are left to the rack, as
        before. The key itself never appears in a message."""
        try:
            matches = key_matches(certificate, private_key)
        except EncryptedKeyError as exc:
            self.cm.fail(f"Option private_key is not usable: {exc}. Nothing was sent to the rack.")
        except CertificateError:
            return
        if matches is False:
            self.cm.fail(
                "Option private_key does not belong to the certificate: its public key differs from the "
                "certificate's. Give the key the certificate was issued for. Nothing was sent to the rack.",
                failure={"kind": "InputError", "option": "private_key"},
            )

    def validate(self) -> None:
        params, fail, state, domains = self.params, self.cm.fail, self.params["state"], self.domains
        if params.get("certificate") and params["generate"]:
            fail("Options certificate and generate are mutually exclusive: import a PEM or generate one.")
        if params.get("certificate"):
            try:
                self.info = read_certificate(params["certificate"])
            except CertificateError as exc:
                fail(f"Option certificate is not a usable PEM certificate: {exc}.")
            if state == "present" and "PRIVATE KEY-----" not in (params.get("private_key") or ""):
                fail("Option private_key must be a PEM private key ('-----BEGIN ... PRIVATE KEY-----').")
            if state == "present":
                self.check_key_pair(params["certificate"], params["private_key"])
        if params["generate"]:
            if not domains:
                fail("Option domains must name at least one domain when generate is true.")
            if params["issuer"] == "self-signed" and len(domains) != 1:
                fail("A self-signed certificate takes exactly one domain; use issuer: letsencrypt for more.")
            if len(domains) > 10:
                fail("A Let's Encrypt certificate takes at most 10 domains.")
        if state == "present" and not (params.get("certificate") or params["generate"] or params.get("id")):
            fail("With state=present, give certificate and private_key, generate: true with domains, or id.")
        if state == "present" and len({params.get(k) is None for k in ("app", "service", "port")}) > 1:
            fail("To apply a certificate, give app, service and port together.")
        if state == "absent" and not (params.get("id") or params.get("domain") or params.get("certificate")):
            fail("With state=absent, give id, domain or certificate to select what to remove.")
        if state == "renewed" and not params.get("app"):
            fail("With state=renewed, give the app whose certificates are re-issued.")

    # -- reads (GET only) ---------------------------------------------------------

    def certificates(self, generated: bool = False) -> List[Dict[str, Any]]:
        if generated not in self._listed:
            self._listed[generated] = [certificate_view(c) for c in self.client.certificates.list(generated=generated)]
        return list(self._listed[generated])

    def matching(self, by: str) -> List[Dict[str, Any]]:
        """The certificates that option ``by`` (id, domain, certificate or domains) selects."""
        if by in ("id", "domain"):
            unique: Dict[str, Dict[str, Any]] = {}
            for cert in self.certificates() + self.certificates(generated=True):
                unique.setdefault(cert["id"].lower(), cert)
            return [c for c in unique.values() if c[by].lower() == self.params[by].lower()]
        self.cm.set_context("read", "certificates")
        if by == "certificate" and self.info is not None:  # what the rack lists of it: names and expiry
            info = self.info
            return [
                c
                for c in self.certificates()
                if c["domain"].lower() == info["domain"].lower()
                and domain_set(c) == domain_set(info)
                and c["expiration"] == time_text(info["expiration"])
            ][:1]
        pool = self.certificates(generated=self.params["issuer"] == "letsencrypt")
        return [c for c in pool if domain_set(c) == domain_set({"domains": self.domains})][:1]

    def prepare(self) -> Any:
        params, cm = self.params, self.cm
        if params["state"] == "renewed":
            cm.set_context("read", f"app {params['app']}")
            cm.parent(lambda: cm.client.apps.get(params["app"]), "app", params["app"])
            return None
        if params["state"] == "absent":
            cm.set_context("read", "certificates")
            return self.matching(next(k for k in ("id", "domain", "certificate") if params.get(k)))
        if self.apply_to:
            cm.set_context("read", "the rack version")
            generation, version = rack_generation(cm.client)
            if generation == 3:
                cm.fail(f"{upper_first(cm.rack_label)} runs Convox {version}. {V3_APPLY_MESSAGE}")
        by = "certificate" if self.info is not None else ("domains" if params["generate"] else "id")
        found = (self.matching(by) or [None])[0]
        if found is None and by == "id":
            cm.fail(
                f"Certificate {params['id']} does not exist on {cm.rack_label}. "
                "List the certificates with convox.convox.convox_certificate_info."
            )
        if self.apply_to:
            cm.set_context("apply certificate to", self.port_label)
            # A missing app fails here, before any write (in check mode: predicted, with a note).
            cm.parent(lambda: cm.client.apps.get(params["app"]), "app", params["app"])
        return found

    @property
    def port_label(self) -> str:
        return f"port {self.params['port']} of service {self.params['service']} of app {self.params['app']}"

    # -- results (check mode: predicted) ---------------------------------------

    def predict(self, prepared: Any) -> Dict[str, Any]:
        params, cm = self.params, self.cm
        if params["state"] == "renewed":
            return {"diff": cm.diff({}, {"renewed": params["app"]}), "certificate": {}}
        if params["state"] == "absent":
            diff = cm.diff({"certificates": prepared}, {"certificates": []})
            return {"changed": bool(prepared), "diff": diff, "certificate": {}, "removed": prepared}
        if prepared is not None:
            return self.present(prepared, prepared)
        new = {"id": NEW_CERTIFICATE, "domain": "", "domains": self.domains, "expiration": "", "status": ""}
        if self.info is not None:
            info = self.info
            new.update(domain=info["domain"], domains=list(info["domains"]), expiration=time_text(info["expiration"]))
        else:
            new.update(domain=self.domains[0], status="Not Ready" if params["issuer"] == "letsencrypt" else "")
        return self.present(None, new)

    def present(self, found: Optional[Dict[str, Any]], cert: Dict[str, Any]) -> Dict[str, Any]:
        result: Dict[str, Any] = {"applied": self.apply_to, "changed": found is None or self.apply_to}
        after = dict(cert)
        if self.apply_to:
            after["applied_to"] = f"{self.params['app']}/{self.params['service']}:{self.params['port']}"
        if self.info is not None:
            result["imported"] = found is None
            cert = dict(cert, fingerprint=self.info["fingerprint"])
        elif self.params["generate"]:
            result["generated"] = found is None
        return dict(result, diff=self.cm.diff(found or {}, after), certificate=cert)

    # -- writes -----------------------------------------------------------------

    def perform(self, prepared: Any) -> Dict[str, Any]:
        params, cm = self.params, self.cm
        if params["state"] == "renewed":
            cm.set_context("renew", self.target)
            cm.client.certificates.renew(params["app"])
        elif params["state"] == "absent":
            for cert in prepared:
                cm.set_context("remove", f"certificate {cert['id']}")
                try:
                    cm.client.certificates.delete(cert["id"])
                except cm.not_found():
                    pass  # already gone: the goal is reached
        else:
            cert = prepared or self.create()
            if self.apply_to:
                self.apply(cert)
            return self.present(prepared, cert)
        return self.predict(prepared)

    def create(self) -> Dict[str, Any]:
        params, cm = self.params, self.cm
        if self.info is not None:
            cm.set_context("import", f"certificate for {self.info['domain'] or 'the given PEM'}")
            chain = params.get("chain") or None
            return certificate_view(
                cm.client.certificates.create(params["certificate"], params["private_key"], chain=chain)
            )
        cm.set_context("generate", f"certificate for {', '.join(self.domains)}")
        issuer = "letsencrypt" if params["issuer"] == "letsencrypt" else None
        return certificate_view(
            cm.client.certificates.generate(self.domains, issuer=issuer, duration=params.get("duration"))
        )

    def apply(self, cert: Dict[str, Any]) -> None:
        params = self.params
        self.cm.set_context("apply certificate to", self.port_label)
        try:
            self.cm.client.certificates.apply(params["app"], params["service"], params["port"], cert["id"])
        except Exception as exc:  # a rack that cannot says so; anything else is reported as it is
            if not is_v3_refusal(exc):
                raise
            self.cm.fail(V3_APPLY_MESSAGE)


def main() -> None:
    Certificate.main()


if __name__ == "__main__":
    main()
