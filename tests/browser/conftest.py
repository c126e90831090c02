"""Browser tests: the built site in headless Chromium (Playwright, system /usr/bin/chromium).

The site is built once per session into a temporary folder (for a free port, or taken from
$K8S_TEST_SITE, a site built with SITE_URL=http://127.0.0.1:$K8S_TEST_PORT/) and served on 127.0.0.1 with the MIME types Pyodide needs. Every page
fixture records requests, console errors, page errors and dialogs and fails the test on any
request that leaves the origin, any console error or page error.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))

import serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
BOOT_TIMEOUT_MS = 90_000  # Pyodide boot is ~6 s here; the machine may be busy


def build_site(out: Path, site_url: str) -> Path:
    """``mkdocs build`` of the repository into ``out`` for ``site_url`` (fails with mkdocs' output)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": site_url}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(out)],
        cwd=ROOT, capture_output=True, text=True, env=env,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{proc.stdout}\n{proc.stderr}")
    return out


@pytest.fixture(scope="session")
def base_url(tmp_path_factory):
    """The site, built for a free port (instant navigation needs site_url's origin), served."""
    # $K8S_TEST_SITE: an already built site, built with SITE_URL=http://127.0.0.1:$K8S_TEST_PORT/
    port = int(os.environ.get("K8S_TEST_PORT", "0")) or serve.free_port()
    url = f"http://127.0.0.1:{port}/"
    site = os.environ.get("K8S_TEST_SITE")
    site = Path(site) if site else build_site(tmp_path_factory.mktemp("site") / "site", url)
    server = serve.serve_in_thread(str(site), port=port)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("no /usr/bin/chromium (bash .ci/setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Recorder:
    def __init__(self, page, origin: str):
        self.origin = origin
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.failed: list[str] = []  # responses >= 400 (a broken image or script link)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: r.status >= 400 and self.failed.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("dialog", self._dialog)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def off_origin(self) -> list[str]:
        return [u for u in self.requests if not (u.startswith(self.origin) or u.startswith(("data:", "blob:")))]


def new_page(browser, base_url, **context_args):
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(BOOT_TIMEOUT_MS)
    page.rec = Recorder(page, base_url)
    return context, page


@pytest.fixture
def page(browser, base_url):
    context, page = new_page(browser, base_url)
    yield page
    rec = page.rec
    context.close()
    assert rec.off_origin() == [], "requests left the site's origin"
    assert rec.failed == [], "responses with an error status"
    assert rec.errors == [], "console errors"
    assert rec.dialogs == [], "a dialog fired (code injected into the page?)"
