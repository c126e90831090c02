"""k8score's own words follow the page's language when blocks run live, in headless Chromium.

An English page (``<html lang="en">``) posts ``lang: "en"`` with each run (web/runner.js,
web/i18n.js ``pageLanguage``); the worker sets it on the page's session (web/worker.js) and
docs/_hooks/blockrun.py runs the block with ``k8score.lang`` in English: the scheduler's explain
table says ``scheduling attempt 1`` / ``node  filter ... total`` as the build did, and a traceback
names ``<block n>`` (``<代码块 n>`` on Chinese pages). The plugin names and reasons in the table
are upstream's (pkg/scheduler/framework/plugins/*) in both languages.
"""

from __future__ import annotations

import re

import pytest

from test_runnable_blocks import click, set_code, texts, wait_runs

pytestmark = pytest.mark.browser

SCHEDULER = "control-plane/kube-scheduler/"
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _explain_block(page) -> int:
    # every block's editor, not only the first (they are set up one after another)
    page.wait_for_function("[...document.querySelectorAll('.k8s-run')].every(b => b.querySelector('.cm-content'))")
    codes = page.eval_on_selector_all(".k8s-run", "bs => bs.map(b => b.querySelector('.cm-content').innerText)")
    return next(i for i, code in enumerate(codes) if "explain_text" in code)


def test_english_page_shows_english_explain_labels_live_as_built(page, base_url):
    page.goto(base_url + "en/" + SCHEDULER)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    i = _explain_block(page)
    build = texts(page, i)
    assert "scheduling attempt 1" in "".join(build) and not CJK.search("".join(build))
    click(page, i, "run")  # the blocks before it run first, in the same session
    wait_runs(page, i, 1)
    live = "".join(texts(page, i))
    assert live == "".join(build)
    lines = live.splitlines()
    assert any(re.fullmatch(r"Pod default/\S+  scheduling attempt 1  t=\S+", line) for line in lines)
    assert any(line.split()[:2] == ["node", "filter"] and line.split()[-1] == "total" for line in lines)
    assert "result: Scheduled -> node-" in live and not CJK.search(live)
    # an error in an edited block: the traceback names the block in English
    set_code(page, i, "def f():\n    return 1 / 0\nf()\n")
    click(page, i, "run")
    wait_runs(page, i, 2)
    error = page.locator(".k8s-run").nth(i).locator(".k8s-run__out").inner_text()
    assert f'File "<block {i + 1}>", line 3, in <module>' in error
    assert f'File "<block {i + 1}>", line 2, in f' in error and "ZeroDivisionError" in error


def test_chinese_page_keeps_chinese_labels_live(page, base_url):
    page.goto(base_url + SCHEDULER)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    i = _explain_block(page)
    build = "".join(texts(page, i))
    click(page, i, "run")
    wait_runs(page, i, 1)
    live = "".join(texts(page, i))
    assert live == build and "第 1 次调度尝试" in live and "结果: Scheduled -> node-" in live
