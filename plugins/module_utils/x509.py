# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading X.509 certificates from PEM text: names, validity and fingerprint.

Standard library only, and no Ansible import: a small DER reader that finds just what a Convox
rack lists of a certificate (its primary domain, its DNS names and its expiry), so that a
certificate given as PEM can be recognised among the rack's without sending it. It checks no
signature and trusts nothing: it only reads.

* ``read_certificate(pem)``: the first (leaf) certificate of a PEM text;
* ``read_chain(pem)``: every certificate of a PEM text, in order;
* ``pem_blocks(pem, label)``: the DER bytes of each PEM block with that label;
* ``certificate_info(der)``: what ``read_certificate`` answers, from DER bytes;
* ``fingerprint(der)``: the SHA-256 fingerprint as ``AB:CD:...``.

Anything that is not a readable certificate raises ``CertificateError`` (a ``ValueError``).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import re
from typing import Any, Dict, List, Optional, Tuple

__all__ = ["CertificateError", "certificate_info", "fingerprint", "pem_blocks", "read_certificate", "read_chain"]

_PEM_BLOCK = re.compile(r"-----BEGIN (?P<label>[A-Z0-9 ]+)-----(?P<body>.*?)-----END (?P=label)-----", re.S)

# DER tags used below.
_SEQUENCE = 0x30
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18
_BMP_STRING = 0x1E
_VERSION = 0xA0  # [0] EXPLICIT version
_EXTENSIONS = 0xA3  # [3] EXPLICIT extensions
_DNS_NAME = 0x82  # [2] IMPLICIT IA5String in GeneralName

_OID_COMMON_NAME = bytes([0x55, 0x04, 0x03])  # 2.5.4.3
_OID_SUBJECT_ALT_NAME = bytes([0x55, 0x1D, 0x11])  # 2.5.29.17

_Item = Tuple[int, bytes]


class CertificateError(ValueError):
    """The text is not a certificate this reader can read."""


# ---------------------------------------------------------------------------
# DER


def _der_item(data: bytes, pos: int) -> Tuple[int, bytes, int]:
    """One DER item at ``pos``: ``(tag, value, position after it)``."""
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


def _der_children(data: bytes) -> List[_Item]:
    """The items of a constructed value, in order."""
    items = []
    pos = 0
    while pos < len(data):
        tag, value, pos = _der_item(data, pos)
        items.append((tag, value))
    return items


def _der_time(tag: int, value: bytes) -> datetime.datetime:
    text = value.decode("ascii")
    if tag == _UTC_TIME:  # YYMMDDHHMMSSZ: 50-99 are 19xx (RFC 5280 4.1.2.5.1)
        text = ("19" if int(text[0:2]) >= 50 else "20") + text
    elif tag != _GENERALIZED_TIME:  # YYYYMMDDHHMMSSZ
        raise CertificateError("unexpected time type")
    stamp = datetime.datetime.strptime(text[:14], "%Y%m%d%H%M%S")
    return stamp.replace(tzinfo=datetime.timezone.utc)


def _text(tag: int, value: bytes) -> str:
    if tag == _BMP_STRING:
        return value.decode("utf-16-be", errors="replace")
    return value.decode("utf-8", errors="replace")


def _common_name(name: bytes) -> str:
    """The first common name of a Name (a SEQUENCE of SETs of (type, value))."""
    for _set_tag, rdn in _der_children(name):
        for _seq_tag, attribute in _der_children(rdn):
            parts = _der_children(attribute)
            if len(parts) == 2 and parts[0][1] == _OID_COMMON_NAME:
                return _text(*parts[1])
    return ""


def _dns_names(extensions: bytes) -> List[str]:
    """The DNS names of the subjectAltName extension, in order."""
    names: List[str] = []
    (_tag, sequence), *_rest = _der_children(extensions)
    for _ext_tag, extension in _der_children(sequence):
        parts = _der_children(extension)  # extnID, critical (optional), extnValue
        if not parts or parts[0][1] != _OID_SUBJECT_ALT_NAME:
            continue
        general_names = _der_children(parts[-1][1])[0][1]
        for tag, value in _der_children(general_names):
            if tag == _DNS_NAME:
                names.append(value.decode("ascii", errors="replace"))
    return names


