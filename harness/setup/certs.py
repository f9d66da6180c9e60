"""A throwaway test PKI for one client-suite run, made with the openssl CLI.

Every run makes a fresh certificate authority and a server certificate for
IP:127.0.0.1 and DNS:localhost, in a temporary folder that is removed with
the run: no key is ever kept or committed. The client adapter is told to
trust the CA through SSESPEC_CA_FILE.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import Fatal
from harness.setup import deps

DAYS = "2"
NAMES = "IP:127.0.0.1,DNS:localhost"   # the server certificate's subjectAltName
KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]   # fast to make


@dataclass(frozen=True)
class Pki:
    ca: Path        # the CA certificate (PEM): SSESPEC_CA_FILE
    cert: Path      # the server certificate (PEM)
    key: Path       # the server key (PEM)


def _openssl(args: list[str], cwd: Path) -> None:
    p = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        last = (p.stderr.strip().splitlines() or ["no message"])[-1]
        raise Fatal(f"openssl {args[0]} failed making the test certificates: {last}")


def make_pki(directory: Path, names: str = NAMES) -> Pki:
    """Write ca.pem, server.pem and server.key (and helpers) into directory;
    names is the server certificate's subjectAltName."""
    deps.ensure("openssl")
    d = directory
    d.mkdir(parents=True, exist_ok=True)
    _openssl(["req", "-x509", *KEY, "-nodes", "-keyout", "ca.key",
              "-out", "ca.pem", "-days", DAYS, "-subj", "/CN=ssespec test CA (throwaway)",
              "-addext", "basicConstraints=critical,CA:TRUE",
              "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _openssl(["req", *KEY, "-nodes", "-keyout", "server.key",
              "-out", "server.csr", "-subj", "/CN=127.0.0.1"], d)
    (d / "server.ext").write_text(f"subjectAltName={names}\n"
                                  "basicConstraints=CA:FALSE\n"
                                  "keyUsage=critical,digitalSignature\n"
                                  "extendedKeyUsage=serverAuth\n")
    _openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
              "-CAcreateserial", "-out", "server.pem", "-days", DAYS,
              "-extfile", "server.ext"], d)
    return Pki(ca=d / "ca.pem", cert=d / "server.pem", key=d / "server.key")
