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
from typing import Any, Dict, List, Tuple

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
