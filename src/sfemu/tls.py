"""Certificates for serving the emulator over HTTPS: a throwaway CA and a localhost certificate.

Clients such as simple-salesforce only speak ``https://``, so the emulator serves TLS with a
certificate for ``localhost``, ``127.0.0.1`` and ``::1`` issued by a fresh CA; callers trust
the CA file (``session.verify = ca_path`` or ``REQUESTS_CA_BUNDLE``).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("localhost", "127.0.0.1", "::1")


@dataclass(frozen=True)
class CertificateFiles:
    """Paths of the PEM files written for one emulator."""

    directory: Path
    ca_path: Path
    cert_path: Path
    key_path: Path


def make_certificates(directory: Path | str | None = None) -> CertificateFiles:
    """Create a CA and a server certificate and write them as PEM files into ``directory``.

    A new temporary directory is used when ``directory`` is None.
    """
    target = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="sfemu-"))
    target.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA(organization_name="sfemu test CA")
    server_cert = ca.issue_cert(*SERVER_NAMES)
    files = CertificateFiles(
        directory=target,
        ca_path=target / "sfemu-ca.pem",
        cert_path=target / "sfemu-server.pem",
        key_path=target / "sfemu-server.key",
    )
    ca.cert_pem.write_to_path(str(files.ca_path))
    server_cert.private_key_pem.write_to_path(str(files.key_path))
    files.key_path.chmod(0o600)
    # Write the leaf first, then the chain, so the server sends the full chain.
    files.cert_path.write_bytes(b"".join(blob.bytes() for blob in server_cert.cert_chain_pems))
    return files
