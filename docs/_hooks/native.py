"""Run a page's blocks natively (build time, tests) and render their diagrams with Graphviz."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def use_working_tree() -> None:
    """Make the repository's ``k8score`` importable (when it is not installed, e.g. ``-e .``)."""
    if str(ROOT) not in sys.path:
        sys.path.append(str(ROOT))


use_working_tree()

from blockrun import Session  # noqa: E402
from blocks import Block  # noqa: E402

BLOCK_TIMEOUT_S = 120  # a block that runs longer at build time is a bug (an endless loop)


class BlockFailed(Exception):
    """A block raised (and was not marked ``expect-error``) or did not raise when it should."""

    def __init__(self, block: Block, message: str):
        super().__init__(f"runnable block {block.index + 1} (line {block.start + 1}): {message}")
        self.block = block


def page_language(path: str | Path) -> str:
    """``"en"`` for an English page (``page.en.md``, mkdocs-static-i18n's suffix), else ``"zh"``."""
    return "en" if str(path).endswith(".en.md") else "zh"


def run_page(blocks: list[Block], lang: str = "zh") -> list[dict]:
    """Run ``blocks`` in order in one fresh session; return each block's result.

    ``lang``: the page's language (:func:`page_language`): k8score's own output and the traceback
    names follow it, as in the browser. Raises :class:`BlockFailed` on the first block whose
    outcome is not the expected one.
    """
    session = Session(lang)
    results = []
    for block in blocks:
        with _time_limit(BLOCK_TIMEOUT_S):
            result = session.run(block.code, block.index)
        if result["error"] and not block.expect_error:
            raise BlockFailed(block, "raised an exception\n" + _error_text(result))
        if block.expect_error and not result["error"]:
            raise BlockFailed(block, "is marked expect-error but raised nothing")
        results.append(result)
    return results


def _error_text(result: dict) -> str:
    return "".join(s["text"] for s in result["segments"] if s["kind"] == "error")


_XML_PROLOG = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", re.S)


def render_dot(dot: str) -> str:
    """Graphviz DOT -> inline SVG markup (no XML prolog, doctype or comments)."""
    exe = shutil.which("dot")
    if exe is None:
        raise RuntimeError("Graphviz `dot` is not installed (bash .ci/setup installs it)")
    proc = subprocess.run([exe, "-Tsvg"], input=dot.encode(), capture_output=True, timeout=60)
    if proc.returncode != 0:
        raise RuntimeError(f"dot -Tsvg failed: {proc.stderr.decode(errors='replace').strip()}")
    return _XML_PROLOG.sub("", proc.stdout.decode()).strip()


@contextmanager
def _time_limit(seconds: int):
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _raise(signum, frame):
        raise TimeoutError(f"block still running after {seconds} s (endless loop?)")

    old = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
