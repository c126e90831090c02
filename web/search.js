// Two gaps in Material's search, closed from outside its bundle (mkdocs-material 9.x):
//
// 1. It reads the query on `keyup` only (components/search/query: merge(worker ready, keyup,
//    focus)), so a query pasted with the mouse, dropped, auto-filled or picked from an IME with
//    the mouse finds nothing. Each such `input` (and each `compositionend`) is answered with a
//    synthetic, non-bubbling `keyup` on the field; Material ignores repeats of the same value.
// 2. A result links with `?h=<the terms that matched in that document>` (templates/search:
//    searchParams.set("h", ...)); a page-level result whose query matched only in its sections
//    gets an empty `?h=`, and the page opens without highlighting. Such links get the query.

const INPUT = ".md-search__input";
const LINK = "a.md-search-result__link";
const listening = new WeakSet();

function query() {
  const input = document.querySelector(INPUT);
  return input ? input.value.trim() : "";
}

// `?h=` for links that carry none (or an empty one): the reader's query.
export function fillHighlight(root, q = query()) {
  if (!q) return;
  for (const a of root.querySelectorAll(LINK)) {
    const url = new URL(a.href, document.baseURI);
    if (url.searchParams.get("h")) continue;
    url.searchParams.set("h", q);
    a.href = url.href;
  }
}

// Once per document: query on input, and highlight terms on every rendered result list.
export function watchSearch() {
  if (!listening.has(document)) {
    listening.add(document);
    const nudge = (event) => {
      const t = event.target;
      if (!(t instanceof HTMLInputElement) || !t.matches(INPUT) || event.isComposing) return;
      t.dispatchEvent(new KeyboardEvent("keyup", { bubbles: false }));
    };
    document.addEventListener("input", nudge, true);
    document.addEventListener("compositionend", nudge, true);
  }
  // The result list lives in the header, which instant navigation keeps; look again anyway.
  const list = document.querySelector(".md-search-result__list");
  if (list && !listening.has(list)) {
    listening.add(list);
    new MutationObserver(() => fillHighlight(list)).observe(list, { childList: true, subtree: true });
    fillHighlight(list);
  }
}
