"""Throwaway TLS material for the test servers: a CA and a server certificate.

The server certificate is valid for ``localhost`` and ``127.0.0.1`` so clients can
verify both the chain (with ``ca_file``) and the host name. The ``cryptography``
package is used when installed; otherwise the ``openssl`` command line tool.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import shutil
import ssl
import subprocess
from dataclasses import dataclass
from pathlib import Path

SERVER_NAMES = ("localhost",)
SERVER_IPS = ("127.0.0.1",)
_VALID_DAYS = 30


@dataclass(frozen=True)
class TlsCerts:
    """Paths of the PEM files, plus ready-made SSL contexts."""

    directory: Path
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        """An SSL context for a server presenting the test certificate."""
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts only the test CA."""
        return ssl.create_default_context(cafile=str(self.ca_file))


def make_certs(directory: Path, backend: str = "auto") -> TlsCerts:
    """Write a fresh CA and server certificate into *directory*.

    *backend* is ``"cryptography"``, ``"openssl"`` or ``"auto"`` (the package when
    importable, else the CLI). Files are world-readable on purpose: Dovecot's
    unprivileged processes and the test user may need them; they protect nothing.
    """
    directory.mkdir(parents=True, exist_ok=True)
    certs = TlsCerts(
        directory=directory,
        ca_file=directory / "ca.pem",
        cert_file=directory / "server.pem",
        key_file=directory / "server.key",
    )
    if backend == "auto":
        backend = "cryptography" if _have_cryptography() else "openssl"
    if backend == "cryptography":
        _make_with_cryptography(certs)
    elif backend == "openssl":
        _make_with_openssl(certs)
    else:
        raise ValueError(f"unknown TLS backend {backend!r}")
    for path in (certs.ca_file, certs.cert_file, certs.key_file):
        path.chmod(0o644)
    return certs


def _have_cryptography() -> bool:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        return False
    return True


def _make_with_cryptography(certs: TlsCerts) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("klachten test CA")
    ca_cert = (
        _cert_builder(x509, ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names = [x509.DNSName(n) for n in SERVER_NAMES] + [
        x509.IPAddress(ipaddress.ip_address(ip)) for ip in SERVER_IPS
    ]
    cert = (
        _cert_builder(x509, name(SERVER_NAMES[0]), ca_name, key.public_key(), now)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    certs.ca_file.write_bytes(ca_cert.public_bytes(pem))
    certs.cert_file.write_bytes(cert.public_bytes(pem))
    certs.key_file.write_bytes(
        key.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def _cert_builder(x509, subject, issuer, public_key, now: dt.datetime):
    """The fields every certificate here shares: names, key, serial, validity."""
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=_VALID_DAYS))
    )


def _make_with_openssl(certs: TlsCerts) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("neither the cryptography package nor openssl is available")
    d = certs.directory
    ca_key, csr, ext = d / "ca.key", d / "server.csr", d / "server.ext"
    days = str(_VALID_DAYS)
    ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    # Options beside their values read better than the formatter's one word a line.
    # fmt: off
    _run(openssl, "req", "-x509", *ec_key,
         "-keyout", ca_key, "-out", certs.ca_file, "-days", days,
         "-subj", "/CN=klachten test CA",
         "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
    _run(openssl, "req", "-new", *ec_key,
         "-keyout", certs.key_file, "-out", csr,
         "-subj", f"/CN={SERVER_NAMES[0]}")
    # fmt: on
    sans = [f"DNS:{n}" for n in SERVER_NAMES] + [f"IP:{ip}" for ip in SERVER_IPS]
    ext.write_text(
        f"subjectAltName={','.join(sans)}\n"
        "basicConstraints=critical,CA:FALSE\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectKeyIdentifier=hash\n"
        "authorityKeyIdentifier=keyid\n"
    )
    # fmt: off
    _run(openssl, "x509", "-req", "-in", csr, "-out", certs.cert_file,
         "-CA", certs.ca_file, "-CAkey", ca_key, "-CAcreateserial",
         "-sha256", "-days", days, "-extfile", ext)
    # fmt: on


def _run(*argv: str | Path) -> None:
    result = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{argv[0]} {argv[1]} failed: {result.stderr.strip()}")
