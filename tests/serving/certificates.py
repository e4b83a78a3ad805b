"""Self-signed certificates made at test time (with `cryptography`) for 127.0.0.1 and
localhost, as PEM files: what `--tls-cert` and `--tls-key` are given in the TLS tests."""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Certificate:
    """A certificate's PEM file and its private key's."""

    cert: Path
    key: Path


def self_signed(folder: Path, name: str = "server") -> Certificate:
    """Write `name`.crt and `name`.key into `folder`: a certificate for 127.0.0.1 and
    localhost, valid from a day ago for a year, signed by its own key."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(private_pem(key))
    key_path.chmod(0o600)
    return Certificate(cert_path, key_path)


def private_pem(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, passphrase: bytes | None = None
) -> bytes:
    """Return `key` as PKCS#8 PEM, encrypted with `passphrase` when one is given."""
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def another_key(folder: Path, passphrase: bytes | None = None, kind: str = "ec") -> Path:
    """Write a new private key (not any certificate's) of `kind` (ec, rsa) into `folder`;
    return its path."""
    path = folder / f"{kind}{'-encrypted' if passphrase else ''}.key"
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if kind == "rsa"
        else ec.generate_private_key(ec.SECP256R1())
    )
    path.write_bytes(private_pem(key, passphrase))
    return path
