"""The English edition's sources: every page translated, blocks paired, prose English, links in-site.

The site is Chinese at ``/`` and English at ``/en/`` (mkdocs-static-i18n, ``docs_structure: suffix``):
``docs/<path>.md`` is the Chinese page, ``docs/<path>.en.md`` its translation
(docs/contributing/runnable-blocks.md, "英文版"; /work/briefs/i18n-contract.md for translators).

Contracts checked here, statically (fast; ``tests/test_docs_blocks.py`` runs every block of both
languages natively, ``tests/browser/test_i18n.py`` checks the built site):

* every Chinese page has an English page, and no English page lacks its Chinese original;
* the English page has the same runnable blocks in the same order with the same fence options, and
  each block is the same program: equal token streams once comments are dropped and string
  literals blanked (only comments, print labels and the page's own strings are translated);
* the English prose and its runnable code hold no CJK characters (quoted k8score output in inline
  code or plain fences may);
* every link of every page (both languages) stays inside the site (an existing page or file under
  ``docs/``, or an absolute http(s) URL), and an English page's ``page.md#anchor`` names a heading
  of the target's English page;
* every navigation title in mkdocs.yml has an English translation.
"""

from __future__ import annotations

import io
import re
import sys
import tokenize
from pathlib import Path

import pytest
import yaml
from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))

import blocks  # noqa: E402

