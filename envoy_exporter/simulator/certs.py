"""The simulated gateway's self-signed TLS certificate, made fresh at every start.

A real IQ Gateway (firmware 7 and newer) serves HTTPS with a certificate that no public
authority signed, so clients must turn verification off; the simulator does the same.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID


def self_signed_pem(
    host: str, key: CertificateIssuerPrivateKeyTypes | None = None
) -> tuple[bytes, bytes]:
    """A (certificate, private key) PEM pair for `host` (an IP address or a name).

    `key`: the key to certify (a new EC key by default; old firmware's RSA key exchange
    needs an RSA one)."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "envoy")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(_alt_names(host)), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _alt_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName("envoy.local"), x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    return names


def server_context(
    host: str, key: CertificateIssuerPrivateKeyTypes | None = None
) -> ssl.SSLContext:
    """A server-side TLS context holding a new self-signed certificate for `host`."""
    cert_pem, key_pem = self_signed_pem(host, key)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # ssl loads a chain from files only. An anonymous in-memory file (Linux memfd) needs no
    # writable folder, so a container with a read-only root and no /tmp still starts.
    if hasattr(os, "memfd_create") and os.path.isdir("/proc/self/fd"):
        fd = os.memfd_create("envoy-sim-tls", 0)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key_pem + cert_pem)
            handle.flush()
            context.load_cert_chain(f"/proc/self/fd/{fd}")
        return context
    load_through_folder(context, cert_pem, key_pem)
    return context


def load_through_folder(context: ssl.SSLContext, cert_pem: bytes, key_pem: bytes) -> None:
    """Where memfd is missing: write the pair to a private temporary folder, load it,
    remove it at once. Without a writable one, an OSError says how to give one."""
    try:
        with tempfile.TemporaryDirectory(prefix="envoy-sim-tls-") as folder:
            cert_path = os.path.join(folder, "cert.pem")
            key_path = os.path.join(folder, "key.pem")
            for path, data in ((cert_path, cert_pem), (key_path, key_pem)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
            context.load_cert_chain(cert_path, key_path)
    except OSError as exc:
        raise OSError(
            f"cannot write the simulated gateway's TLS certificate to a temporary folder "
            f"({tempfile.gettempdir()}): {exc.strerror or exc}; point TMPDIR at a writable "
            "folder (in a container: a tmpfs such as --tmpfs /tmp)"
        ) from None
