"""The build's per-language search index and sitemap (docs/_hooks/i18n_site.py) and the block
pre-run pool (docs/_hooks/prerun.py), on small synthetic inputs.

Material reads ``search/search_index.json`` and ``sitemap.xml`` from ``__config.base``; English
pages get base ``<root>/en`` (web/overrides/main.html), so each language needs its own files.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))

import blocks  # noqa: E402
import i18n_site  # noqa: E402
import prerun  # noqa: E402

SITE_URL = "http://127.0.0.1:8000/"
ZH_CONFIG = {"lang": ["en"], "separator": "[\\s\\u200b]+", "pipeline": ["stemmer"], "fields": {}}


def _url(loc: str, zh: str, en: str) -> str:
    return (f"    <url>\n        <loc>{loc}</loc>\n"
            f'        <xhtml:link rel="alternate" hreflang="zh" href="{zh}"/>\n'
            f'        <xhtml:link rel="alternate" hreflang="en" href="{en}"/>\n    </url>\n')


def test_search_index_splits_by_language_with_english_settings(tmp_path):
    (tmp_path / "search").mkdir()
    docs = [{"location": "", "title": "整体架构", "text": "控制平面"},
            {"location": "node/kubelet/#probes", "title": "探针", "text": "探针"},
            {"location": "en/", "title": "Architecture", "text": "control plane"},
            {"location": "en/node/kubelet/#probes", "title": "Probes", "text": "probes"}]
    (tmp_path / "search" / "search_index.json").write_text(json.dumps({"config": ZH_CONFIG, "docs": docs}))
    assert i18n_site.split_search_index(tmp_path) == (2, 2)
    zh = json.loads((tmp_path / "search" / "search_index.json").read_text())
    en = json.loads((tmp_path / "en" / "search" / "search_index.json").read_text())
    assert zh["config"] == ZH_CONFIG  # Chinese search exactly as before (jieba at build time)
    assert [d["location"] for d in zh["docs"]] == ["", "node/kubelet/#probes"]
    assert [d["location"] for d in en["docs"]] == ["", "node/kubelet/#probes"]  # relative to /en/
    assert en["config"]["lang"] == ["en"] and en["config"]["separator"] == r"[\s\-]+"
    assert en["config"]["fields"] == ZH_CONFIG["fields"]


def test_sitemap_splits_by_language_and_keeps_alternates(tmp_path):
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="x">\n'
    zh_home = _url(SITE_URL, SITE_URL, SITE_URL + "en/")
    en_home = _url(SITE_URL + "en/", SITE_URL, SITE_URL + "en/")
    zh_page = _url(SITE_URL + "enrollment/", SITE_URL + "enrollment/", SITE_URL + "en/enrollment/")
    (tmp_path / "sitemap.xml").write_text(head + zh_home + zh_page + en_home + "</urlset>\n")
    assert i18n_site.split_sitemap(tmp_path, SITE_URL) == (2, 1)
    zh = (tmp_path / "sitemap.xml").read_text()
    en = (tmp_path / "en" / "sitemap.xml").read_text()
    assert zh == head + zh_home + zh_page + "</urlset>\n"  # "enrollment/" is not under "en/"
    assert en == head + en_home + "</urlset>\n"
    assert gzip.decompress((tmp_path / "en" / "sitemap.xml.gz").read_bytes()).decode() == en
    assert i18n_site.split_sitemap(tmp_path / "missing", SITE_URL) == (0, 0)


def test_prerun_gives_the_page_its_results_and_failures(tmp_path):
    good = "```python run\nx = 20\n```\n\n```python run\nprint(x + 1)\n```\n"
    bad = "```python run\nraise ValueError('nope')\n```\n"
    (tmp_path / "good.md").write_text(good)
    (tmp_path / "good.en.md").write_text(good)  # same blocks, but run again: in English (k8score.lang)
    (tmp_path / "bad.md").write_text(bad)
    (tmp_path / "_hooks").mkdir()
    (tmp_path / "_hooks" / "skip.md").write_text("```python run\nwhile True: pass\n```\n")
    pool = prerun.Prerun(tmp_path, workers=1)
    try:
        assert len(pool.futures) == 3
        status, results = pool.result(blocks.find_blocks(good))
        assert status == "ok"
        assert results[1]["segments"] == [{"kind": "text", "text": "21\n"}]
        assert pool.result(blocks.find_blocks(good), "en")[0] == "ok"  # the English page too
        status, message = pool.result(blocks.find_blocks(bad))
        assert status == "failed" and "ValueError: nope" in message and '"<代码块 1>"' in message
        assert pool.result(blocks.find_blocks(bad), "en") is None  # no bad.en.md was started
        assert pool.result(blocks.find_blocks("```python run\nprint('edited since')\n```\n")) is None
    finally:
        pool.close()
