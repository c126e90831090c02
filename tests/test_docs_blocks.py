"""Every runnable block on the site runs, page by page, exactly as the site build runs it.

Both languages: ``docs/<page>.md`` and its English edition ``docs/<page>.en.md``.

Each page's ``python run`` blocks execute in order in one fresh namespace (docs/_hooks/native.py,
the same code the mkdocs hook uses). A block that raises fails its page's test with the page,
block number, line and the reader-level traceback -- unless the fence says ``expect-error``, in
which case it must raise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))

import blockrun  # noqa: E402
import blocks  # noqa: E402
import native  # noqa: E402

PAGES = sorted(
    p for p in DOCS.rglob("*.md") if "_hooks" not in p.parts and blocks.find_blocks(p.read_text("utf-8"))
)


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_blocks_run(page: Path):
    found = blocks.find_blocks(page.read_text("utf-8"))
    try:
        results = native.run_page(found, native.page_language(page))
    except native.BlockFailed as exc:
        pytest.fail(f"{page.relative_to(DOCS)}: {exc}", pytrace=False)
    for block, result in zip(found, results):
        for seg in result["segments"]:
            if seg["kind"] == "dot":  # every diagram must render with Graphviz
                assert native.render_dot(seg["dot"]).startswith("<svg"), (page, block.index)
    if native.page_language(page) == "en":
        assert not _chinese_output(found, results), f"{page.relative_to(DOCS)}: Chinese in English output"


# CJK ideographs, kana, CJK and fullwidth punctuation: none belongs in an English page's output.
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+")


def _strings(value):
    """Every string inside a segment (text, DOT, a timeline's nested frames)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _chinese_output(found, results) -> list[tuple[int, str, str]]:
    """``(block number, CJK run, its line)`` for each CJK run an English page's blocks printed
    (or drew) that the page's own code does not contain (a Chinese name the reader chose is
    the reader's text, not k8score's)."""
    code = "\n".join(b.code for b in found)
    hits = []
    for block, result in zip(found, results):
        for seg in result["segments"]:
            for text in _strings(seg):
                for m in _CJK.finditer(text):
                    if m.group() not in code:
                        line = text[text.rfind("\n", 0, m.start()) + 1:].split("\n", 1)[0]
                        hits.append((block.index + 1, m.group(), line[:160]))
    return hits


def test_site_has_runnable_blocks():
    assert any(p.parts[-2] == "contributing" for p in PAGES)
    # the English edition (`page.en.md`, tests/test_i18n_pages.py) runs here too, page by page
    names = [p.relative_to(DOCS).as_posix() for p in PAGES]
    english = {n[: -len(".en.md")] for n in names if n.endswith(".en.md")}
    assert english == {n[: -len(".md")] for n in names if not n.endswith(".en.md")}


# -- the machinery itself, on small inline pages -------------------------------------------

def _run(markdown: str):
    return native.run_page(blocks.find_blocks(markdown))


def test_blocks_share_one_namespace_in_page_order():
    page = "```python run\nx = 41\n```\n\ntext\n\n```python run\nprint(x + 1)\n```\n"
    results = _run(page)
    assert results[1]["segments"] == [{"kind": "text", "text": "42\n"}]


def test_each_page_gets_a_fresh_namespace():
    _run("```python run\nleak = 1\n```\n")
    with pytest.raises(native.BlockFailed, match="NameError: name 'leak' is not defined"):
        _run("```python run\nprint(leak)\n```\n")


def test_failing_block_names_block_and_shows_only_reader_frames():
    page = "```python run\ndef f():\n    return {}['missing']\n```\n\n```python run\nf()\n```\n"
    with pytest.raises(native.BlockFailed) as info:
        _run(page)
    message = str(info.value)
    assert "runnable block 2 (line 6)" in message
    assert '"<代码块 2>", line 1, in <module>' in message
    assert '"<代码块 1>", line 2, in f' in message
    assert "KeyError: 'missing'" in message
    assert "blockrun.py" not in message and "native.py" not in message


def test_expect_error_shows_traceback_and_requires_an_error():
    (result,) = _run("```python run expect-error\nprint('before')\n1/0\n```\n")
    assert result["error"]
    assert result["segments"][0] == {"kind": "text", "text": "before\n"}
    assert result["segments"][1]["text"].endswith("ZeroDivisionError: division by zero\n")
    with pytest.raises(native.BlockFailed, match="raised nothing"):
        _run("```python run expect-error\npass\n```\n")


def test_unknown_option_and_nested_fences():
    with pytest.raises(blocks.FenceError, match="expect-eror"):
        blocks.find_blocks("```python run expect-eror\npass\n```\n")
    doc = "````markdown\n```python run\nnot run\n```\n````\n\n    ```python run\n    print(1)\n    ```\n"
    (only,) = blocks.find_blocks(doc)
    assert only.code == "print(1)" and only.indent == "    "


def test_show_gives_dot_segments_in_output_order():
    code = "from k8score.display import show\nprint('a')\nshow('digraph { x -> y }')\nprint('b')\n"
    session = blockrun.Session()
    result = session.run(code, 0)
    assert [s["kind"] for s in result["segments"]] == ["text", "dot", "text"]
    assert "<title>x&#45;&gt;y</title>" in native.render_dot(result["segments"][1]["dot"])


def test_syntax_error_is_reported_in_the_block():
    result = blockrun.Session().run("print('x'\n", 2)
    assert result["error"]
    assert result["segments"][0]["text"].startswith('  File "<代码块 3>", line 1')


# -- the wheels the browser runner installs -----------------------------------------------

def test_wheels_are_deterministic_pure_and_complete(tmp_path):
    import zipfile

    import wheels

    first = wheels.build_all(tmp_path / "a", precompile=False)
    second = wheels.build_all(tmp_path / "b", precompile=False)
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    k8s, yml = first
    assert k8s.name.endswith("-py3-none-any.whl") and yml.name == f"pyyaml-{wheels.pyyaml_version()}-py3-none-any.whl"
    with zipfile.ZipFile(k8s) as zf:
        names = zf.namelist()
        assert "k8score/__init__.py" in names and "k8score/display.py" in names
        assert not any("__pycache__" in n for n in names)
        record = zf.read(next(n for n in names if n.endswith("dist-info/RECORD"))).decode()
        assert len(record.splitlines()) == len(names)
    with zipfile.ZipFile(yml) as zf:
        names = zf.namelist()
        assert "yaml/__init__.py" in names and not any(n.endswith((".so", ".pyx", ".c")) for n in names)
