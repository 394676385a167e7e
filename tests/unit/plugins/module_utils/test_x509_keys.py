# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""x509.key_matches: a private key against a certificate, with the standard library only.

Keys and certificates are made here with ``cryptography`` (in the dev venv, never needed by
the modules): RSA in PKCS#1 and PKCS#8, EC P-256/P-384/P-521 in SEC 1 and PKCS#8, an EC key
without its public point (so the reader computes it), and pairs that do not belong together.
"""

from __future__ import annotations

import base64
import datetime
from typing import Any, Tuple

import pytest

from ansible_collections.convox.convox.plugins.module_utils import x509

cryptography = pytest.importorskip("cryptography")

from cryptography import x509 as cx509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

PKCS1 = serialization.PrivateFormat.TraditionalOpenSSL
PKCS8 = serialization.PrivateFormat.PKCS8


def _certificate(key: Any) -> str:
    name = cx509.Name([cx509.NameAttribute(NameOID.COMMON_NAME, "example.com")])
    now = datetime.datetime.now(datetime.timezone.utc)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    cert = (
        cx509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, algorithm)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: Any, fmt: Any) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _pair(kind: str) -> Tuple[Any, Any]:
    if kind == "rsa":
        return rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    curve = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1}[kind]
    return ec.generate_private_key(curve()), ec.generate_private_key(curve())


@pytest.mark.parametrize("kind", ["rsa", "p256", "p384", "p521"])
@pytest.mark.parametrize("fmt", [PKCS1, PKCS8], ids=["pkcs1-or-sec1", "pkcs8"])
def test_key_matches_its_certificate_and_not_another(kind: str, fmt: Any) -> None:
    key, other = _pair(kind)
    cert = _certificate(key)
    assert x509.key_matches(cert, _key_pem(key, fmt)) is True
    assert x509.key_matches(cert, _key_pem(other, fmt)) is False
    assert x509.key_matches(_certificate(other), _key_pem(key, fmt)) is False


def test_rsa_key_against_ec_certificate_is_a_mismatch() -> None:
    rsa_key, _other = _pair("rsa")
    ec_key, _other = _pair("p256")
    assert x509.key_matches(_certificate(ec_key), _key_pem(rsa_key, PKCS8)) is False
    assert x509.key_matches(_certificate(rsa_key), _key_pem(ec_key, PKCS1)) is False


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(value)) + value


@pytest.mark.parametrize("kind", ["p256", "p384", "p521"])
def test_ec_key_without_public_point_is_computed(kind: str) -> None:
    key, other = _pair(kind)
    numbers = key.private_numbers()
    size = (key.curve.key_size + 7) // 8
    curve_oid = {"p256": "2a8648ce3d030107", "p384": "2b81040022", "p521": "2b81040023"}[kind]
    # ECPrivateKey without the optional [1] publicKey
    body = _tlv(0x02, b"\x01") + _tlv(0x04, numbers.private_value.to_bytes(size, "big"))
    body += _tlv(0xA0, _tlv(0x06, bytes.fromhex(curve_oid)))
    der = _tlv(0x30, body)
    pem = "-----BEGIN EC PRIVATE KEY-----\n" + base64.encodebytes(der).decode() + "-----END EC PRIVATE KEY-----\n"
    assert x509.key_matches(_certificate(key), pem) is True
    assert x509.key_matches(_certificate(other), pem) is False


def test_compressed_point_certificate_matches() -> None:
    key, other = _pair("p256")
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    assert x509._ec_point(b"c", point) == x509._ec_point(
        b"c",
        key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint),
    )
    assert x509._ec_point(b"c", point) != x509._ec_point(
        b"c", other.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )


def test_other_key_types_are_not_judged() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    assert x509.key_matches(_certificate(key), _key_pem(key, PKCS8)) is None


@pytest.mark.parametrize(
    ("key_pem", "message"),
    [
        ("not a key", "no '-----BEGIN ... PRIVATE KEY-----' block"),
        ("-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----\n", "could not be parsed"),
        ("-----BEGIN RSA PRIVATE KEY-----\n!!!\n-----END RSA PRIVATE KEY-----\n", "base64"),
    ],
)
def test_unreadable_keys_raise_without_the_key(key_pem: str, message: str) -> None:
    key, _other = _pair("p256")
    with pytest.raises(x509.CertificateError) as info:
        x509.key_matches(_certificate(key), key_pem)
    assert message in str(info.value)


def test_encrypted_key_is_refused() -> None:
    key, _other = _pair("p256")
    pem = key.private_bytes(serialization.Encoding.PEM, PKCS8, serialization.BestAvailableEncryption(b"pass")).decode()
    with pytest.raises(x509.CertificateError, match="encrypted"):
        x509.key_matches(_certificate(key), pem)


def test_reader_imports_no_cryptography() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(x509))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "base64", "binascii", "datetime", "hashlib", "re", "typing"}