# ---------------------------------------------------------------------------
# Public


def fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint of DER bytes, upper-case hex pairs joined by ``:``."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _pem_bodies(pem: str, label: str) -> List[str]:
    return [m.group("body") for m in _PEM_BLOCK.finditer(pem or "") if m.group("label") == label]


def _decode(body: str) -> bytes:
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CertificateError("the PEM block is not valid base64") from exc


def pem_blocks(pem: str, label: str = "CERTIFICATE") -> List[bytes]:
    """The DER bytes of every ``-----BEGIN <label>-----`` block of ``pem``, in order.

    Text around and between the blocks is ignored; a block that is not valid base64 raises
    ``CertificateError``.
    """
    return [_decode(body) for body in _pem_bodies(pem, label)]


def certificate_info(der: bytes) -> Dict[str, Any]:
    """What a rack lists of a certificate, from its DER bytes.

    ``domain`` (the subject's common name, else the first DNS name, as the rack reads it),
    ``domains`` (the DNS names of subjectAltName), ``common_name``, ``not_before`` and
    ``expiration`` (aware UTC datetimes) and ``fingerprint`` (SHA-256).
    """
    try:
        tag, certificate, _end = _der_item(der, 0)
        if tag != _SEQUENCE:
            raise CertificateError("not a DER sequence")
        tbs = _der_children(_der_children(certificate)[0][1])
        if tbs and tbs[0][0] == _VERSION:
            tbs = tbs[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo, [1], [2], [3]
        validity = _der_children(tbs[3][1])
        not_before = _der_time(*validity[0])
        not_after = _der_time(*validity[1])
        common_name = _common_name(tbs[4][1])
        dns_names: List[str] = []
        for item_tag, value in tbs[6:]:
            if item_tag == _EXTENSIONS:
                dns_names = _dns_names(value)
    except CertificateError:
        raise
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        raise CertificateError("the certificate could not be parsed") from exc
    return {
        "domain": common_name or (dns_names[0] if dns_names else ""),
        "domains": dns_names,
        "common_name": common_name,
        "not_before": not_before,
        "expiration": not_after,
        "fingerprint": fingerprint(der),
    }


def _no_certificate() -> CertificateError:
    return CertificateError("no '-----BEGIN CERTIFICATE-----' block found")


def read_chain(pem: str) -> List[Dict[str, Any]]:
    """``certificate_info`` of every certificate of ``pem``, in order (leaf first, as given)."""
    blocks = pem_blocks(pem)
    if not blocks:
        raise _no_certificate()
    return [certificate_info(der) for der in blocks]


def read_certificate(pem: str) -> Dict[str, Any]:
    """``certificate_info`` of the first (leaf) certificate of ``pem``; the others are not read."""
    bodies = _pem_bodies(pem, "CERTIFICATE")
    if not bodies:
        raise _no_certificate()
    return certificate_info(_decode(bodies[0]))


# ---------------------------------------------------------------------------
# Does a private key belong to a certificate? (RSA and ECDSA, standard library only)

_INTEGER = 0x02
_BIT_STRING = 0x03
_OCTET_STRING = 0x04
_OID = 0x06
_OID_RSA = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption
_OID_EC = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1 id-ecPublicKey

# The NIST curves by OID: (p, a, Gx, Gy), to compute the public point of a key that does not carry it.
_P256 = 2**256 - 2**224 + 2**192 + 2**96 - 1
_P384 = 2**384 - 2**128 - 2**96 + 2**32 - 1
_P521 = 2**521 - 1
_CURVES: Dict[bytes, Tuple[int, int, int, int]] = {
    bytes.fromhex("2a8648ce3d030107"): (  # 1.2.840.10045.3.1.7 P-256
        _P256,
        _P256 - 3,
        0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
        0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
    ),
    bytes.fromhex("2b81040022"): (  # 1.3.132.0.34 P-384
        _P384,
        _P384 - 3,
        0xAA87CA22BE8B05378EB1C71EF320AD746E1D3B628BA79B9859F741E082542A385502F25DBF55296C3A545E3872760AB7,
        0x3617DE4A96262C6F5D9E98BF9292DC29F8F41DBD289A147CE9DA3113B5F0B8C00A60B1CE1D7E819D7A431D7C90EA0E5F,
    ),
    bytes.fromhex("2b81040023"): (  # 1.3.132.0.35 P-521
        _P521,
        _P521 - 3,
        0x00C6858E06B70404E9CD9E3ECB662395B4429C648139053FB521F828AF606B4D3DBAA14B5E77EFE75928FE1DC127A2FFA8DE3348B3C1856A429BF97E7E31C2E5BD66,
        0x011839296A789A3BC0045C8A5FB42C7D1BD998F54449579B446817AFBD17273E662C97EE72995EF42640C550B9013FAD0761353C7086A272C24088BE94769FD16650,
    ),
}

PublicKey = Tuple[str, Any]  # ("rsa", modulus) or ("ec", (curve OID, x, parity of y))


class EncryptedKeyError(CertificateError):
    """The private key is encrypted: no rack can use it."""


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big", signed=False)


def _ec_point(curve: bytes, point: bytes) -> PublicKey:
    """``("ec", (curve, x, parity of y))`` of an encoded point, uncompressed or compressed (the
    point is determined by ``x`` and the parity of ``y``)."""
    if point[:1] == b"\x04" and len(point) % 2 == 1:
        half = (len(point) - 1) // 2
        return "ec", (curve, _int(point[1 : 1 + half]), _int(point[1 + half :]) & 1)
    if point[:1] in (b"\x02", b"\x03"):
        return "ec", (curve, _int(point[1:]), point[0] & 1)
    raise CertificateError("unsupported EC point encoding")


def _ec_multiply(curve: bytes, scalar: int) -> Tuple[int, int]:
    """``scalar`` times the curve's base point (affine double-and-add; one call per task)."""
    p, a, gx, gy = _CURVES[curve]
    result: Optional[Tuple[int, int]] = None
    addend: Optional[Tuple[int, int]] = (gx, gy)

    def add(one: Optional[Tuple[int, int]], two: Optional[Tuple[int, int]]) -> Optional[Tuple[int, int]]:
        if one is None:
            return two
        if two is None:
            return one
        (x1, y1), (x2, y2) = one, two
        if x1 == x2 and (y1 + y2) % p == 0:
            return None
        # p is prime: the inverse of v is v ** (p - 2) mod p
        numerator, denominator = (3 * x1 * x1 + a, 2 * y1) if one == two else (y2 - y1, x2 - x1)
        slope = numerator * pow(denominator % p, p - 2, p) % p
        x3 = (slope * slope - x1 - x2) % p
        return x3, (slope * (x1 - x3) - y1) % p

    while scalar:
        if scalar & 1:
            result = add(result, addend)
        addend = add(addend, addend)
        scalar >>= 1
    if result is None:
        raise CertificateError("the EC private key is zero")
    return result


def certificate_public_key(der: bytes) -> Optional[PublicKey]:
    """The public key of a certificate (its DER bytes): RSA modulus or EC point; ``None`` for
    other key types (Ed25519...)."""
    try:
        tbs = _der_children(_der_children(_der_children(der)[0][1])[0][1])
        if tbs and tbs[0][0] == _VERSION:
            tbs = tbs[1:]
        algorithm, bits = _der_children(tbs[5][1])
        oids = _der_children(algorithm[1])
        key = bits[1][1:]  # the BIT STRING's first byte counts unused bits
        if oids[0][1] == _OID_RSA:
            return "rsa", _int(_der_children(_der_children(key)[0][1])[0][1])
        if oids[0][1] == _OID_EC and len(oids) > 1 and oids[1][0] == _OID:
            return _ec_point(oids[1][1], key)
        return None
    except CertificateError:
        raise
    except (IndexError, ValueError) as exc:
        raise CertificateError("the certificate's public key could not be parsed") from exc


def _rsa_private(body: bytes) -> PublicKey:
    # RSAPrivateKey: version, modulus, publicExponent, privateExponent, ...
    fields = _der_children(_der_children(body)[0][1])
    if len(fields) < 3 or fields[1][0] != _INTEGER:
        raise CertificateError("not an RSA private key")
    return "rsa", _int(fields[1][1])


def _ec_private(body: bytes, curve: Optional[bytes]) -> PublicKey:
    # ECPrivateKey: version 1, privateKey OCTET STRING, [0] parameters (curve OID), [1] publicKey
    fields = _der_children(_der_children(body)[0][1])
    if len(fields) < 2 or fields[1][0] != _OCTET_STRING:
        raise CertificateError("not an EC private key")
    for tag, value in fields[2:]:
        if tag == 0xA0:
            curve = _der_children(value)[0][1]
        elif tag == 0xA1:
            return _ec_point(curve or b"", _der_children(value)[0][1][1:])
    if curve not in _CURVES:
        raise CertificateError("the EC key's curve is not one of P-256, P-384 and P-521")
    x, y = _ec_multiply(curve, _int(fields[1][1]))
    return "ec", (curve, x, y & 1)


def private_key_public(pem: str) -> Optional[PublicKey]:
    """The public half of the first private key in ``pem`` (PKCS#1 ``RSA PRIVATE KEY``, SEC 1
    ``EC PRIVATE KEY`` or PKCS#8 ``PRIVATE KEY`` holding either): ``None`` for other key types.

    Raises ``CertificateError`` when there is no private key block, when it is encrypted, or when
    it cannot be parsed. Nothing of the key is ever put into the message.
    """
    for match in _PEM_BLOCK.finditer(pem or ""):
        label = match.group("label")
        if label == "ENCRYPTED PRIVATE KEY" or "Proc-Type: 4,ENCRYPTED" in match.group("body"):
            raise EncryptedKeyError("the private key is encrypted; give it unencrypted (the rack cannot decrypt it)")
        if not label.endswith("PRIVATE KEY"):
            continue
        der = _decode(match.group("body"))
        try:
            if label == "RSA PRIVATE KEY":
                return _rsa_private(der)
            if label == "EC PRIVATE KEY":
                return _ec_private(der, None)
            if label == "PRIVATE KEY":
                # PrivateKeyInfo: version, AlgorithmIdentifier, privateKey OCTET STRING, ...
                fields = _der_children(_der_children(der)[0][1])
                oids = _der_children(fields[1][1])
                if oids[0][1] == _OID_RSA:
                    return _rsa_private(fields[2][1])
                if oids[0][1] == _OID_EC:
                    return _ec_private(fields[2][1], oids[1][1] if len(oids) > 1 else None)
                return None
            return None
        except CertificateError:
            raise
        except (IndexError, ValueError) as exc:
            raise CertificateError("the private key could not be parsed") from exc
    raise CertificateError("no '-----BEGIN ... PRIVATE KEY-----' block found")


def key_matches(certificate_pem: str, key_pem: str) -> Optional[bool]:
    """Whether the private key of ``key_pem`` belongs to the leaf certificate of ``certificate_pem``.

    ``True`` or ``False`` for RSA and ECDSA (P-256, P-384, P-521) keys; ``None`` when either
    key is of another type (nothing is said about it then). ``CertificateError`` when either
    cannot be read.
    """
    blocks = pem_blocks(certificate_pem)
    if not blocks:
        raise _no_certificate()
    public = certificate_public_key(blocks[0])
    private = private_key_public(key_pem)
    if public is None or private is None:
        return None
    return public == private
