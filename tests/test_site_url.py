"""``.ci/serve`` builds the site for the address it serves (docs/_hooks/site_url.py).

Material's instant navigation only works on the origin of ``site_url`` (its docs, "Instant
loading": internal links are intercepted only on that origin; elsewhere every page reloads), so ``PORT=8123 bash .ci/serve`` must build for port 8123.
The script itself is run in a scratch copy of the repository whose setup, mkdocs and server are
stubs that record what they were given.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))

from site_url import main, site_url  # noqa: E402


@pytest.mark.parametrize("host, port, url", [
    ("127.0.0.1", "8000", "http://127.0.0.1:8000/"),
    ("127.0.0.1", "8123", "http://127.0.0.1:8123/"),
    ("localhost", 1, "http://localhost:1/"),
    ("0.0.0.0", "65535", "http://127.0.0.1:65535/"),   # a wildcard bind is reached on loopback
    ("::", "8000", "http://[::1]:8000/"),
    ("::1", "8000", "http://[::1]:8000/"),
    ("example.test", " 080 ", "http://example.test:80/"),
])
def test_site_url_from_host_and_port(host, port, url):
    assert site_url(host, port) == url


@pytest.mark.parametrize("port", ["0", "65536", "80a", "", "-1"])
def test_a_bad_port_is_refused(port, capsys):
    with pytest.raises(ValueError, match="PORT must be a number from 1 to 65535"):
        site_url("127.0.0.1", port)
    assert main(["site_url.py", "127.0.0.1", port or "x"], {}) == 2
    assert "PORT must be a number from 1 to 65535" in capsys.readouterr().err


def test_defaults_and_an_explicit_site_url(capsys):
    assert main(["site_url.py"], {}) == 0
    assert main(["site_url.py", "", ""], {}) == 0
    assert main(["site_url.py", "127.0.0.1", "9"], {"SITE_URL": "https://k8s.example/docs/"}) == 0
    assert capsys.readouterr().out.splitlines() == [
        "http://127.0.0.1:8000/", "http://127.0.0.1:8000/", "https://k8s.example/docs/"]


def _stub(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)


@pytest.fixture
def scratch(tmp_path):
    """A copy of .ci/serve and site_url.py with stub setup, mkdocs and python server."""
    (tmp_path / ".ci").mkdir()
    shutil.copy(ROOT / ".ci" / "serve", tmp_path / ".ci" / "serve")
    (tmp_path / "docs" / "_hooks").mkdir(parents=True)
    shutil.copy(ROOT / "docs" / "_hooks" / "site_url.py", tmp_path / "docs" / "_hooks" / "site_url.py")
    _stub(tmp_path / ".ci" / "setup", "echo setup >> calls\n")
    _stub(tmp_path / ".venv" / "bin" / "mkdocs", 'echo "mkdocs $* SITE_URL=$SITE_URL" >> calls\n')
    # python: the real one for site_url.py, a recorder for the server (instead of serving forever)
    _stub(tmp_path / ".venv" / "bin" / "python",
          f'if [[ "$1" == *serve.py ]]; then echo "serve $*" >> calls; else exec {sys.executable} "$@"; fi\n')
    return tmp_path


def _serve(scratch: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("HOST", "PORT", "SITE_URL")}
    return subprocess.run(["bash", ".ci/serve"], cwd=scratch, env={**environ, **env},
                          capture_output=True, text=True, timeout=60)


def test_serve_builds_for_the_port_it_serves(scratch):
    proc = _serve(scratch, PORT="8123")
    assert proc.returncode == 0, proc.stderr
    assert (scratch / "calls").read_text().splitlines() == [
        "setup",
        "mkdocs build --clean SITE_URL=http://127.0.0.1:8123/",
        "serve docs/_hooks/serve.py site 127.0.0.1 8123",
    ]


def test_serve_defaults_and_host(scratch):
    assert _serve(scratch).returncode == 0
    assert _serve(scratch, HOST="0.0.0.0", PORT="9000").returncode == 0
    assert _serve(scratch, PORT="9001", SITE_URL="https://k8s.example/").returncode == 0
    calls = (scratch / "calls").read_text().splitlines()
    assert [c for c in calls if c != "setup"] == [
        "mkdocs build --clean SITE_URL=http://127.0.0.1:8000/",
        "serve docs/_hooks/serve.py site 127.0.0.1 8000",
        "mkdocs build --clean SITE_URL=http://127.0.0.1:9000/",
        "serve docs/_hooks/serve.py site 0.0.0.0 9000",
        "mkdocs build --clean SITE_URL=https://k8s.example/",
        "serve docs/_hooks/serve.py site 127.0.0.1 9001",
    ]


def test_serve_stops_on_a_bad_port_before_building(scratch):
    proc = _serve(scratch, PORT="http")
    assert proc.returncode != 0
    assert "PORT must be a number from 1 to 65535, not 'http'" in proc.stderr
    assert "mkdocs" not in (scratch / "calls").read_text()
