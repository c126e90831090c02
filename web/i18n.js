// The language switch in the header (mkdocs-static-i18n + Material's language selector).
//
// Each page names its translations in <head> as <link rel="alternate" hreflang="..">, and the
// header's selector links to the same page in the other language. Material's instant navigation
// swaps the <head> links on every page but keeps the header, whose selector links were written
// for the first page (relative URLs, now wrong): after each page swap they are set again from
// the <head>. Following one is a full page load: each language has its own sitemap (see
// docs/_hooks/i18n_site.py), so instant navigation never crosses languages.

export function syncLanguageLinks(doc = document) {
  for (const a of doc.querySelectorAll("a.md-select__link[hreflang]")) {
    const lang = a.getAttribute("hreflang");
    const alt = [...doc.head.querySelectorAll("link[rel=alternate][hreflang]")].find(
      (l) => l.getAttribute("hreflang") === lang,
    );
    if (alt && a.href !== alt.href) a.href = alt.href;
  }
}

// The runner's own words (buttons, statuses, labels) in the page's language: `<html lang>` is
// fixed for a document, since switching languages is a full page load.
export const english = () => (document.documentElement.lang || "").startsWith("en");

export function tr(zh, en) {
  return english() ? en : zh;
}

// The page's language as k8score.lang names it: the worker runs each block in it (k8score's own
// output -- explain tables, summaries -- and traceback names `<block n>` / `<代码块 n>`).
export const pageLanguage = () => (english() ? "en" : "zh");

// What the worker reports while Python boots (a worker has no document to ask).
const WORKER_TEXTS = {
  "正在下载 Python 运行时…": "downloading the Python runtime…",
  "正在安装 k8score…": "installing k8score…",
  "正在导入 k8score…": "importing k8score…",
};

export function trWorker(text) {
  return english() && WORKER_TEXTS[text] ? WORKER_TEXTS[text] : text;
}
