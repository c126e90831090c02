// Graphviz compiled to WebAssembly (@viz-js/viz), loaded the first time a block shows a diagram.

import { markDiagrams } from "./zoom.js";

let vizPromise = null;

function viz() {
  if (!vizPromise) vizPromise = import("@viz-js/viz").then((m) => m.instance());
  return vizPromise;
}

// Render DOT text into `container` as an inline <svg>; errors are shown as text.
export async function renderDot(container, dot) {
  try {
    const svg = (await viz()).renderSVGElement(dot);
    container.replaceChildren(svg);
    markDiagrams(container); // a click opens it full-screen (web/zoom.js)
  } catch (err) {
    const pre = document.createElement("pre");
    pre.className = "k8s-run__text k8s-run__error";
    pre.textContent = `Graphviz: ${err && err.message ? err.message : err}`;
    container.replaceChildren(pre);
  }
}
