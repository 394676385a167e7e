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

import base64
import binascii
import datetime
import hashlib
import re
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.convox.convox.plugins.module_utils import errors
from ansible_collections.convox.convox.plugins.module_utils._module import ConvoxModule, rack_generation, upper_first
from ansible_collections.convox.convox.plugins.module_utils._views import to_plain

NEW_CERTIFICATE = "(new certificate)"
GO_DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|\u00b5s|ms|s|m|h))+$")
PEM_CERT = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)
OID_COMMON_NAME = bytes([0x55, 0x04, 0x03])
OID_SUBJECT_ALT_NAME = bytes([0x55, 0x1D, 0x11])
V3_APPLY_MESSAGE = (
    "Convox v3 racks do not attach certificates to service ports through the API (the rack answers "
    "'unimplemented'). Declare the domain on the service in convox.yml (services.<name>.domain) instead; "
    "the rack then provides and renews the certificate for it."
)


# ---------------------------------------------------------------------------
# A small X.509 reader: just enough DER to find the names and the expiry.


class CertificateError(ValueError):
    """The given PEM is not a certificate this module can read."""


def _der_item(data: bytes, pos: int) -> Tuple[int, bytes, int]:
    """One DER item at ``pos``: (tag, value, position after it)."""
    if pos + 2 > len(data):
        raise CertificateError("truncated DER data")
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise CertificateError("unsupported DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    if pos + length > len(data):
        raise CertificateError("truncated DER data")
    return tag, data[pos : pos + length], pos + length


def _der_children(data: bytes) -> List[Tuple[int, bytes]]:
    items = []
    pos = 0
    while pos < len(data):
        tag, value, pos = _der_item(data, pos)
        items.append((tag, value))
    return items


def _der_time(tag: int, value: bytes) -> datetime.datetime:
    text = value.decode("ascii")
    if tag == 0x17:  # UTCTime: YYMMDDHHMMSSZ
        year = int(text[0:2])
        text = ("19" if year >= 50 else "20") + text
    elif tag != 0x18:  # GeneralizedTime: YYYYMMDDHHMMSSZ
        raise CertificateError("unexpected time type")
    stamp = datetime.datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    return stamp.replace(tzinfo=datetime.timezone.utc)


def _common_name(name: bytes) -> str:
    for _set_tag, rdn in _der_children(name):
        for _seq_tag, attribute in _der_children(rdn):
            parts = _der_children(attribute)
            if len(parts) == 2 and parts[0][1] == OID_COMMON_NAME:
                return parts[1][1].decode("utf-8", errors="replace")
    return ""


def _dns_names(extensions: bytes) -> List[str]:
    names: List[str] = []
    (_tag, sequence), *_rest = _der_children(extensions)
    for _ext_tag, extension in _der_children(sequence):
        parts = _der_children(extension)
        if not parts or parts[0][1] != OID_SUBJECT_ALT_NAME:
            continue
        general_names = _der_children(parts[-1][1])[0][1]
        for tag, value in _der_children(general_names):
            if tag == 0x82:  # dNSName
                names.append(value.decode("ascii", errors="replace"))
    return names


def read_certificate(pem: str) -> Dict[str, Any]:
    """The leaf certificate of ``pem``: common name, DNS names, expiry and SHA-256 fingerprint."""
    match = PEM_CERT.search(pem or "")
    if not match:
        raise CertificateError("no '-----BEGIN CERTIFICATE-----' block found")
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("the PEM block is not valid base64") from exc
    try:
        tag, certificate, _end = _der_item(der, 0)
        if tag != 0x30:
            raise CertificateError("not a DER sequence")
        tbs = _der_children(_der_children(certificate)[0][1])
        if tbs and tbs[0][0] == 0xA0:  # explicit version
            tbs = tbs[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [1], [2], [3]
        validity = _der_children(tbs[3][1])
        not_after = _der_time(validity[1][0], validity[1][1])
        common_name = _common_name(tbs[4][1])
        dns_names: List[str] = []
        for item_tag, value in tbs[6:]:
            if item_tag == 0xA3:
                dns_names = _dns_names(value)
    except CertificateError:
        raise
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        raise CertificateError("the certificate could not be parsed") from exc
    digest = hashlib.sha256(der).hexdigest().upper()
    return {
        # Like the rack: the subject's common name, else the first DNS name.
        "domain": common_name or (dns_names[0] if dns_names else ""),
        "domains": dns_names,
        "expiration": not_after,
        "fingerprint": ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
    }


# ---------------------------------------------------------------------------
# Helpers


def _time_text(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        text: str = value.replace(microsecond=0).isoformat()
        return text + "Z"
    return str(value or "")


def _epoch(value: Any) -> Optional[int]:
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return int(value.timestamp())
    if isinstance(value, str) and value:
        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return _epoch(parsed)
    return None


def certificate_view(cert: Any) -> Dict[str, Any]:
    """A certificate as shown in results: id, domain, domains, expiration, status."""
    if cert is None:
        return {}
    data = cert if isinstance(cert, dict) else to_plain(cert)
    return {
        "id": str(data.get("id") or ""),
        "domain": str(data.get("domain") or ""),
        "domains": [str(d) for d in (data.get("domains") or [])],
        "expiration": _time_text(data.get("expiration")),
        "status": str(data.get("status") or ""),
    }


def domain_set(cert: Dict[str, Any]) -> frozenset:
    names = cert.get("domains") or ([cert["domain"]] if cert.get("domain") else [])
    return frozenset(str(n).lower() for n in names)


# ---------------------------------------------------------------------------
# The module


class CertificateModule:
    def __init__(self, cm: ConvoxModule) -> None:
        self.cm = cm
        self.params = cm.params
        self._certificates: Optional[List[Dict[str, Any]]] = None
        self._generated: Optional[List[Dict[str, Any]]] = None

    # -- reads ------------------------------------------------------------------

    def certificates(self, generated: bool = False) -> List[Dict[str, Any]]:
        if generated:
            if self._generated is None:
                self._generated = [
                    dict(certificate_view(c), _generated=True) for c in self.cm.client.certificates.list(generated=True)
                ]
            return self._generated
        if self._certificates is None:
            self._certificates = [certificate_view(c) for c in self.cm.client.certificates.list()]
        return self._certificates

    def all_certificates(self) -> List[Dict[str, Any]]:
        seen = set()
        result = []
        for cert in self.certificates() + self.certificates(generated=True):
            key = cert["id"].lower()
            if key not in seen:
                seen.add(key)
                result.append(cert)
        return result

    def find_by_id(self, cert_id: str) -> Optional[Dict[str, Any]]:
        for cert in self.all_certificates():
            if cert["id"].lower() == cert_id.lower():
                return cert
        return None

    def find_by_pem(self, info: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        wanted = frozenset(n.lower() for n in info["domains"]) or frozenset([info["domain"].lower()])
        expiry = _epoch(info["expiration"])
        for cert in self.certificates():
            if (
                cert["domain"].lower() == info["domain"].lower()
                and domain_set(cert) == wanted
                and _epoch(cert["expiration"]) == expiry
            ):
                return cert
        return None

    def find_by_domains(self, domains: List[str], letsencrypt: bool) -> Optional[Dict[str, Any]]:
        wanted = frozenset(d.lower() for d in domains)
        pool = self.certificates(generated=True) if letsencrypt else self.certificates()
        for cert in pool:
            if domain_set(cert) == wanted:
                return cert
        return None

    # -- input checks (before any request) ------------------------------------

    def validate(self) -> Optional[Dict[str, Any]]:
        params = self.params
        state = params["state"]
        info = None
        if params.get("certificate") and params["generate"]:
            self.cm.fail("Options certificate and generate are mutually exclusive: import a PEM or generate one.")
        if params.get("certificate"):
            try:
                info = read_certificate(params["certificate"])
            except CertificateError as exc:
                self.cm.fail(f"Option certificate is not a usable PEM certificate: {exc}.")
            if state == "present" and "PRIVATE KEY-----" not in (params.get("private_key") or ""):
                self.cm.fail("Option private_key must be a PEM private key ('-----BEGIN ... PRIVATE KEY-----').")
        if params["generate"]:
            domains = [d.strip() for d in params.get("domains") or [] if d and d.strip()]
            if not domains:
                self.cm.fail("Option domains must name at least one domain when generate is true.")
            if params["issuer"] == "self-signed" and len(domains) != 1:
                self.cm.fail("A self-signed certificate takes exactly one domain; use issuer: letsencrypt for more.")
            if len(domains) > 10:
                self.cm.fail("A Let's Encrypt certificate takes at most 10 domains.")
            duration = params.get("duration")
            if duration is not None and not GO_DURATION.match(duration):
                self.cm.fail(f"Option duration must be a Go duration such as 2160h or 90m, not {duration!r}.")
        if state == "present":
            if not (params.get("certificate") or params["generate"] or params.get("id")):
                self.cm.fail(
                    "With state=present, give certificate and private_key, generate: true with domains, or id."
                )
            apply_opts = [params.get(k) is not None for k in ("app", "service", "port")]
            if any(apply_opts) and not all(apply_opts):
                self.cm.fail("To apply a certificate, give app, service and port together.")
        if state == "absent" and not (params.get("id") or params.get("domain") or params.get("certificate")):
            self.cm.fail("With state=absent, give id, domain or certificate to select what to remove.")
        if state == "renewed" and not params.get("app"):
            self.cm.fail("With state=renewed, give the app whose certificates are re-issued.")
        return info

    # -- states ------------------------------------------------------------------

    def run(self) -> None:
        info = self.validate()
        state = self.params["state"]
        if state == "absent":
            self.cm.run(lambda: self.absent(info), "remove", self._target())
        elif state == "renewed":
            self.cm.run(self.renewed, "renew", f"certificates of app {self.params['app']}")
        else:
            self.cm.run(lambda: self.present(info), "manage", self._target())

    def _target(self) -> str:
        params = self.params
        if params.get("id"):
            return f"certificate {params['id']}"
        if params["generate"] and params.get("domains"):
            return f"certificate for {', '.join(params['domains'])}"
        if params.get("domain"):
            return f"certificates of domain {params['domain']}"
        return "certificate"

    def present(self, info: Optional[Dict[str, Any]]) -> None:
        params = self.params
        cm = self.cm
        changed = False
        before: Dict[str, Any] = {}
        result: Dict[str, Any] = {}
        apply_to = params.get("service") is not None
        if apply_to:
            self.refuse_apply_on_v3()
        if info is not None:
            cm.set_context("read", "certificates")
            cert = self.find_by_pem(info)
            result["imported"] = cert is None
            if cert is None:
                changed = True
                cm.set_context("import", f"certificate for {info['domain'] or 'the given PEM'}")
                if cm.check_mode:
                    cert = {
                        "id": NEW_CERTIFICATE,
                        "domain": info["domain"],
                        "domains": list(info["domains"]),
                        "expiration": _time_text(info["expiration"]),
                        "status": "",
                    }
                else:
                    created = cm.client.certificates.create(
                        params["certificate"], params["private_key"], chain=params.get("chain") or None
                    )
                    cert = certificate_view(created)
            else:
                before = dict(cert)
            cert = dict(cert, fingerprint=info["fingerprint"])
        elif params["generate"]:
            domains = [d.strip() for d in params["domains"] if d and d.strip()]
            letsencrypt = params["issuer"] == "letsencrypt"
            cm.set_context("read", "certificates")
            found = self.find_by_domains(domains, letsencrypt)
            result["generated"] = found is None
            if found is None:
                changed = True
                cm.set_context("generate", f"certificate for {', '.join(domains)}")
                if cm.check_mode:
                    cert = {
                        "id": NEW_CERTIFICATE,
                        "domain": domains[0],
                        "domains": domains,
                        "expiration": "",
                        "status": "Not Ready" if letsencrypt else "",
                    }
                else:
                    created = cm.client.certificates.generate(
                        domains, issuer="letsencrypt" if letsencrypt else None, duration=params.get("duration")
                    )
                    cert = certificate_view(created)
            else:
                cert = {k: v for k, v in found.items() if not k.startswith("_")}
                before = dict(cert)
        else:
            found = self.find_by_id(params["id"])
            if found is None:
                cm.fail(
                    f"Certificate {params['id']} does not exist on {cm.rack_label}. "
                    "List the certificates with convox.convox.convox_certificate_info."
                )
                return
            cert = {k: v for k, v in found.items() if not k.startswith("_")}
            before = dict(cert)
        result["applied"] = False
        if apply_to:
            target = f"port {params['port']} of service {params['service']} of app {params['app']}"
            cm.set_context("apply certificate to", target)
            cm.client.apps.get(params["app"])  # a missing app fails here, before any write
            if not cm.check_mode:
                try:
                    cm.client.certificates.apply(params["app"], params["service"], params["port"], cert["id"])
                except errors.ConvoxNotImplementedError:
                    cm.fail(V3_APPLY_MESSAGE)
            result["applied"] = True
            changed = True
        after = dict(cert)
        diff_before = {k: v for k, v in before.items() if k != "fingerprint"}
        diff_after = {k: v for k, v in after.items() if k != "fingerprint"}
        if apply_to:
            diff_after["applied_to"] = f"{params['app']}/{params['service']}:{params['port']}"
        cm.exit(changed, diff=cm.diff(diff_before, diff_after), certificate=after, **result)

    def refuse_apply_on_v3(self) -> None:
        self.cm.set_context("read", "the rack version")
        generation, version = rack_generation(self.cm.client)
        if generation == 3:
            self.cm.fail(f"{upper_first(self.cm.rack_label)} runs Convox {version}. {V3_APPLY_MESSAGE}")

    def absent(self, info: Optional[Dict[str, Any]]) -> None:
        params = self.params
        cm = self.cm
        cm.set_context("read", "certificates")
        if params.get("id"):
            found = self.find_by_id(params["id"])
            targets = [found] if found else []
        elif params.get("domain"):
            name = params["domain"].lower()
            targets = [c for c in self.all_certificates() if c["domain"].lower() == name]
        else:
            match = self.find_by_pem(info) if info else None
            targets = [match] if match else []
        removed = [{k: v for k, v in c.items() if not k.startswith("_")} for c in targets]
        for cert in removed:
            cm.set_context("remove", f"certificate {cert['id']}")
            if not cm.check_mode:
                try:
                    cm.client.certificates.delete(cert["id"])
                except cm.not_found():
                    pass  # already gone: the goal is reached
        before = {"certificates": removed}
        cm.exit(bool(removed), diff=cm.diff(before, {"certificates": []}), certificate={}, removed=removed)

    def renewed(self) -> None:
        cm = self.cm
        app = self.params["app"]
        cm.set_context("read", f"app {app}")
        cm.client.apps.get(app)  # fails clearly when the app does not exist
        if not cm.check_mode:
            cm.set_context("renew", f"certificates of app {app}")
            cm.client.certificates.renew(app)
        cm.exit(True, diff=cm.diff({}, {"renewed": app}), certificate={})


def main() -> None:
    cm = ConvoxModule(
        {
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
        },
        mutually_exclusive=[("id", "domain")],
        required_together=[("service", "port")],
        required_if=[("generate", True, ["domains"])],
    )
    CertificateModule(cm).run()


if __name__ == "__main__":
    main()
