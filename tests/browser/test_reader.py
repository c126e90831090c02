"""The checks a reader makes (issue 13, point 7), in headless Chromium at 1280 px.

* every diagram's smallest text is at least 11 px (SVG font size × rendered width / viewBox width,
  tests/browser/reader_metrics.js), on every page;
* at most 5 % of the example outputs are wider than their box (a table that still is scrolls
  with a shadow cue; other text wraps -- docs/assets/k8s-run.css, docs/_hooks/render.py);
* a diagram opens full-screen on click and on Enter, zooms with +, closes on Esc (web/zoom.js);
* a block's printed line appears while the block still runs (web/worker.js streams stdout).

The Stop trap (Stop on a loop, then Run on a later block) is tests/browser/test_runnable_blocks.py's
test_stop_leaves_no_trap_for_a_later_block. The `page` fixture (conftest.py) fails a test on any
console error or request that leaves the site's origin.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import new_page
from test_runnable_blocks import BLOCKS, click, set_code

pytestmark = pytest.mark.browser

VIEWPORT = {"width": 1280, "height": 900}
MIN_TEXT_PX = 11
MAX_WIDE_SHARE = 0.05
FLOW = "flow/create-deployment/"
METRICS = "\n".join(line for line in (Path(__file__).with_name("reader_metrics.js")).read_text().splitlines()
                    if not line.startswith("//"))


def site_pages(page, base_url) -> list[str]:
    """Every page of both editions (the English one under /en/, with its own diagrams)."""
    links = set()
    for home in (base_url, base_url + "en/"):
        page.goto(home)
        links |= set(page.eval_on_selector_all(
            "nav.md-nav--primary a.md-nav__link[href]", "as => [...new Set(as.map(a => a.href.split('#')[0]))]"))
        links.add(home)
    return sorted(links)


def test_diagrams_are_legible_and_outputs_fit_at_1280px(browser, base_url):
    # Build output only: the Python worker is not started (one boot per page would cost minutes).
    context, page = new_page(browser, base_url, viewport=VIEWPORT)
    page.route("**/assets/k8s-run/worker.js", lambda route: route.abort())
    small, wide, outputs, diagrams = [], [], 0, 0
    for url in site_pages(page, base_url):
        page.goto(url)
        m = page.evaluate(METRICS)
        diagrams += len(m["diagrams"])
        small += [f"{url} {d['src']}: {d['px']} px" for d in m["diagrams"] if d["px"] < MIN_TEXT_PX]
        outputs += m["outputs"]
        wide += [f"{url}: {w['first']!r} ({w['over']} px over)" for w in m["wide"]]
    context.close()
    assert diagrams >= 16 and outputs >= 100, "the pages lost their diagrams or examples?"
    assert small == [], "diagram text under 11 px at 1280 px"
    share = len(wide) / outputs
    print(f"wide outputs: {len(wide)}/{outputs} = {share:.1%}")
    assert share <= MAX_WIDE_SHARE, "\n".join(wide)


def test_a_diagram_opens_full_screen_zooms_and_closes_on_escape(page, base_url):
    page.set_viewport_size(VIEWPORT)
    page.goto(base_url + FLOW)
    img = page.locator("article img[src$='deployment_flow.svg']")
    img.click()
    dialog = page.locator("dialog.k8s-zoom[open]")
    dialog.wait_for(state="visible", timeout=5000)
    box = dialog.bounding_box()
    assert box["width"] >= VIEWPORT["width"] - 1 and box["height"] >= VIEWPORT["height"] - 1  # full screen
    content = dialog.locator(".k8s-zoom__content")
    before = content.bounding_box()["width"]
    page.keyboard.press("+")
    page.wait_for_function(
        "(w) => document.querySelector('dialog.k8s-zoom .k8s-zoom__content').getBoundingClientRect().width > w * 1.2",
        arg=before, timeout=5000)
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('dialog.k8s-zoom[open]')", timeout=5000)
    # keyboard only: the diagram (its link) has the focus back, and Enter opens it again
    assert page.evaluate("document.activeElement.matches('a:has(> img.k8s-zoomable)')")
    page.keyboard.press("Enter")
    dialog.wait_for(state="visible", timeout=5000)
    assert page.url.rstrip("/").endswith(FLOW.rstrip("/"))  # opened in place, not the SVG file
    page.keyboard.press("Escape")
    page.wait_for_function("!document.querySelector('dialog.k8s-zoom[open]')", timeout=5000)


def test_a_printed_line_appears_while_its_block_still_runs(page, base_url):
    page.goto(base_url + BLOCKS)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    # about 2-6 s of pure Python in Pyodide after the first line
    set_code(page, 0, 'print("第一行", flush=True)\nn = 0\nwhile n < 15_000_000:\n    n += 1\nprint("完")\n')
    click(page, 0, "run")
    page.wait_for_function(
        "() => { const b = document.querySelectorAll('.k8s-run')[0];"
        " return b.dataset.state === 'running' && b.querySelector('.k8s-run__out').textContent.includes('第一行')"
        " && !b.querySelector('.k8s-run__out').textContent.includes('完'); }",
        timeout=90_000)
    page.wait_for_function("document.querySelectorAll('.k8s-run')[0].dataset.state === 'done'", timeout=120_000)
    out = page.locator(".k8s-run").nth(0).locator(".k8s-run__out").inner_text()
    assert out.split() == ["第一行", "完"]
