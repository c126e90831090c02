"""The English edition as a reader meets it, in headless Chromium.

Chinese at ``/``, English at ``/en/`` (mkdocs-static-i18n; docs/_hooks/i18n_site.py gives each
language its own sitemap and search index; web/i18n.js keeps the header's language links right
after instant navigation). The page fixture fails a test on any request off the site's origin,
any response >= 400 and any console error -- e.g. Material fetching a sitemap that does not exist.
"""

from __future__ import annotations

import re

import pytest

from test_runnable_blocks import click, texts, wait_runs

pytestmark = pytest.mark.browser

FLOW = "flow/create-deployment/"
BLOCKS = "contributing/runnable-blocks/"
KUBELET = "node/kubelet/"


def alternates(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "head link[rel=alternate][hreflang]",
        "ls => Object.fromEntries(ls.map(l => [l.getAttribute('hreflang'), l.href]))",
    )


def switch_language(page, lang: str) -> None:
    """Open the header's language menu and pick ``lang``, as a reader does."""
    page.locator(".md-header .md-select").hover()
    page.locator(f".md-header a.md-select__link[hreflang='{lang}']").click()


def test_hreflang_links_name_both_versions_of_each_page(page, base_url):
    page.goto(base_url + FLOW)
    assert page.evaluate("document.documentElement.lang") == "zh"
    assert alternates(page) == {"zh": base_url + FLOW, "en": base_url + "en/" + FLOW}
    page.goto(base_url + "en/" + FLOW)
    assert page.evaluate("document.documentElement.lang") == "en"
    assert alternates(page) == {"zh": base_url + FLOW, "en": base_url + "en/" + FLOW}
    assert page.locator("h1").first.inner_text().startswith("Creating a Deployment, end to end")


def test_language_switch_goes_to_the_same_page_and_back(page, base_url):
    page.goto(base_url + FLOW)
    switch_language(page, "en")
    page.wait_for_url(base_url + "en/" + FLOW)
    assert page.evaluate("document.documentElement.lang") == "en"  # a full load: English header
    assert page.locator(".md-search__input").get_attribute("placeholder") == "Search"
    # Instant navigation inside the English edition (same document), then back to Chinese:
    # the header's switch now names the page we are on, not the first one.
    page.evaluate("window.__sameDocument = true")
    page.locator("nav.md-nav--primary a.md-nav__link[href$='node/kubelet/']").first.click()
    page.wait_for_url(base_url + "en/" + KUBELET)
    page.locator("h1", has_text=re.compile(r"\bkubelet\b")).first.wait_for()  # the new page is in
    assert page.evaluate("window.__sameDocument") is True
    switch_language(page, "zh")
    page.wait_for_url(base_url + KUBELET)
    assert page.evaluate("document.documentElement.lang") == "zh"
    assert page.evaluate("window.__sameDocument") is None  # left the English document


def test_english_edition_has_every_page(page, base_url):
    page.goto(base_url)
    zh = page.eval_on_selector_all(
        "nav.md-nav--primary a.md-nav__link[href]", "as => [...new Set(as.map(a => a.href.split('#')[0]))]"
    )
    assert len(zh) >= 10
    for url in zh:
        en = base_url + "en/" + url[len(base_url):]
        response = page.request.get(en)
        assert response.status == 200, en
        body = response.text()
        assert '<html lang="en"' in body, en
        assert f'hreflang="zh"' in body, en


def test_english_blocks_run_live_exactly_as_built(page, base_url):
    """An English page's blocks run in Pyodide from /en/ URLs (assets one level up) as built."""
    page.goto(base_url + "en/" + BLOCKS)
    page.wait_for_selector(".k8s-run[data-state] .cm-editor")
    count = page.locator(".k8s-run").count()
    assert count == 5
    build = [texts(page, i) for i in range(count)]
    assert build[1] == ["the timer in the previous block fired 4 times\n"]
    assert page.locator(".k8s-run__run").first.inner_text().strip() == "▶ Run"  # the runner speaks English
    click(page, count - 1, "run")
    for i in range(count):
        wait_runs(page, i, 1)
    assert [texts(page, i) for i in range(count)] == build
    assert all("/en/assets/" not in u for u in page.rec.requests)  # one runtime for both languages


def _search(page, query: str):
    page.locator("label.md-search__icon, .md-search__input").first.click()
    page.locator(".md-search__input").fill(query)
    page.locator(".md-search-result__item").first.wait_for(timeout=20_000)
    return page.eval_on_selector_all(".md-search-result__item a[href]", "as => as.map(a => a.href)")


def test_search_answers_in_the_pages_language(page, base_url):
    page.goto(base_url + "en/" + BLOCKS)
    hits = _search(page, "namespace")
    assert hits and all(h.startswith(base_url + "en/") for h in hits), hits
    page.goto(base_url + BLOCKS)
    hits = _search(page, "命名空间")
    assert hits and not any(h.startswith(base_url + "en/") for h in hits), hits
