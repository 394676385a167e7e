# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a test CA and a certificate it signed into a directory.

Usage: python make_cert.py DIR
Writes DIR/ca.crt, DIR/example.com.crt (CN example.com, DNS example.com and www.example.com,
valid 30 days) and DIR/example.com.key. Prints nothing: the key is a secret of the test.
"""

from __future__ import annotations

import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def main() -> None:
    target = sys.argv[1]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("convox.convox test CA"))
        .issuer_name(name("convox.convox test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=60))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("example.com"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("example.com"), x509.DNSName("www.example.com")]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    os.makedirs(target, exist_ok=True)
    with open(os.path.join(target, "ca.crt"), "wb") as handle:
        handle.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(target, "example.com.crt"), "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with open(os.path.join(target, "example.com.key"), "wb") as handle:
        handle.write(pem_key)


if __name__ == "__main__":
    main()
