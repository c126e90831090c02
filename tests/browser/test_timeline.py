"""The timeline slider (web/timeline.js on docs/_hooks/timeline.py's build output): on the
Deployment-flow page, moving the slider redraws the diagram at that frame and cuts the event log
there; stepping back and forth with the buttons and the keyboard does the same. And no diagram
label is clipped on the home page at 1280 px (bench/screenshots.py's check, issue 13's "Done when")."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

from screenshots import clipped_labels  # noqa: E402

pytestmark = pytest.mark.browser

FLOW = "flow/create-deployment/"
WIDGET = "article .k8s-timeline"


def _frame(page) -> dict:
    return page.evaluate(f"""() => {{
        const w = document.querySelector("{WIDGET}");
        return {{ frame: w.dataset.frame, slider: w.querySelector(".k8s-timeline__slider").value,
                 max: w.querySelector(".k8s-timeline__slider").max,
                 svg: w.querySelector(".k8s-run__diagram svg").textContent.replace(/\\s+/g, " "),
                 figures: w.querySelectorAll("figure").length,
                 events: w.querySelector(".k8s-timeline__events").textContent.split("\\n").filter(Boolean).length,
                 caption: w.querySelector(".k8s-timeline__caption").textContent }};
    }}""")


def _wait_frame(page, n: int) -> None:
    page.wait_for_function(f"document.querySelector('{WIDGET}').dataset.frame === '{n}'", timeout=30_000)


def test_moving_the_slider_redraws_the_diagram_at_that_frame(page, base_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + FLOW)
    page.wait_for_selector(f"{WIDGET}[data-live]")
    last = _frame(page)
    n = int(last["max"])
    assert last["figures"] == 1 and last["frame"] == str(n) and last["slider"] == str(n)
    assert "Running" in last["svg"] and "Pending" not in last["svg"]
    assert last["caption"].startswith(f"frame {n + 1}/{n + 1} ")
    # drag to the first frame: Graphviz (WebAssembly) draws it; no pod exists yet, no Event either
    slider = page.locator(f"{WIDGET} .k8s-timeline__slider")
    slider.focus()
    page.keyboard.press("Home")
    _wait_frame(page, 0)
    first = _frame(page)
    assert first["svg"] != last["svg"] and "Running" not in first["svg"]
    assert first["events"] == 0 and first["caption"].startswith(f"frame 1/{n + 1} ")
    # one step forward with the arrow key, then with the ▶ button: the log only grows
    page.keyboard.press("ArrowRight")
    _wait_frame(page, 1)
    page.locator(f"{WIDGET} .k8s-timeline__next").click()
    _wait_frame(page, 2)
    two = _frame(page)
    assert two["slider"] == "2" and two["events"] >= first["events"]
    page.locator(f"{WIDGET} .k8s-timeline__prev").click()
    _wait_frame(page, 1)
    # the middle of the flow: pods exist but not all run yet
    page.evaluate(f"""() => {{ const s = document.querySelector("{WIDGET} .k8s-timeline__slider");
        s.value = String(Math.floor(s.max / 2)); s.dispatchEvent(new Event("input")); }}""")
    _wait_frame(page, n // 2)
    mid = _frame(page)
    assert "nginx-deployment-" in mid["svg"] and mid["svg"] not in (first["svg"], last["svg"])
    assert first["events"] <= mid["events"] <= last["events"]


def test_no_label_is_clipped_on_the_home_page_at_1280px(page, base_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    assert clipped_labels(page) == []


def test_the_clipping_check_finds_a_label_outside_its_svg(page, base_url):
    # The check must be able to fail: a label drawn past the left edge (as issue 13 saw in the
    # flow diagram), in an inline diagram and in an <img> one, next to a label inside its box.
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="60" viewBox="0 0 200 60">'
           '<text x="-30" y="20" font-size="14">(deployment / replicaset)</text>'
           '<text x="10" y="50" font-size="14">fits</text></svg>')
    page.route("**/_clip_test.svg", lambda route: route.fulfill(body=svg, content_type="image/svg+xml"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url)
    page.evaluate("""(svg) => { document.querySelector("article").innerHTML =
        `<div class="k8s-run__diagram" style="overflow:visible">${svg}</div><img src="_clip_test.svg">`; }""", svg)
    page.wait_for_function("document.querySelector('article img').complete")
    got = clipped_labels(page)
    assert [(c["where"], c["label"], c["why"]) for c in got] == [
        ("inline diagram", "(deployment / replicaset)", "outside its SVG"),
        ("_clip_test.svg", "(deployment / replicaset)", "outside its SVG")]
