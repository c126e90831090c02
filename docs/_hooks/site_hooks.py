"""mkdocs hooks: runnable ``python run`` blocks and the browser runtime.

* ``on_page_markdown``: runs the page's runnable blocks natively (one fresh namespace per page,
  in order), replaces each fence by a placeholder; ``on_page_content`` swaps the placeholder for
  the block's HTML (highlighted code + build-time output + inline SVG diagrams). A block that
  raises fails the build unless its fence says ``expect-error``. ``on_pre_build`` already started
  every page (both languages) in a process pool (prerun.py); the page takes its results from it.
* ``on_post_build``: writes what the browser runner needs into ``site/assets/`` (once per site:
  not again in the English pass of mkdocs-static-i18n, whose pages use the same assets):
  ``pyodide/`` (runtime copied from ``node_modules/pyodide``), ``k8s-run/`` (esbuild bundle of
  ``web/``, the two wheels).

Listed in mkdocs.yml under ``hooks:``; the folder is excluded from the site by ``exclude_docs``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority

import blocks as _blocks
import i18n_site as _i18n_site
import native as _native
import prerun as _prerun_mod
import render as _render
import wheels as _wheels

log = logging.getLogger("mkdocs.hooks.k8s_run")

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
PYODIDE_DIR = ROOT / "node_modules" / "pyodide"
# Everything loadPyodide() fetches for a bare start (no packages from the lock file).
PYODIDE_FILES = (
    "pyodide.mjs", "pyodide.js", "pyodide.asm.mjs", "pyodide.asm.wasm",
    "python_stdlib.zip", "pyodide-lock.json",
)
_TOKEN = "K8SRUNBLOCK{n}X{page}"

_pending: dict[str, dict[str, str]] = {}  # page src path -> token -> block HTML
_prerun: _prerun_mod.Prerun | None = None  # every page's blocks, run ahead in worker processes


def on_pre_build(config) -> None:
    global _prerun
    _native.use_working_tree()  # mkdocs dropped the hook's sys.path changes after loading it
    # `mkdocs serve` rebuilds in one process: import the k8score being edited, not a stale one.
    for name in [m for m in sys.modules if m == "k8score" or m.startswith("k8score.")]:
        del sys.modules[name]
    if not _translation_pass(config):  # once per site: the pool runs both languages' pages
        _close_prerun()
        _prerun = _prerun_mod.Prerun(Path(config["docs_dir"]))


def _close_prerun(wait: bool = False) -> None:
    global _prerun
    if _prerun is not None:
        _prerun.close(wait)
        _prerun = None


def on_build_error(error) -> None:
    _close_prerun()


def on_page_markdown(markdown: str, page, config, files) -> str:
    src = page.file.src_uri
    try:
        found = _blocks.find_blocks(markdown)
    except _blocks.FenceError as exc:
        raise PluginError(f"{src}: {exc}") from None
    if not found:
        return markdown
    lang = _native.page_language(page.file.src_uri)  # the page's own file: x.en.md is English
    ahead = _prerun.result(found, lang) if _prerun is not None else None
    if ahead is None:  # not started ahead (the page changed since): run it here
        try:
            results = _native.run_page(found, lang)
        except _native.BlockFailed as exc:
            raise PluginError(f"{src}: {exc}") from None
    elif ahead[0] == "failed":
        raise PluginError(f"{src}: {ahead[1]}")
    else:
        results = ahead[1]
    page_key = hashlib.sha1(src.encode()).hexdigest()[:8]
    html = {}
    for block, result in zip(found, results):
        token = _TOKEN.format(n=block.index, page=page_key)
        html[token] = _render.block_html(block, result, _native.render_dot)
    _pending[src] = html
    page.meta["k8s_run_blocks"] = len(found)
    return _blocks.replace_blocks(markdown, found, lambda b: _TOKEN.format(n=b.index, page=page_key))


def on_page_content(html: str, page, config, files) -> str:
    for token, block_html in _pending.pop(page.file.src_uri, {}).items():
        # A paragraph of its own, or bare text where Markdown adds no <p> (tight list items).
        replaced = html.replace(f"<p>{token}</p>", block_html)
        if replaced == html:
            replaced = html.replace(token, block_html)
        if replaced == html:
            raise PluginError(f"{page.file.src_uri}: lost the placeholder of a runnable block")
        html = replaced
    return html


def _translation_pass(config) -> bool:
    """True while mkdocs-static-i18n builds a non-default language (``/en/``) into the same site.

    The plugin runs a whole second ``build()`` per extra language from its own ``on_post_build``,
    hooks included (``building`` is set meanwhile); the runtime (Pyodide, wheels, bundle,
    snapshot) lives once at ``site/assets/`` and every language's pages reach it by relative
    URLs, so the second pass must not rebuild it.
    """
    i18n = config["plugins"].get("i18n")
    return bool(i18n and getattr(i18n, "building", False))


@event_priority(-200)  # after mkdocs-static-i18n's (-100): the English pass and the merged index are done
def on_post_build(config) -> None:
    if _translation_pass(config):
        return
    _close_prerun(wait=True)  # every page is rendered: the workers are idle
    site = Path(config["site_dir"])
    if config["plugins"].get("i18n"):
        zh, en = _i18n_site.split_search_index(site)
        _i18n_site.split_sitemap(site, config["site_url"] or "")
        log.info(f"search index: {zh} Chinese and {en} English entries, one index per language")
    assets = site / "assets"
    _copy_pyodide(assets / "pyodide")
    wheel_dir = assets / "k8s-run" / "wheels"
    if wheel_dir.exists():
        shutil.rmtree(wheel_dir)
    built = _wheels.build_all(wheel_dir)
    snapshot = _snapshot(wheel_dir / "python.snapshot", built)
    url = lambda p: f"wheels/{p.name}?v={hashlib.sha256(p.read_bytes()).hexdigest()[:12]}"  # noqa: E731
    _bundle(assets / "k8s-run", {
        "wheels": [url(p) for p in built if p.suffix == ".whl"],
        "stdlibPyc": [url(p) for p in built if p.suffix == ".zip"],
        "snapshot": [url(snapshot)] if snapshot else [],
    })


def _snapshot(out: Path, built: list[Path]) -> Path | None:
    """A Pyodide memory snapshot with k8score imported (web/tools/snapshot.mjs), or None.

    Optional: without it the worker starts Python the plain way (about 2 s slower here).
    """
    wheels = [str(p) for p in built if p.suffix == ".whl"]
    stdlib = [a for p in built if p.suffix == ".zip" for a in ("--stdlib", str(p))]
    cmd = ["node", str(WEB / "tools" / "snapshot.mjs"), str(out), str(ROOT / "docs" / "_hooks" / "blockrun.py"),
           *wheels, *stdlib]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0 or not out.exists():
        log.warning("no Pyodide memory snapshot (the site still works, Python starts slower):\n"
                    + proc.stderr[-2000:])
        return None
    return out


def _copy_pyodide(dest: Path) -> None:
    if not PYODIDE_DIR.is_dir():
        raise PluginError("node_modules/pyodide is missing: run `bash .ci/setup` (npm ci)")
    dest.mkdir(parents=True, exist_ok=True)
    for name in PYODIDE_FILES:
        src, dst = PYODIDE_DIR / name, dest / name
        st = src.stat()
        if not dst.exists() or dst.stat().st_size != st.st_size or dst.stat().st_mtime < st.st_mtime:
            shutil.copy2(src, dst)


def _bundle(out_dir: Path, archives: dict) -> None:
    """esbuild ``web/main.js`` (page side) and ``web/worker.js`` (Pyodide side) into ``out_dir``."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    if not esbuild.exists():
        raise PluginError("node_modules/.bin/esbuild is missing: run `bash .ci/setup` (npm ci)")
    if out_dir.exists():
        for old in out_dir.glob("**/*.js"):
            old.unlink()
    common = [
        "--bundle", "--format=esm", "--minify", "--target=es2022", "--log-level=warning",
        "--legal-comments=none", f"--outdir={out_dir}", "--entry-names=[name]",
    ]
    # The page side is split: the worker starts before the editor chunk is even parsed.
    page = [str(esbuild), str(WEB / "main.js"), "--splitting", "--chunk-names=chunks/[name]-[hash]"]
    # The worker is one file (one fetch before Pyodide starts downloading).
    worker = [str(esbuild), str(WEB / "worker.js"), "--loader:.py=text",
              f"--define:K8S_ARCHIVES={json.dumps(archives)}"]
    for cmd in (page + common, worker + common):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
        if proc.returncode != 0:
            raise PluginError(f"esbuild failed:\n{proc.stderr}")
        if proc.stderr.strip():
            log.warning(proc.stderr.strip())
