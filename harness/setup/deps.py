"""Make sure the tools a subcommand needs are installed.

As root, missing Debian packages are installed with apt-get (after one
apt-get update if the first try fails); otherwise a one-line message says
what to install and the run ends with status 2. With SSESPEC_NO_INSTALL=1
in the environment nothing is ever installed automatically (apt-get, npm):
the run ends with status 2 and the command that would have run.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.core.errors import Fatal


@dataclass(frozen=True)
class Dep:
    what: str
    present: Callable[[], bool]
    packages: tuple[str, ...]


def _which(*names: str) -> Callable[[], bool]:
    return lambda: any(shutil.which(n) for n in names)


def _header(name: str) -> Callable[[], bool]:
    """Whether a C header is where Debian's -dev packages put it."""
    return lambda: any((Path(d) / name).exists()
                       for d in ("/usr/include", "/usr/include/x86_64-linux-gnu",
                                 "/usr/include/aarch64-linux-gnu", "/usr/local/include"))


def _module(name: str) -> Callable[[], bool]:
    def present() -> bool:
        importlib.invalidate_caches()
        return importlib.util.find_spec(name) is not None
    return present


def _clang_links_fuzzer(clang: str) -> bool:
    """Whether clang links a libFuzzer target with ASan and UBSan (the
    runtime, libclang-rt-14-dev on Debian, is there)."""
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "t.c"
        src.write_text("#include <stddef.h>\n#include <stdint.h>\n"
                       "int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)"
                       " { (void)d; (void)n; return 0; }\n")
        r = subprocess.run([clang, "-fsanitize=fuzzer,address,undefined", str(src), "-o",
                            str(Path(d) / "t")], capture_output=True, stdin=subprocess.DEVNULL)
        return r.returncode == 0


def find_clang_fuzzer() -> str | None:
    """The path of a clang with its libFuzzer runtime, or None."""
    for name in ("clang", "clang-14"):
        path = shutil.which(name)
        if path and _clang_links_fuzzer(path):
            return path
    return None


DEPS: dict[str, Dep] = {
    "cmake": Dep("cmake", _which("cmake"), ("cmake",)),
    "cc": Dep("a C compiler (gcc)", _which("gcc", "cc"), ("gcc", "libc6-dev")),
    "make": Dep("make", _which("make"), ("make",)),
    # the server and the client link OpenSSL (TLS) and nghttp2 (HTTP/2); the
    # server zlib and brotli (content codings), found with pkg-config
    "libssl-dev": Dep("OpenSSL's headers (libssl-dev)", _header("openssl/ssl.h"), ("libssl-dev",)),
    "pkg-config": Dep("pkg-config", _which("pkg-config"), ("pkg-config",)),
    "libnghttp2-dev": Dep("nghttp2's headers (libnghttp2-dev)", _header("nghttp2/nghttp2.h"),
                          ("libnghttp2-dev",)),
    "zlib1g-dev": Dep("zlib's headers (zlib1g-dev)", _header("zlib.h"), ("zlib1g-dev",)),
    "libbrotli-dev": Dep("brotli's headers (libbrotli-dev)", _header("brotli/encode.h"),
                         ("libbrotli-dev",)),
    # tests/server: real HTTP/2 and compression peers
    "curl": Dep("curl", _which("curl"), ("curl",)),
    "nghttp": Dep("nghttp (nghttp2-client)", _which("nghttp"), ("nghttp2-client",)),
    "brotli": Dep("the brotli command", _which("brotli"), ("brotli",)),
    # lint's test through a reverse proxy
    "nginx": Dep("nginx", _which("nginx", "/usr/sbin/nginx"), ("nginx-light",)),
    "pytest": Dep("pytest for /usr/bin/python3", _module("pytest"), ("python3-pytest",)),
    "yaml": Dep("PyYAML for /usr/bin/python3", _module("yaml"), ("python3-yaml",)),
    # the literal client's HTTP/2 (tests/support/literal_client.py --h2)
    "h2": Dep("the h2 package for /usr/bin/python3", _module("h2"), ("python3-h2",)),
    "pytest-xdist": Dep("pytest-xdist for /usr/bin/python3", _module("xdist"),
                        ("python3-pytest-xdist",)),
    "node": Dep("node", _which("node"), ("nodejs",)),
    "npm": Dep("npm", _which("npm"), ("npm",)),
    "openssl": Dep("the openssl command", _which("openssl"), ("openssl",)),
    # ./ssespec test: the C sources keep to .clang-format, the Python ones
    # pass pyflakes and isort (Debian's, for /usr/bin/python3)
    "clang-format": Dep("clang-format", _which("clang-format"), ("clang-format",)),
    "pyflakes": Dep("pyflakes for /usr/bin/python3", _module("pyflakes"), ("python3-pyflakes",)),
    "isort": Dep("isort for /usr/bin/python3", _module("isort"), ("python3-isort",)),
    # ./ssespec fuzz (harness/fuzz/libfuzzer.py)
    "clang-fuzzer": Dep("clang with its libFuzzer runtime", lambda: find_clang_fuzzer() is not None,
                        ("clang", "libclang-rt-14-dev")),
}
BUILD = ("cmake", "cc", "make", "pkg-config", "libssl-dev", "libnghttp2-dev", "zlib1g-dev",
         "libbrotli-dev")


