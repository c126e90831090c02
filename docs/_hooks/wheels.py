"""Build the two pure-Python wheels the in-browser runner unpacks into Pyodide.

* ``k8score-<version>-py3-none-any.whl`` from the working tree's ``k8score/``;
* ``pyyaml-<version>-py3-none-any.whl`` from the PyYAML sdist's ``lib/yaml/`` (pure Python; it
  falls back from libyaml by itself). PyPI has no pure PyYAML wheel. The sdist is cached in
  ``build/sdist/`` (gitignored): ``.ci/setup`` downloads it, and the build downloads it when
  missing (``pip download --no-binary PyYAML --no-deps``).

The wheels are written by a small deterministic zip writer, not ``pip wheel``: sorted entries,
fixed timestamps, a RECORD with sha256 hashes -- the same tree gives the same bytes, and it takes
milliseconds (no build backend, no network).

Each wheel also carries ``__pycache__/*.cpython-314.pyc`` compiled by the bundled Pyodide itself
(``web/tools/pyc.mjs`` under Node, ~3 s per build): unchecked-hash .pyc files (PEP 552), so the
browser skips compiling every module on each page load. The sources stay in the wheel
(tracebacks show them). ``stdlib-pyc.zip`` holds sourceless .pyc files of the standard-library
modules k8score imports (Pyodide ships their sources only); the worker puts them first on
``sys.path``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SDIST_CACHE = ROOT / "build" / "sdist"
_EPOCH = (1980, 1, 1, 0, 0, 0)


def write_wheel(out_dir: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """Write a ``py3-none-any`` wheel holding ``files`` (archive path -> bytes); return its path."""
    dist = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}"
    info = f"{dist}.dist-info"
    meta = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: k8score-site\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n"
        ),
    }
    entries = dict(sorted(files.items())) | meta
    record = []
    for path, data in entries.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    entries[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    # entries stay in this order: the package files sorted, then the dist-info with RECORD last
    return _write_archive(out_dir / f"{dist}-py3-none-any.whl", entries.items())


def k8score_files() -> dict[str, bytes]:
    """The working tree's ``k8score`` package (every file but caches), by archive path."""
    files = {}
    for path in sorted((ROOT / "k8score").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".pyo"):
            files[path.relative_to(ROOT).as_posix()] = path.read_bytes()
    return files


def pyodide_pyc(files: dict[str, bytes], imports: list[str]) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """Compile with the bundled Pyodide (Node): ``(.pyc per .py in files, stdlib .pyc)``.

    The second dict holds sourceless ``.pyc`` files of the standard-library modules that
    importing ``imports`` loads beyond a bare Pyodide start (see ``web/tools/pyc.mjs``).
    """
    sources = {p: data.decode("utf-8") for p, data in files.items() if p.endswith(".py")}
    proc = subprocess.run(
        ["node", str(ROOT / "web" / "tools" / "pyc.mjs")],
        input=json.dumps({"files": sources, "imports": imports}),
        capture_output=True, text=True, cwd=ROOT,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"compiling .pyc with Pyodide failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout)
    decode = lambda d: {p: base64.b64decode(b) for p, b in d.items()}  # noqa: E731
    return decode(out["pyc"]), decode(out["stdlib"])


def write_zip(target: Path, files: dict[str, bytes]) -> Path:
    """A plain deterministic zip (sorted entries, fixed timestamps)."""
    return _write_archive(target, sorted(files.items()))


def _write_archive(target: Path, entries: Iterable[tuple[str, bytes]]) -> Path:
    # entries written in the order given, each with the same timestamp and mode, so equal
    # input gives equal bytes
    target.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, data in entries:
            zi = zipfile.ZipInfo(path, _EPOCH)
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    target.write_bytes(buf.getvalue())
    return target


def pyyaml_version() -> str:
    """The PyYAML version pinned in pyproject.toml."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        m = re.fullmatch(r"(?i)pyyaml==([\w.]+)", dep.replace(" ", ""))
        if m:
            return m[1]
    raise RuntimeError("pyproject.toml does not pin PyYAML==<version>")


def pyyaml_sdist(version: str) -> Path:
    """The cached PyYAML sdist, downloaded from the package index when missing."""
    found = [p for p in SDIST_CACHE.glob("*.tar.gz") if p.name.lower() == f"pyyaml-{version}.tar.gz"]
    if found:
        return found[0]
    SDIST_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--no-binary", "PyYAML", "--no-deps",
         f"PyYAML=={version}", "-d", str(SDIST_CACHE)],
        check=True,
    )
    return pyyaml_sdist(version)


def pyyaml_files(version: str) -> dict[str, bytes]:
    """PyYAML's pure-Python ``lib/yaml/`` from its sdist, by archive path (``yaml/...``)."""
    files = {}
    with tarfile.open(pyyaml_sdist(version)) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and parts[1:3] == ["lib", "yaml"] and member.name.endswith(".py"):
                files["yaml/" + "/".join(parts[3:])] = tar.extractfile(member).read()
    if "yaml/__init__.py" not in files:
        raise RuntimeError("PyYAML sdist has no lib/yaml/__init__.py")
    return files


def build_all(out_dir: Path, precompile: bool = True) -> list[Path]:
    """The k8score and PyYAML wheels, plus (precompile) ``stdlib-pyc.zip``, into ``out_dir``."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    yaml_version = pyyaml_version()
    k8s, yml = k8score_files(), pyyaml_files(yaml_version)
    stdlib = None
    if precompile:
        pyc, stdlib = pyodide_pyc(k8s | yml, ["yaml", "k8score"])
        k8s |= {p: b for p, b in pyc.items() if p.startswith("k8score/")}
        yml |= {p: b for p, b in pyc.items() if p.startswith("yaml/")}
    built = [
        write_wheel(out_dir, project["name"], project["version"], k8s),
        write_wheel(out_dir, "PyYAML", yaml_version, yml),
    ]
    if stdlib is not None:
        built.append(write_zip(out_dir / "stdlib-pyc.zip", stdlib))
    return built


if __name__ == "__main__":
    for wheel in build_all(Path(sys.argv[1] if len(sys.argv) > 1 else "dist")):
        print(wheel)
