"""Screenshots of the pages a reader meets first, and a check that no diagram label is clipped.

Saves full-page PNGs of the home, Deployment-flow, kube-scheduler and kube-proxy pages at
1280 px and 390 px wide (headless Chromium, /usr/bin/chromium) into a directory, then checks
every diagram on each of them: each ``<text>`` of an SVG -- inline (``show()`` outputs,
timelines) or an ``<img>`` diagram (fetched and laid out off-screen at its rendered width) --
must lie inside its SVG's box, and inside the article's column (text beyond it is cut by the
page). The pages are the build's output (the Python worker is not started). Usage::

    .venv/bin/python bench/screenshots.py OUTDIR [--site DIR]

Without --site the site is built first (mkdocs build into a temporary folder, as the browser
tests do). Prints one line per page and width; exit status 1 if a label is clipped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))

import serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PAGES = {"home": "", "flow": "flow/create-deployment/", "scheduler": "control-plane/kube-scheduler/",
         "kube-proxy": "node/kube-proxy/"}
WIDTHS = {1280: 900, 390: 844}   # viewport width -> height (a laptop; a phone)
TOLERANCE_PX = 1.0

# In the page: every diagram's text boxes against its SVG's box and the article column.
CLIPPED_JS = """
async (tolerance) => {
  const article = document.querySelector("article");
  const col = article.getBoundingClientRect();
  const out = [];
  // `scrolls`: the SVG sits in a box that scrolls sideways, so text past the column is reachable
  const check = (svg, where, scrolls) => {
    const box = svg.getBoundingClientRect();
    for (const t of svg.querySelectorAll("text")) {
      const label = t.textContent.trim();
      if (!label) continue;
      const r = t.getBoundingClientRect();
      const inSvg = r.left >= box.left - tolerance && r.right <= box.right + tolerance &&
                    r.top >= box.top - tolerance && r.bottom <= box.bottom + tolerance;
      const inColumn = scrolls || (r.left >= col.left - tolerance && r.right <= col.right + tolerance);
      if (!inSvg || !inColumn) out.push({ where, label, why: inSvg ? "outside the article column" : "outside its SVG" });
    }
  };
  for (const svg of article.querySelectorAll(".k8s-run__diagram svg")) {
    const box = svg.closest(".k8s-run__diagram");
    check(svg, "inline diagram", ["auto", "scroll"].includes(getComputedStyle(box).overflowX));
  }
  for (const img of article.querySelectorAll("img[src$='.svg']")) {
    const rect = img.getBoundingClientRect();
    if (!rect.width) continue;
    const holder = document.createElement("div");
    holder.style.cssText = `position:absolute;visibility:hidden;left:${rect.left + scrollX}px;top:${rect.top + scrollY}px;width:${rect.width}px`;
    holder.innerHTML = await (await fetch(img.src)).text();
    const svg = holder.querySelector("svg");
    svg.setAttribute("width", String(rect.width));
    svg.setAttribute("height", String(rect.height));
    document.body.append(holder);
    check(svg, img.getAttribute("src"), false);
    holder.remove();
  }
  return out;
}
"""


def clipped_labels(page) -> list[dict]:
    """The labels clipped on the page now shown: ``[{where, label, why}]`` (empty: none)."""
    return page.evaluate(CLIPPED_JS, TOLERANCE_PX)


def open_page(browser, url: str, width: int):
    """A page at ``url`` in a fresh context ``width`` px wide, build output only (no Python)."""
    context = browser.new_context(viewport={"width": width, "height": WIDTHS.get(width, 900)})
    page = context.new_page()
    page.route("**/assets/k8s-run/worker.js", lambda route: route.abort())
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.evaluate("document.fonts.ready")
    return context, page


def shoot(base_url: str, outdir: Path) -> dict[str, list[dict]]:
    """Save ``<page>-<width>.png`` for every page and width; return the clipped labels of each."""
    from playwright.sync_api import sync_playwright

    outdir.mkdir(parents=True, exist_ok=True)
    report: dict[str, list[dict]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for name, path in PAGES.items():
                for width in WIDTHS:
                    context, page = open_page(browser, base_url + path, width)
                    page.screenshot(path=str(outdir / f"{name}-{width}.png"), full_page=True)
                    report[f"{name}-{width}"] = clipped_labels(page)
                    context.close()
        finally:
            browser.close()
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", type=Path)
    ap.add_argument("--site", type=Path, help="an already built site (else: mkdocs build first)")
    args = ap.parse_args(argv)
    port = serve.free_port()
    base_url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory() as tmp:
        site = args.site
        if site is None:
            sys.path.insert(0, str(ROOT / "tests" / "browser"))
            from conftest import build_site

            site = build_site(Path(tmp) / "site", base_url)
        server = serve.serve_in_thread(str(site), port=port)
        try:
            report = shoot(base_url, args.outdir)
        finally:
            server.shutdown()
    bad = 0
    for key, clipped in report.items():
        print(f"{key:<16} {'ok' if not clipped else f'{len(clipped)} clipped'}  -> {args.outdir / (key + '.png')}")
        for c in clipped:
            print(f"    {c['where']}: {c['label']!r} ({c['why']})")
        bad += len(clipped)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
