"""The runnable blocks as a reader uses them, in headless Chromium.

The examples live on the contributor pages (docs/contributing/runnable-blocks.md: five blocks --
a Loop, a block using the first one's variables, a show() diagram, an XSS probe, an
expect-error block; docs/contributing/diagrams.md: a show() block), so content pages can
change freely.
"""

from __future__ import annotations

import time

import pytest

from conftest import new_page

pytestmark = pytest.mark.browser

BLOCKS = "contributing/runnable-blocks/"
DIAGRAMS = "contributing/diagrams/"


def texts(page, index: int) -> list[str]:
    return page.locator(".k8s-run").nth(index).locator(".k8s-run__out .k8s-run__text").all_text_contents()


def wait_runs(page, index: int, runs: int) -> None:
    page.wait_for_function(
        "([i, n]) => document.querySelectorAll('.k8s-run')[i].dataset.runs === String(n)", arg=[index, runs]
    )


def set_code(page, index: int, code: str) -> None:
    editor = page.locator(".k8s-run").nth(index).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(code)


def click(page, index: int, button: str) -> None:
    page.locator(".k8s-run").nth(index).locator(f".k8s-run__{button}").click()


def open_blocks_page(page, base_url, path=BLOCKS):
    page.goto(base_url + path)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    build = [texts(page, i) for i in range(page.locator(".k8s-run").count())]
    return build


def test_build_output_is_there_without_javascript(browser, base_url):
    context, page = new_page(browser, base_url, java_script_enabled=False)
    page.goto(base_url + BLOCKS)
    assert page.locator(".k8s-run").count() == 5
    assert page.locator(".cm-editor").count() == 0
    assert texts(page, 1) == ["上一个代码块里的定时器一共触发了 4 次\n"]
    assert page.locator(".k8s-run").nth(2).locator(".k8s-run__diagram svg").count() == 1
    assert texts(page, 3) == ["<script>alert(1)</script> 和 <b>粗体</b> 都原样显示\n"]
    assert page.locator(".k8s-run").nth(3).locator(".k8s-run__out b, .k8s-run__out script").count() == 0
    error = texts(page, 4)[-1]
    assert error.startswith("Traceback (most recent call last):\n")
    assert error.endswith("RuntimeError: 0/0 nodes are available: pod default/web-1 cannot be scheduled\n")
    context.close()


def test_live_output_equals_build_output(page, base_url):
    build = open_blocks_page(page, base_url)
    # Running the last block first runs every earlier block of the page, in order.
    click(page, 4, "run")
    for i in range(5):
        wait_runs(page, i, 1)
    live = [texts(page, i) for i in range(5)]
    assert live == build
    # The diagram was drawn live (the build's SVG was replaced) by Graphviz in WebAssembly.
    page.locator(".k8s-run").nth(2).locator(".k8s-run__diagram svg g.node").first.wait_for()
    assert page.locator(".k8s-run").nth(2).locator(".k8s-run__diagram svg g.node").count() == 3
    # The XSS probe printed text, created no element and fired no dialog (checked at teardown).
    assert page.locator(".k8s-run").nth(3).locator(".k8s-run__out b, .k8s-run__out script").count() == 0
    assert page.locator(".k8s-run").nth(4).get_attribute("data-state") == "error"
    # When the build made a memory snapshot, Python started from it (not the slow way).
    if any("python.snapshot" in url for url in page.rec.requests):
        assert page.evaluate("window.k8sRun.runner.bootStages.snapshot") == 1


def test_edited_block_shows_new_output_and_reset_restores(page, base_url):
    build = open_blocks_page(page, base_url)
    set_code(page, 1, 'print("edited", len(ticks) * 10)')
    page.locator(".k8s-run").nth(1).locator(".cm-content").press("Control+Enter")
    wait_runs(page, 1, 1)
    assert texts(page, 1) == ["edited 40\n"]
    assert page.locator(".k8s-run").nth(0).get_attribute("data-runs") == "1"  # ran first, in order
    click(page, 1, "reset")
    assert texts(page, 1) == build[1]
    assert page.locator(".k8s-run").nth(1).locator(".cm-content").inner_text().startswith('print(f"上一个')


def test_stop_ends_an_endless_loop_and_the_session_survives(page, base_url):
    open_blocks_page(page, base_url)
    click(page, 0, "run")
    wait_runs(page, 0, 1)
    set_code(page, 1, "while True: pass")
    click(page, 1, "run")
    page.wait_for_function("document.querySelectorAll('.k8s-run')[1].dataset.state === 'running'")
    time.sleep(0.3)
    start = time.monotonic()
    click(page, 1, "stop")
    page.wait_for_function("document.querySelectorAll('.k8s-run')[1].dataset.state === 'stopped'", timeout=2000)
    assert page.evaluate("1 + 1") == 2  # the page never froze
    assert time.monotonic() - start < 2.0
    # A fresh worker silently re-ran the first block (its run count did not change), so `ticks` still exists.
    set_code(page, 1, "print('still here:', len(ticks))")
    click(page, 1, "run")
    wait_runs(page, 1, 1)
    assert texts(page, 1) == ["still here: 4\n"]
    assert page.locator(".k8s-run").nth(0).get_attribute("data-runs") == "1"