def _apt(args: list[str]) -> int:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    return subprocess.call(["apt-get", *args], stdout=sys.stderr, stdin=subprocess.DEVNULL, env=env)


def debian_installed(package: str) -> bool:
    """Whether dpkg has the Debian package installed (False without dpkg)."""
    if not shutil.which("dpkg-query"):
        return False
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    return p.returncode == 0 and "install ok installed" in p.stdout


def ensure_packages(*packages: str) -> None:
    """Install (as root) or demand (otherwise) the Debian packages named, as
    an adapter manifest's "apt" list asks."""
    missing = [Dep(p, lambda p=p: debian_installed(p), (p,))
               for p in dict.fromkeys(packages) if not debian_installed(p)]
    _install(missing)


def ensure(*names: str) -> None:
    """Install (as root) or demand (otherwise) every dependency named."""
    _install([DEPS[n] for n in dict.fromkeys(names) if not DEPS[n].present()])


def missing_packages(*names: str) -> list[str]:
    """The Debian packages that would install what is missing of names."""
    return list(dict.fromkeys(p for n in dict.fromkeys(names) if not DEPS[n].present()
                              for p in DEPS[n].packages))


def no_install() -> bool:
    """Whether SSESPEC_NO_INSTALL=1 forbids automatic installs."""
    return os.environ.get("SSESPEC_NO_INSTALL", "") not in ("", "0")


def refuse_install(what: str, command: str) -> None:
    """Fatal naming the install command, when automatic installs are off."""
    if no_install():
        raise Fatal(f"{what}; SSESPEC_NO_INSTALL is set, so run it yourself: {command}")


def _install(missing: list[Dep]) -> None:
    if not missing:
        return
    things = " and ".join(d.what for d in missing)
    verb = "is" if len(missing) == 1 else "are"
    packages = [p for d in missing for p in d.packages]
    refuse_install(f"{things} {verb} missing", f"apt-get install -y {' '.join(packages)}")
    if os.geteuid() != 0:
        raise Fatal(f"{things} {verb} missing; install {'it' if len(missing) == 1 else 'them'} with: "
                    f"sudo apt-get install -y {' '.join(packages)}")
    if not shutil.which("apt-get"):
        raise Fatal(f"{things} {verb} missing and apt-get is not available to install "
                    f"{' '.join(packages)}")
    print(f"ssespec: installing {' '.join(packages)}", file=sys.stderr, flush=True)
    if _apt(["install", "-y", *packages]) != 0:
        _apt(["update"])
        if _apt(["install", "-y", *packages]) != 0:
            raise Fatal(f"apt-get install -y {' '.join(packages)} failed")
    still = [d.what for d in missing if not d.present()]
    if still:
        raise Fatal(f"{' and '.join(still)} still missing after installing {' '.join(packages)}")
