# Copyright (c) convox.convox contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard-library X.509 reader (module_utils/x509.py) against certificates made by real tools.

Certificates and keys are generated here, with the ``cryptography`` package and with the
``openssl`` command (each backend is skipped when it is not installed), and what the reader
answers is compared with what the tool says it made: names, validity dates, SHA-256 fingerprint.
"""

from __future__ import annotations

import base64
import datetime
import os
import shutil
import subprocess
import tempfile
from typing import Any, Dict, Iterator, List, NamedTuple, Optional

import pytest

from ansible_collections.convox.convox.plugins.module_utils import x509

UTC = datetime.timezone.utc


class Made(NamedTuple):
    pem: str
    key_pem: str
    not_before: datetime.datetime
    not_after: datetime.datetime
    fingerprint: str  # as the tool prints it: AB:CD:...


def _has_cryptography() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return False
    return True


class CryptographyMaker:
    """Certificates from the ``cryptography`` package (dates to the second, as given)."""

    def __init__(self) -> None:
        self.now = datetime.datetime.now(UTC).replace(microsecond=0)

    def cert(
        self,
        key: str = "rsa",
        cn: Optional[str] = None,
        sans: Optional[List[str]] = None,
        days: int = 30,
        issuer: Optional[Made] = None,
        critical_san: bool = False,
        ip_sans: Optional[List[str]] = None,
    ) -> Made:
        import ipaddress

        from cryptography import x509 as cx
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec, rsa
        from cryptography.x509.oid import NameOID

        private = rsa.generate_private_key(65537, 2048) if key == "rsa" else ec.generate_private_key(ec.SECP384R1())
        attrs = [cx.NameAttribute(NameOID.ORGANIZATION_NAME, "convox test")]
        if cn is not None:
            attrs.append(cx.NameAttribute(NameOID.COMMON_NAME, cn))
        subject = cx.Name(attrs)
        signer: Any = private
        issuer_name = subject
        if issuer is not None:
            issuer_cert = cx.load_pem_x509_certificate(issuer.pem.encode())
            signer = serialization.load_pem_private_key(issuer.key_pem.encode(), None)
            issuer_name = issuer_cert.subject
        builder = (
            cx.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer_name)
            .public_key(private.public_key())
            .serial_number(cx.random_serial_number())
            .not_valid_before(self.now - datetime.timedelta(days=1))
            .not_valid_after(self.now + datetime.timedelta(days=days))
        )
        names: List[Any] = [cx.DNSName(n) for n in sans or []]
        names += [cx.IPAddress(ipaddress.ip_address(ip)) for ip in ip_sans or []]
        if names:
            builder = builder.add_extension(cx.SubjectAlternativeName(names), critical=critical_san)
        if sans is None and ip_sans is None:
            builder = builder.add_extension(cx.BasicConstraints(ca=True, path_length=None), critical=True)
        cert = builder.sign(signer, hashes.SHA256())
        key_pem = private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        digest = cert.fingerprint(hashes.SHA256()).hex().upper()
        return Made(
            cert.public_bytes(serialization.Encoding.PEM).decode(),
            key_pem,
            cert.not_valid_before_utc,
            cert.not_valid_after_utc,
            ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
        )


class OpensslMaker:
    """Certificates from the ``openssl`` command; dates and fingerprint as ``openssl x509`` prints them."""

    def __init__(self, workdir: str) -> None:
        self.dir = workdir
        self.count = 0

    def _run(self, *args: str) -> str:
        done = subprocess.run(["openssl", *args], check=True, capture_output=True, text=True)
        return done.stdout

    def _file(self, name: str) -> str:
        return os.path.join(self.dir, f"{self.count}-{name}")

    def cert(
        self,
        key: str = "rsa",
        cn: Optional[str] = None,
        sans: Optional[List[str]] = None,
        days: int = 30,
        issuer: Optional[Made] = None,
        critical_san: bool = False,
        ip_sans: Optional[List[str]] = None,
    ) -> Made:
        self.count += 1
        key_file, cert_file, config = self._file("key.pem"), self._file("cert.pem"), self._file("ext.cnf")
        newkey = ["-newkey", "rsa:2048"] if key == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"]
        subject = "/O=convox test" + (f"/CN={cn}" if cn is not None else "")
        names = [f"DNS:{n}" for n in sans or []] + [f"IP:{ip}" for ip in ip_sans or []]
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("[ext]\n")
            if names:
                handle.write(f"subjectAltName = {'critical, ' if critical_san else ''}{', '.join(names)}\n")
            else:
                handle.write("basicConstraints = critical, CA:true\n")
        common = ["-days", str(days), "-sha256", "-extfile", config, "-extensions", "ext"]
        if issuer is None:
            csr = self._file("req.pem")
            self._run("req", "-new", *newkey, "-nodes", "-keyout", key_file, "-subj", subject, "-out", csr)
            self._run("x509", "-req", "-in", csr, "-signkey", key_file, "-out", cert_file, *common)
        else:
            ca_cert, ca_key, csr = self._file("ca.pem"), self._file("ca.key"), self._file("req.pem")
            with open(ca_cert, "w", encoding="utf-8") as handle:
                handle.write(issuer.pem)
            with open(ca_key, "w", encoding="utf-8") as handle:
                handle.write(issuer.key_pem)
            self._run("req", "-new", *newkey, "-nodes", "-keyout", key_file, "-subj", subject, "-out", csr)
            self._run(
                "x509",
                "-req",
                "-in",
                csr,
                "-CA",
                ca_cert,
                "-CAkey",
                ca_key,
                "-set_serial",
                "7",
                "-out",
                cert_file,
                *common,
            )
        out = self._run("x509", "-in", cert_file, "-noout", "-startdate", "-enddate", "-fingerprint", "-sha256")
        fields = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

        def when(text: str) -> datetime.datetime:
            return datetime.datetime.strptime(text.replace("  ", " "), "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)

        with open(cert_file, encoding="utf-8") as handle:
            pem = handle.read()
        with open(key_file, encoding="utf-8") as handle:
            key_pem = handle.read()
        fingerprint = next(v for k, v in fields.items() if "Fingerprint" in k).strip()
        return Made(pem, key_pem, when(fields["notBefore"]), when(fields["notAfter"]), fingerprint)


BACKENDS = ["cryptography", "openssl"]


@pytest.fixture(params=BACKENDS)
def maker(request: Any) -> Iterator[Any]:
    if request.param == "cryptography":
        if not _has_cryptography():
            pytest.skip("the cryptography package is not installed")
        yield CryptographyMaker()
        return
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    workdir = tempfile.mkdtemp(prefix="convox-x509-")
    try:
        yield OpensslMaker(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def expected(made: Made, domain: str, domains: List[str], common_name: str) -> Dict[str, Any]:
    return {
        "domain": domain,
        "domains": domains,
        "common_name": common_name,
        "not_before": made.not_before,
        "expiration": made.not_after,
        "fingerprint": made.fingerprint,
    }


# -- certificates made by the tools ----------------------------------------------------------


@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_common_name_and_several_dns_names(maker: Any, key: str) -> None:
    sans = ["example.com", "www.example.com", "api.example.com", "*.apps.example.com"]
    made = maker.cert(key=key, cn="example.com", sans=sans)
    assert x509.read_certificate(made.pem) == expected(made, "example.com", sans, "example.com")


@pytest.mark.parametrize("key", ["rsa", "ec"])
def test_without_common_name_the_first_dns_name_is_the_domain(maker: Any, key: str) -> None:
    made = maker.cert(key=key, sans=["b.example.org", "a.example.org"])
    assert x509.read_certificate(made.pem) == expected(made, "b.example.org", ["b.example.org", "a.example.org"], "")


def test_common_name_only(maker: Any) -> None:
    made = maker.cert(key="ec", cn="internal.example.com")
    info = x509.read_certificate(made.pem)
    assert info == expected(made, "internal.example.com", [], "internal.example.com")


def test_critical_san_and_ip_addresses(maker: Any) -> None:
    made = maker.cert(cn="host", sans=["host.example.com"], ip_sans=["10.0.0.1", "::1"], critical_san=True)
    info = x509.read_certificate(made.pem)
    assert info["domains"] == ["host.example.com"]  # IP addresses are not domain names
    assert info["domain"] == "host"


def test_expiry_after_2049_is_generalized_time(maker: Any) -> None:
    made = maker.cert(cn="long.example.com", sans=["long.example.com"], days=365 * 40)
    assert made.not_after.year >= 2050
    assert x509.read_certificate(made.pem)["expiration"] == made.not_after


def test_chain_leaf_first_with_text_and_a_key_around(maker: Any) -> None:
    root = maker.cert(key="rsa", cn="convox test root")
    intermediate = maker.cert(key="ec", cn="convox test intermediate", issuer=root)
    leaf = maker.cert(key="ec", cn="leaf.example.com", sans=["leaf.example.com"], issuer=intermediate)
    text = "\n".join(
        [leaf.key_pem, "subject=leaf", leaf.pem, "# intermediate", intermediate.pem, root.pem, "trailing words"]
    )
    assert x509.read_certificate(text) == expected(leaf, "leaf.example.com", ["leaf.example.com"], "leaf.example.com")
    chain = x509.read_chain(text)
    assert [c["fingerprint"] for c in chain] == [leaf.fingerprint, intermediate.fingerprint, root.fingerprint]
    assert [c["domain"] for c in chain] == ["leaf.example.com", "convox test intermediate", "convox test root"]
    assert len(x509.pem_blocks(text)) == 3
    keys = x509.pem_blocks(text, "PRIVATE KEY")
    assert keys == [base64.b64decode("".join(leaf.key_pem.strip().splitlines()[1:-1]))]


def test_a_bad_block_after_the_leaf_is_not_read(maker: Any) -> None:
    made = maker.cert(cn="a.example.com", sans=["a.example.com"])
    text = made.pem + "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"
    assert x509.read_certificate(text)["fingerprint"] == made.fingerprint
    with pytest.raises(x509.CertificateError, match="base64"):
        x509.read_chain(text)


def test_fingerprint_is_sha256_of_the_der(maker: Any) -> None:
    made = maker.cert(cn="f.example.com")
    (der,) = x509.pem_blocks(made.pem)
    assert x509.fingerprint(der) == made.fingerprint
    assert x509.certificate_info(der) == x509.read_certificate(made.pem)


def test_non_ascii_common_names() -> None:
    if not _has_cryptography():
        pytest.skip("the cryptography package is not installed")
    from cryptography import x509 as cx
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(UTC)
    for name_type in (_ASN1Type.UTF8String, _ASN1Type.BMPString):
        subject = cx.Name([cx.NameAttribute(NameOID.COMMON_NAME, "bücher.example", _type=name_type)])
        cert = (
            cx.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(1)
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        info = x509.read_certificate(cert.public_bytes(serialization.Encoding.PEM).decode())
        assert info["domain"] == "bücher.example", name_type


# -- fixed vectors (public test certificates, no key kept) -----------------------------------

# Public test certificates (no key kept), shared with the other unit tests: tests/unit/plugins/data/.
DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _data(name: str) -> str:
    with open(os.path.join(DATA, name), encoding="ascii") as handle:
        return handle.read()


# CN example.com with two DNS names, expiring 2049-12-31T23:59:59Z (UTCTime), and one without a
# CN expiring 2060-06-01T12:00:00Z (GeneralizedTime).
CERT_PEM = _data("example.com.crt")
CERT_SHA256 = "15B27A36725A0017D567424ACAF8412271D6BF27BE661F7B2F998B3AF3AC9479"
SAN_ONLY_PEM = _data("san-only.crt")
SAN_ONLY_SHA256 = "DBE92EEE6564B302A3C5F78BF9F27E0A26D5D36D3943797F3B461C3CD693783D"


def test_read_certificate_matches_openssl_fields() -> None:
    info = x509.read_certificate("junk before\n" + CERT_PEM)
    assert info["domain"] == "example.com"
    assert info["domains"] == ["example.com", "www.example.com"]
    assert info["expiration"] == datetime.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert info["not_before"] == datetime.datetime(2024, 1, 1, tzinfo=UTC)
    assert info["fingerprint"].replace(":", "") == CERT_SHA256


def test_read_certificate_generalized_time_and_no_common_name() -> None:
    info = x509.read_certificate(SAN_ONLY_PEM)
    assert info["domain"] == "only-san.example.com"
    assert info["common_name"] == ""
    assert info["expiration"] == datetime.datetime(2060, 6, 1, 12, 0, 0, tzinfo=UTC)
    assert info["fingerprint"].replace(":", "") == SAN_ONLY_SHA256


# -- bad input ------------------------------------------------------------------------------

KEY_ONLY = "-----BEGIN PRIVATE KEY-----\nMAMCAQE=\n-----END PRIVATE KEY-----\n"


def _pem(der: bytes) -> str:
    return "-----BEGIN CERTIFICATE-----\n" + base64.b64encode(der).decode() + "\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    ("pem", "reason"),
    [
        ("", "no '-----BEGIN CERTIFICATE-----' block"),
        ("just some text", "no '-----BEGIN CERTIFICATE-----' block"),
        (KEY_ONLY, "no '-----BEGIN CERTIFICATE-----' block"),
        ("-----BEGIN CERTIFICATE-----\nMIIB\n", "no '-----BEGIN CERTIFICATE-----' block"),  # no END line
        ("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----", "not valid base64"),
        ("-----BEGIN CERTIFICATE-----\nMAMCAQE\n-----END CERTIFICATE-----", "not valid base64"),  # bad padding
        ("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----", "truncated"),
        (_pem(b"\x02\x01\x01"), "not a DER sequence"),  # an INTEGER
        (_pem(b"\x30\x03\x02\x01\x01"), "truncated"),  # a SEQUENCE of one INTEGER
        (_pem(b"\x30\x05\x30\x03\x02\x01\x01"), "could not be parsed"),  # a tbsCertificate of one INTEGER
        (_pem(b"\x30\x85\x00\x00\x00\x00\x01\x00"), "unsupported DER length"),
        (_pem(b"\x30\x80\x00\x00"), "unsupported DER length"),  # indefinite length (BER, not DER)
        (_pem(b"\x30\x10\x02\x01"), "truncated"),
        (CERT_PEM.replace("MIIBRjCB7aAD", "MIIBRjCB7aAE")[:200] + "\n-----END CERTIFICATE-----", "base64"),
        (_pem(base64.b64decode("".join(CERT_PEM.splitlines()[1:-1]))[:-40]), "truncated"),
    ],
)
def test_bad_input_raises_certificate_error(pem: str, reason: str) -> None:
    with pytest.raises(x509.CertificateError, match=reason):
        x509.read_certificate(pem)
    with pytest.raises(ValueError):  # a CertificateError is a ValueError
        x509.read_chain(pem)


def test_a_broken_validity_is_refused() -> None:
    der = bytearray(base64.b64decode("".join(CERT_PEM.splitlines()[1:-1])))
    at = der.index(b"\x17\x0d491231235959Z")
    der[at] = 0x04  # the notAfter time as an OCTET STRING
    with pytest.raises(x509.CertificateError, match="unexpected time type"):
        x509.certificate_info(bytes(der))
    der[at] = 0x17
    der[at + 2 : at + 4] = b"4x"
    with pytest.raises(x509.CertificateError, match="could not be parsed"):
        x509.certificate_info(bytes(der))


def test_no_private_key_block_is_no_block() -> None:
    assert x509.pem_blocks(CERT_PEM, "PRIVATE KEY") == []
    assert x509.pem_blocks(None) == []  # type: ignore[arg-type]
