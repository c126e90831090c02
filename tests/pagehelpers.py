"""Run a site page's blocks exactly as the site build does, and read what each printed
(shared by the page-claims tests)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))

import blocks  # noqa: E402
import native  # noqa: E402


class Page:
    """A page's runnable blocks and what each printed."""

    def __init__(self, rel: str):
        found = blocks.find_blocks((DOCS / rel).read_text("utf-8"))
        results = native.run_page(found, native.page_language(rel))  # x.en.md runs in English
        self.blocks = [(b.code, "".join(s.get("text", "") for s in r["segments"] if s["kind"] == "text"))
                       for b, r in zip(found, results)]
        self.diagrams = sum(1 for r in results for s in r["segments"] if s["kind"] == "dot")

    def output(self, code_marker: str) -> str:
        """Output of the (single) block whose code contains ``code_marker``."""
        hits = [out for code, out in self.blocks if code_marker in code]
        assert len(hits) == 1, f"{len(hits)} blocks contain {code_marker!r}"
        return hits[0]
