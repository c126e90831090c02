"""Run every page's blocks in worker processes while mkdocs does the rest of the build.

With the English edition the build runs every page's blocks twice (each language has its own
page), about 30 s of CPU each. mkdocs renders pages one after the other, so the hook starts all
pages at ``on_pre_build`` in a process pool (one process per core) and ``on_page_markdown`` only
collects its page's results: the build's wall time is about the block time divided by the cores.

A page is found again by its language and blocks (code and options, in order), not by its path: a page whose
blocks changed after the start (an editor saving meanwhile) simply runs in the build process, as
before. Results are the same dicts :func:`native.run_page` returns; a page that fails comes back
as its error message and is raised again as :class:`native.BlockFailed`'s text by the caller.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import blocks as _blocks

HOOKS = Path(__file__).resolve().parent


def page_key(found: list[_blocks.Block], lang: str = "zh") -> tuple:
    # the language too: the same code prints k8score's words in the page's language
    return (lang,) + tuple((b.code, tuple(sorted(b.options))) for b in found)


def _run(found: list[_blocks.Block], lang: str = "zh") -> tuple[str, object]:
    import native  # in the worker: the same runner the build process uses

    try:
        return "ok", native.run_page(found, lang)
    except native.BlockFailed as exc:
        return "failed", str(exc)


class Prerun:
    """A pool running pages' blocks ahead of mkdocs; ``result(found)`` waits for one page."""

    def __init__(self, docs_dir: Path, workers: int | None = None):
        self.futures: dict[tuple, Future] = {}
        pages = []
        for path in sorted(Path(docs_dir).rglob("*.md")):
            if "_hooks" in path.parts:
                continue
            try:
                found = _blocks.find_blocks(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, _blocks.FenceError):
                continue  # the page's own pass reports it
            if found:
                pages.append((found, "en" if path.name.endswith(".en.md") else "zh"))
        workers = workers or max(1, min(4, os.cpu_count() or 1))
        # spawn: the build process may have threads (mkdocs serve); the workers import k8score
        # fresh. A spawned worker starts with the parent's sys.path: it must find this module.
        if str(HOOKS) not in sys.path:
            sys.path.append(str(HOOKS))
        self.pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
        # longest pages first (by code size), so the last page to finish is a short one
        for found, lang in sorted(pages, key=lambda p: -sum(len(b.code) for b in p[0])):
            self.futures.setdefault(page_key(found, lang), self.pool.submit(_run, found, lang))

    def result(self, found: list[_blocks.Block], lang: str = "zh") -> tuple[str, object] | None:
        """``("ok", results)`` / ``("failed", message)`` for these blocks in ``lang``, or None if
        not started."""
        future = self.futures.get(page_key(found, lang))
        return None if future is None else future.result()

    def close(self, wait: bool = False) -> None:
        """Stop the pool: after the build (``wait``: reap the finished workers) or on an error."""
        self.pool.shutdown(wait=wait, cancel_futures=True)