ZH_PAGES = sorted(p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts and not p.name.endswith(".en.md"))
EN_PAGES = sorted(p for p in DOCS.rglob("*.en.md") if "_hooks" not in p.parts)
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,}).*?^\1\2[ \t]*$", re.S | re.M)
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t]*(?:\{#([\w-]+)\})?[ \t]*$", re.M)


def en_of(zh: Path) -> Path:
    return zh.with_name(zh.stem + ".en.md")


def rel(p: Path) -> str:
    return p.relative_to(DOCS).as_posix()


def prose(markdown: str) -> str:
    """The page without fenced blocks and inline code."""
    return INLINE_CODE.sub("", FENCE.sub("", markdown))


def skeleton(code: str) -> list[str]:
    """The program's tokens without comments, with every string literal blanked."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code + "\n").readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type == tokenize.STRING or tok.type in _FSTRING:
            out.append("<str>")
        else:
            out.append(tok.string)
    # An f-string split into parts (3.12+) and one literal (3.11) both collapse to one "<str>".
    return [t for i, t in enumerate(out) if not (t == "<str>" and i and out[i - 1] == "<str>")]


_FSTRING = {getattr(tokenize, n) for n in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END") if hasattr(tokenize, n)}


def anchors(markdown: str) -> set[str]:
    """Heading ids of a page: explicit ``{#id}`` or the toc extension's slug of the heading text."""
    found = set()
    for text, explicit in HEADING.findall(FENCE.sub("", markdown)):
        if explicit:
            found.add(explicit)
        else:
            plain = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", text)
            found.add(slugify(plain, "-"))
    return found


@pytest.mark.parametrize("zh", ZH_PAGES, ids=[rel(p) for p in ZH_PAGES])
def test_every_page_has_an_english_page(zh: Path):
    assert en_of(zh).exists(), f"{rel(zh)} has no English page {rel(en_of(zh))}"


def test_no_english_page_without_its_chinese_page():
    orphans = [rel(p) for p in EN_PAGES if not p.with_name(p.name[: -len(".en.md")] + ".md").exists()]
    assert orphans == []


@pytest.mark.parametrize("en", EN_PAGES, ids=[rel(p) for p in EN_PAGES])
def test_english_blocks_pair_with_the_chinese_blocks(en: Path):
    zh = en.with_name(en.name[: -len(".en.md")] + ".md")
    zh_blocks = blocks.find_blocks(zh.read_text("utf-8"))
    en_blocks = blocks.find_blocks(en.read_text("utf-8"))
    assert len(en_blocks) == len(zh_blocks), f"{rel(en)}: {len(en_blocks)} runnable blocks, the Chinese page has {len(zh_blocks)}"
    for z, e in zip(zh_blocks, en_blocks):
        where = f"{rel(en)} block {e.index + 1} (line {e.start + 1})"
        assert e.options == z.options, f"{where}: fence options {sorted(e.options)} != {sorted(z.options)}"
        assert skeleton(e.code) == skeleton(z.code), (
            f"{where}: not the same program as the Chinese block (line {z.start + 1}); "
            "translate only comments and strings"
        )


@pytest.mark.parametrize("en", EN_PAGES, ids=[rel(p) for p in EN_PAGES])
def test_english_page_has_no_cjk(en: Path):
    text = en.read_text("utf-8")
    bad = [line.strip() for line in prose(text).splitlines() if CJK.search(line)]
    for b in blocks.find_blocks(text):
        bad += [f"block {b.index + 1}: {line.strip()}" for line in b.code.splitlines() if CJK.search(line)]
    assert bad == [], f"{rel(en)}: untranslated text"


ALL_PAGES = ZH_PAGES + EN_PAGES


@pytest.mark.parametrize("page", ALL_PAGES, ids=[rel(p) for p in ALL_PAGES])
def test_links_stay_inside_the_site(page: Path):
    text = FENCE.sub("", page.read_text("utf-8"))
    english = page.name.endswith(".en.md")
    bad = []
    for target in LINK.findall(INLINE_CODE.sub("", text)):
        if target.startswith(("https://", "http://", "mailto:")):
            continue
        path, _, anchor = target.partition("#")
        if not path:
            continue  # an anchor on the same page
        dest = (page.parent / path).resolve()
        generated = dest.is_relative_to(DOCS / "assets" / "diagrams")  # diagrams/*.py, at build time
        if not dest.is_relative_to(DOCS) or "_hooks" in dest.parts or not (dest.exists() or generated):
            bad.append(f"{target}: not a file of the site")
            continue
        if english and anchor and dest.suffix == ".md":
            en_dest = en_of(dest)
            if en_dest.exists() and anchor not in anchors(en_dest.read_text("utf-8")):
                bad.append(f"{target}: {rel(en_dest)} has no heading #{anchor}")
    assert bad == [], f"{rel(page)}: links that leave the site or miss"


def _nav_titles(items) -> list[str]:
    titles = []
    for item in items:
        if isinstance(item, dict):
            for title, sub in item.items():
                titles.append(title)
                if isinstance(sub, list):
                    titles += _nav_titles(sub)
    return titles


class _AnyTag(yaml.SafeLoader):
    pass


_AnyTag.add_multi_constructor("!", lambda loader, suffix, node: None)


def test_every_nav_title_has_an_english_title():
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=_AnyTag)
    i18n = next(p["i18n"] for p in config["plugins"] if isinstance(p, dict) and "i18n" in p)
    en = next(lang for lang in i18n["languages"] if lang["locale"] == "en")
    translations = en.get("nav_translations") or {}
    missing = [t for t in _nav_titles(config["nav"]) if CJK.search(t) and t not in translations]
    assert missing == []
    assert not any(CJK.search(v) for v in translations.values())
    nav_files = {v for item in config["nav"] for v in _nav_files(item)}
    assert {rel(p) for p in ZH_PAGES} <= nav_files, "a page missing from the nav"


def _nav_files(item):
    if isinstance(item, str):
        yield item
    elif isinstance(item, dict):
        for sub in item.values():
            if isinstance(sub, list):
                for x in sub:
                    yield from _nav_files(x)
            else:
                yield sub


def test_the_checks_catch_what_they_claim():
    """The helpers reject what a careless translation does (so the tests above can fail)."""
    assert skeleton('x = f(1)  # 注释\nprint("标签:", x)') == skeleton('x = f(1)  # comment\nprint("label:", x)')
    assert skeleton("c = Cluster(nodes=3)") != skeleton("c = Cluster(nodes=2)")
    assert CJK.search(prose("Text with `代码` only")) is None
    assert CJK.search(prose("未翻译")) is not None
    assert "watch-cache" in anchors("### The watch cache: answers from memory {#watch-cache}\n")
    assert "watch-and-resourceversion" in anchors("## Watch and `resourceVersion`\n")
