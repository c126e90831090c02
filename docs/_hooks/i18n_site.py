"""Give each language of the built site its own search index and sitemap (the English edition).

mkdocs-static-i18n builds the Chinese site at ``site/`` and the English one into ``site/en/`` and
writes ONE ``search/search_index.json`` and ONE ``sitemap.xml`` holding both languages. Material's
browser code reads both files from ``__config.base``: the search worker its index, instant
navigation the set of URLs it may swap in without a reload. English pages get
``base = <site root>/en`` (web/overrides/main.html), so after ``split_site`` here:

* ``/search/search_index.json`` holds the Chinese pages (config as before: jieba-segmented text,
  the Chinese separator), ``/en/search/search_index.json`` the English pages with locations
  relative to ``/en/`` and Material's English search settings (``lang: en``, stemmer, stop words);
* ``/sitemap.xml`` lists the Chinese pages, ``/en/sitemap.xml`` the English ones, each ``<url>`` with
  its ``hreflang`` alternates (a valid per-language sitemap). A link to the other language is then
  never in the current sitemap, so the language switch is a full page load (header, search and
  ``<html lang>`` of the other language), while links within a language stay instant.

Pure functions on the built files; called once per build from site_hooks.on_post_build.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

EN_SEARCH = {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": ["stemmer", "stopWordFilter"]}
_URL = re.compile(r"[ \t]*<url>.*?</url>\n?", re.S)
_LOC = re.compile(r"<loc>([^<]*)</loc>")


def split_search_index(site: Path, prefix: str = "en/") -> tuple[int, int]:
    """Move the documents under ``prefix`` into ``site/<prefix>search/``; (default, moved) counts."""
    index_path = site / "search" / "search_index.json"
    index = json.loads(index_path.read_text("utf-8"))
    own, moved = [], []
    for doc in index["docs"]:
        loc = doc["location"]
        if loc.startswith(prefix):
            moved.append({**doc, "location": loc[len(prefix):]})
        else:
            own.append(doc)
    _write_json(index_path, {**index, "docs": own})
    _write_json(site / prefix / "search" / "search_index.json",
                {**index, "config": {**index["config"], **EN_SEARCH}, "docs": moved})
    return len(own), len(moved)


def split_sitemap(site: Path, site_url: str, prefix: str = "en/") -> tuple[int, int]:
    """``sitemap.xml`` (and ``.gz``) per language; (default, moved) counts of ``<url>`` entries."""
    path = site / "sitemap.xml"
    if not path.exists():
        return 0, 0
    text = path.read_text("utf-8")
    entries = _URL.findall(text)
    head = text[: text.index(entries[0])] if entries else text
    tail = text[text.rindex(entries[-1]) + len(entries[-1]):] if entries else ""
    root = site_url.rstrip("/") + "/" + prefix
    own = [e for e in entries if not _LOC.search(e)[1].startswith(root)]
    moved = [e for e in entries if _LOC.search(e)[1].startswith(root)]
    _write_sitemap(path, head + "".join(own) + tail)
    _write_sitemap(site / prefix / "sitemap.xml", head + "".join(moved) + tail)
    return len(own), len(moved)


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), "utf-8")


def _write_sitemap(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    with gzip.GzipFile(path.with_suffix(".xml.gz"), "wb", mtime=0) as gz:
        gz.write(text.encode("utf-8"))
