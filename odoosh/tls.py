"""The sandbox's own certificate authority: TLS for loopback servers that clients verify.

The previews' reverse proxy and the S3 double's TLS front are real HTTPS servers; their clients
(the smoke probe, pgBackRest) verify certificates as they would in production, against this CA
instead of the public ones. One CA per state directory, created once and kept, so a user or a
script can trust `ca.crt` for as long as the sandbox lives.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
LEAF_DAYS = 825  # the longest validity clients accept for a server certificate
# A file name derived from the host names; anything else in a name becomes "_".
_UNSAFE = re.compile(r"[^A-Za-z0-9.-]")


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


class SandboxCA:
    """A CA under `directory` (`ca.crt`, `ca.key`), issuing server certificates beside it."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @property
    def cert(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def _key(self) -> Path:
        return self.directory / "ca.key"

    def ensure(self) -> Path:
        """Create the CA unless it exists; return the path of its certificate (what clients trust)."""
        if self.cert.exists() and self._key.exists():
            return self.cert
        self.directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "odoosh sandbox CA")])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        _write_key(self._key, key)
        self.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return self.cert

    def issue(self, *names: str, client: bool = False) -> Certificate:
        """A server certificate for these DNS names or IP addresses, issued once and reused;
        `client`: a client certificate (CN names[0]) for TLS client authentication instead."""
        if not names:
            raise ValueError("a certificate needs at least one host name")
        self.ensure()
        stem = _UNSAFE.sub("_", "+".join(names)) + (".client" if client else "")
        issued = Certificate(self.directory / f"{stem}.crt", self.directory / f"{stem}.key")
        if issued.cert.exists() and issued.key.exists():
            return issued
        ca_key = serialization.load_pem_private_key(self._key.read_bytes(), password=None)
        ca_cert = x509.load_pem_x509_certificate(self.cert.read_bytes())
        key = ec.generate_private_key(ec.SECP256R1())
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]),
                critical=False,
            )
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(issued.key, key)
        issued.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return issued


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)
