"""Certificates (5.9): list, import PEM, generate (self-signed / Let's Encrypt), delete, renew, apply."""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
import string
from typing import Any, List, Optional

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from . import core
from .router import Router
from .server import Ctx, Reply, json_reply, ok
from .state import Certificate
from .wire import ApiError, parse_bool, parse_duration, parse_int, utcnow


def list_certificates(ctx: Ctx) -> Reply:
    generated = parse_bool(ctx.query.get("generated"))
    certs = [c for c in ctx.rack.certificates.values() if c.generated == generated]
    return json_reply([c.to_json() for c in sorted(certs, key=lambda c: c.id.upper())])


def _cert_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "cert-" + "".join(secrets.choice(alphabet) for _i in range(5))


def _names(cert: x509.Certificate) -> List[str]:
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return [str(n) for n in ext.value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        return []


def _public_der(public: Any) -> bytes:
    return bytes(public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def import_certificate(ctx: Ctx) -> Reply:
    pub = ctx.value("pub") or ""
    key = ctx.value("key") or ""
    chain = ctx.form.get("chain", "")
    try:
        cert = x509.load_pem_x509_certificate(pub.encode())
    except ValueError:
        raise ApiError(500, "invalid certificate") from None
    try:
        private = serialization.load_pem_private_key(key.encode(), password=None)
    except (ValueError, TypeError):
        raise ApiError(500, "invalid private key") from None
    if _public_der(private.public_key()) != _public_der(cert.public_key()):
        # A key of another certificate: refused with Go's crypto/tls text, as a rack's TLS
        # loader (tls.X509KeyPair) refuses the pair (docs/emulator.md).
        raise ApiError(500, "tls: private key does not match public key")
    if chain.strip():
        try:
            x509.load_pem_x509_certificates(chain.encode())
        except ValueError:
            raise ApiError(500, "invalid certificate chain") from None
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    domains = _names(cert)
    domain = str(common[0].value) if common else (domains[0] if domains else "")
    cid = _cert_id()
    while cid in ctx.rack.certificates:
        cid = _cert_id()
    record = Certificate(
        id=cid,
        domain=domain,
        domains=domains,
        expiration=cert.not_valid_after_utc,
        pem=pub.strip() + ("\n" + chain.strip() if chain.strip() else ""),
    )
    ctx.rack.certificates[cid] = record
    return json_reply(record.to_json())


def _self_signed(domain: str, seconds: float) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(seconds=seconds))
    )
    try:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
    except (ValueError, TypeError):
        pass
    return builder.sign(key, hashes.SHA256())


def generate_certificate(ctx: Ctx) -> Reply:
    raw = ctx.value("domains") or ""
    domains = [d for d in raw.split(",") if d] if raw else []
    issuer: Optional[str] = ctx.form.get("issuer") or None
    duration_raw = ctx.form.get("duration") or "4320h"
    if not domains:
        raise ApiError(400, "must specify a domain")
    try:
        seconds = parse_duration(duration_raw)
    except ValueError as exc:
        raise ApiError(400, f"invalid duration: {exc}") from None
    if issuer is None:
        if len(domains) != 1:
            raise ApiError(400, "must specify only one domain")
        if seconds <= 0 or seconds > 100 * 365 * 86400:
            raise ApiError(400, f"invalid duration: {duration_raw}")
        try:
            cert = _self_signed(domains[0], seconds)
        except ValueError as exc:
            raise ApiError(500, str(exc)) from None
        cid = _cert_id()
        record = Certificate(
            id=cid,
            domain=domains[0],
            domains=list(domains),
            expiration=cert.not_valid_after_utc,
            pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        )
        ctx.rack.certificates[cid] = record
        return json_reply(record.to_json())
    if issuer != "letsencrypt":
        raise ApiError(400, "invalid issuer")
    if len(domains) > 10:
        raise ApiError(400, "can not specify more than 10 domain name")
    cid = "cert-" + hashlib.sha1("-".join(domains).encode()).hexdigest()
    if cid in ctx.rack.certificates:
        raise ApiError(500, f'certificates.cert-manager.io "{cid}" already exists')
    record = Certificate(
        id=cid, domain=domains[0], domains=list(domains), expiration=None, status="Not Ready", generated=True
    )
    ctx.rack.certificates[cid] = record
    rack = ctx.rack

    def issued() -> None:
        if rack.certificates.get(cid) is record:
            record.status = ""
            record.expiration = utcnow().replace(microsecond=0) + datetime.timedelta(days=90)

    ctx.emu.later(core.CERT_ISSUE, issued)
    return json_reply(
        {
            "domain": record.domain,
            "domains": record.domains,
            "expiration": "0001-01-01T00:00:00Z",
            "id": record.id,
            "status": "",
        }
    )


def delete_certificate(ctx: Ctx) -> Reply:
    cid = ctx.params["id"]
    if cid not in ctx.rack.certificates:
        raise ApiError(500, f'secrets "{cid}" not found')
    del ctx.rack.certificates[cid]
    return ok()


def renew_certificate(ctx: Ctx) -> Reply:
    core.get_app(ctx.rack, ctx.params["id"])
    return ok()


def apply_certificate(ctx: Ctx) -> Reply:
    core.get_app(ctx.rack, ctx.params["app"])
    if not re.fullmatch(r"[+-]?\d+", ctx.params["port"]):
        parse_int(ctx.params["port"])
    raise ApiError(501, "unimplemented")


def register(router: Router) -> None:
    router.add("GET", "/certificates", list_certificates)
    router.add("POST", "/certificates", import_certificate)
    router.add("POST", "/certificates/generate", generate_certificate)
    router.add("DELETE", "/certificates/{id}", delete_certificate)
    router.add("POST", "/certificates/{id}/renew", renew_certificate)
    router.add("PUT", "/apps/{app}/ssl/{service}/{port}", apply_certificate)
