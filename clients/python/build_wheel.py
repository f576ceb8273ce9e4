"""Builds the arrowcid wheel: the package with libarrowcid inside it, installable by any pip.

    python3 clients/python/build_wheel.py [--native DIR] [--out DIR]

takes the package (clients/python/arrowcid) and every ``*.so`` of the published library
(``artifacts/native``: the loader libarrowcid.so, the builds it chooses from, libe_sqlite3.so)
and writes ``artifacts/python/arrowcid-VERSION-py3-none-PLATFORM.whl``; it prints the wheel's path.

A wheel is what a pip of any age installs without building anything: no setuptools, no wheel
package, no network, no build isolation. Written with the standard library alone (a wheel is a
zip file with a dist-info folder, PEP 427), so this works on the interpreter a user has.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
import sysconfig
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGE = "arrowcid"


def project_version() -> str:
    """The version pyproject.toml declares (one version for every artefact)."""
    text = (HERE / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', text)
    if match is None:
        raise SystemExit("clients/python/pyproject.toml declares no version")
    return match.group(1)


def platform_tag() -> str:
    """This interpreter's platform as a wheel tag: linux_x86_64, linux_aarch64…"""
    return re.sub(r"[-.]", "_", sysconfig.get_platform())


def metadata(version: str) -> str:
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    return (
        "Metadata-Version: 2.1\n"
        f"Name: {PACKAGE}\n"
        f"Version: {version}\n"
        "Summary: ArrowCid from Python: CIDs, the repository and shared memory through libarrowcid "
        "and the Arrow PyCapsule interface\n"
        "License: Apache-2.0\n"
        "Requires-Python: >=3.9\n"
        "Description-Content-Type: text/markdown\n"
        "\n" + readme
    )


def wheel_file(tag: str) -> str:
    return (
        "Wheel-Version: 1.0\n"
        "Generator: arrowcid build_wheel.py\n"
        "Root-Is-Purelib: false\n"
        f"Tag: {tag}\n"
    )


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def build(native: Path, out: Path) -> Path:
    """Writes the wheel into ``out`` and returns its path."""
    libraries = sorted(native.glob("*.so"))
    if not any(path.name == "libarrowcid.so" for path in libraries):
        raise SystemExit(
            f"{native / 'libarrowcid.so'} not found: publish it first with "
            "`dotnet publish src/ArrowCid.Native -c Release -r linux-x64 -o artifacts/native`")
    version = project_version()
    tag = f"py3-none-{platform_tag()}"
    sources = sorted(p for p in (HERE / PACKAGE).iterdir() if p.is_file() and p.suffix in (".py", ".typed"))
    files: list[tuple[str, bytes]] = [(f"{PACKAGE}/{p.name}", p.read_bytes()) for p in sources]
    files += [(f"{PACKAGE}/{p.name}", p.read_bytes()) for p in libraries]
    dist_info = f"{PACKAGE}-{version}.dist-info"
    files.append((f"{dist_info}/METADATA", metadata(version).encode("utf-8")))
    files.append((f"{dist_info}/WHEEL", wheel_file(tag).encode("utf-8")))
    record = [record_line(name, data) for name, data in files] + [f"{dist_info}/RECORD,,"]
    files.append((f"{dist_info}/RECORD", ("\n".join(record) + "\n").encode("utf-8")))

    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{PACKAGE}-{version}-{tag}.whl"
    partial = wheel.with_suffix(".whl.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            entry = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            # Libraries keep their executable bit (pip restores the mode of the entries).
            mode = 0o755 if name.endswith(".so") else 0o644
            entry.external_attr = (0o100000 | mode) << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, data)
    partial.replace(wheel)
    return wheel


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Build the arrowcid wheel with libarrowcid inside.")
    parser.add_argument("--native", type=Path, default=ROOT / "artifacts" / "native",
                        help="the published library's folder (default: artifacts/native)")
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "python",
                        help="where the wheel is written (default: artifacts/python)")
    arguments = parser.parse_args(argv)
    print(build(arguments.native.resolve(), arguments.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
