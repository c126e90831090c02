// Entry point of the runnable blocks (loaded on every page as an async module).
//
// The Python worker starts as soon as a page with runnable blocks is seen -- before the editor
// code is even loaded -- and lives for the whole visit: Material's instant navigation swaps
// pages without reloading, and each new page (announced by Material's `document$`) only gets a
// fresh Python namespace.

import { Runner } from "./runner.js";
import { watchSearch } from "./search.js";
import { syncLanguageLinks } from "./i18n.js";
import { watchDiagrams } from "./zoom.js";

let runner = null;
let page = null;
const hasBlocks = () => document.querySelector(".k8s-run") !== null;

if (hasBlocks()) runner = new Runner(); // boot first, everything else after
const pageModule = import("./page.js");

async function mount() {
  watchSearch(); // every page has the search box
  syncLanguageLinks(); // the header outlives instant navigation; its language links must not
  watchDiagrams(); // every diagram opens full-screen with pan and zoom
  if (page) {
    page.dispose();
    page = null;
  }
  const roots = document.querySelectorAll(".k8s-run:not([data-mounted])");
  if (roots.length === 0) return;
  if (!runner) runner = new Runner();
  else if (runner.mountedOnce) runner.resetPage(); // a new page: fresh namespace
  runner.mountedOnce = true;
  for (const root of roots) root.dataset.mounted = "";
  const { Page } = await pageModule;
  page = new Page(runner, roots);
  window.k8sRun = { runner, page }; // for the browser tests and the benchmark
}

function subscribe() {
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(() => mount());
  } else {
    mount();
  }
}

// This module may run before Material's bundle has defined document$ (async script).
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", subscribe, { once: true });
else subscribe();