def test_stop_leaves_no_trap_for_a_later_block(page, base_url):
    """Issue 13: after Stop on an edited endless loop, Run on a later block must complete.

    The stopped block never finished, so the later block first replays it -- with its original
    code (it never ran successfully), not the loop -- and the block's status says so.
    """
    build = open_blocks_page(page, base_url)
    set_code(page, 1, "while True: pass")
    click(page, 1, "run")  # block 0 runs first, then block 1 loops
    page.wait_for_function("document.querySelectorAll('.k8s-run')[1].dataset.state === 'running'")
    wait_runs(page, 0, 1)
    click(page, 1, "stop")
    page.wait_for_function("document.querySelectorAll('.k8s-run')[1].dataset.state === 'stopped'", timeout=2000)
    # record every status block 2 shows while it waits for the replay ahead of it
    page.evaluate(
        "() => { const s = document.querySelectorAll('.k8s-run')[2].querySelector('.k8s-run__status');"
        " window.__seen = []; new MutationObserver(() => window.__seen.push(s.textContent))"
        ".observe(s, {childList: true, characterData: true, subtree: true}); }"
    )
    click(page, 2, "run")
    page.wait_for_function(
        "document.querySelectorAll('.k8s-run')[2].dataset.runs === '1'", timeout=30_000
    )  # before the fix block 2 sat at 排队中… forever
    blocks = page.locator(".k8s-run")
    assert blocks.nth(2).get_attribute("data-state") == "done"
    assert blocks.nth(1).get_attribute("data-state") == "done"
    assert texts(page, 1) == build[1]  # the original code ran: ticks from block 0 are there
    status = blocks.nth(1).locator(".k8s-run__status").inner_text()
    assert status.startswith("完成，用时 ") and status.endswith("；已停止的代码未重放，改用原始代码")
    assert "排队中：先运行第 2 个代码块…" in page.evaluate("window.__seen")
    # the reader's edit is kept in the editor, and running that block itself still runs it
    assert blocks.nth(1).locator(".cm-content").inner_text() == "while True: pass"
    assert blocks.nth(0).get_attribute("data-runs") == "1"  # replayed silently after Stop


def test_instant_navigation_keeps_the_runner(page, base_url):
    build = open_blocks_page(page, base_url)
    click(page, 0, "run")
    wait_runs(page, 0, 1)
    page.evaluate("window.__sameDocument = true; window.k8sRun.runner.__marker = 'first'")
    page.locator("nav.md-nav a[href$='diagrams/']").first.click()
    page.wait_for_url("**/" + DIAGRAMS)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    assert page.evaluate("window.__sameDocument") is True  # no full reload
    assert page.evaluate("window.k8sRun.runner.__marker") == "first"  # same worker
    diagrams_build = texts(page, 0)
    click(page, 0, "run")
    wait_runs(page, 0, 1)
    assert texts(page, 0) == diagrams_build
    page.wait_for_selector(".k8s-run .k8s-run__diagram svg g.node")
    # Back: a fresh namespace for the page again, so block 2 first re-runs block 1.
    page.locator("nav.md-nav a[href$='runnable-blocks/']").first.click()
    page.wait_for_url("**/" + BLOCKS)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    click(page, 1, "run")
    wait_runs(page, 1, 1)
    assert texts(page, 1) == build[1]
    assert page.evaluate("window.__sameDocument") is True


def test_chinese_search_finds_a_page(page, base_url):
    page.goto(base_url + BLOCKS)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator(".md-search__input").fill("命名空间")
    page.keyboard.press("End")  # Material searches on keyup (an IME's composition end gives one)
    hit = page.locator(".md-search-result__item a[href*='runnable-blocks']").first
    hit.wait_for(timeout=20_000)
    assert hit.count() == 1


def test_every_page_runs_live_exactly_as_built(page, base_url):
    """Each page's blocks, run in the browser (Pyodide), print what the build (CPython) printed.

    One page load; every other page is reached by instant navigation, so one worker does it all.
    """
    page.goto(base_url + BLOCKS)
    links = page.eval_on_selector_all(
        "nav.md-nav--primary a.md-nav__link[href]", "as => [...new Set(as.map(a => a.href.split('#')[0]))]"
    )
    checked = 0
    for url in links:
        if url.rstrip("/") == page.url.rstrip("/"):
            continue
        title = page.title()
        page.evaluate(
            "(url) => { const a = document.createElement('a'); a.href = url;"
            " document.querySelector('.md-content').append(a); a.click(); }",
            url,
        )
        page.wait_for_function("(t) => document.title !== t", arg=title)  # the new page is in
        count = page.locator(".k8s-run").count()
        if count == 0:
            continue
        page.wait_for_selector(".k8s-run[data-state] .cm-editor")
        build = [texts(page, i) for i in range(count)]
        click(page, count - 1, "run")
        for i in range(count):
            wait_runs(page, i, 1)
        live = [texts(page, i) for i in range(count)]
        for i in range(count):
            assert live[i] == build[i], f"{url}: block {i + 1} printed differently in the browser"
        checked += 1
    assert page.evaluate("window.k8sRun.runner.bootStages !== undefined")
    assert checked >= 2
