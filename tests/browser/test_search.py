"""Search as a reader uses it (issue 13): a pasted query finds pages, and a page-level result
opens its page with the query highlighted.

Material (mkdocs-material 9.x) reads the query on keyup only and links a page-level result with
an empty ``?h=`` when the query matched only in the page's sections; web/search.js closes both.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.browser

BLOCKS = "contributing/runnable-blocks/"
QUERY = "命名空间"


def open_search(page, base_url):
    page.goto(base_url + BLOCKS)
    page.locator("label.md-search__icon, .md-search__input").first.click()
    # the field has the focus and Material has read it (empty) once: what follows is input only
    page.wait_for_function("document.activeElement === document.querySelector('.md-search__input')")
    page.wait_for_timeout(500)


def paste(page, text: str) -> None:
    """What a mouse paste does to the field: a value change and an `input` event, no key."""
    page.locator(".md-search__input").evaluate(
        "(el, text) => { el.value = text;"
        " el.dispatchEvent(new InputEvent('input', {bubbles: true, inputType: 'insertFromPaste', data: text})); }",
        text,
    )


def result_links(page) -> list[str]:
    page.locator(".md-search-result__item a[href*='runnable-blocks']").first.wait_for(timeout=20_000)
    return page.eval_on_selector_all("a.md-search-result__link", "as => as.map(a => a.href)")


def test_a_pasted_query_finds_pages(page, base_url):
    open_search(page, base_url)
    paste(page, QUERY)
    links = result_links(page)
    assert any("/" + BLOCKS in link for link in links)
    # a second paste replaces the results (not only the first input counts)
    paste(page, "kube-proxy")
    page.wait_for_function(
        "() => (document.querySelector('a.md-search-result__link') || {}).href?.includes('/node/kube-proxy/')",
        timeout=20_000,
    )


def test_page_level_results_highlight_the_query(page, base_url):
    open_search(page, base_url)
    page.locator(".md-search__input").fill(QUERY)
    page.keyboard.press("End")  # a key-up: this test does not depend on the paste fix
    links = result_links(page)
    pages = [link for link in links if not urlsplit(link).fragment]
    assert len(pages) >= 2  # several pages mention it
    for link in links:
        assert parse_qs(urlsplit(link).query).get("h", [""])[0].strip(), f"no ?h= terms: {link}"
    for link in pages:
        assert parse_qs(urlsplit(link).query)["h"] == [QUERY]
    # the page opens with the query marked
    target = next(link for link in pages if "/" + BLOCKS in link)
    page.locator(f"a.md-search-result__link[href='{target}']").click()
    page.wait_for_url("**/" + BLOCKS + "?h=*")
    mark = page.locator(".md-content mark[data-md-highlight]").first
    mark.wait_for(timeout=20_000)
    assert QUERY in page.locator(".md-content mark[data-md-highlight]").all_text_contents()
