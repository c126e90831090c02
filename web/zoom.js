// Every diagram opens full-screen with pan and zoom (@panzoom/panzoom, bundled like the rest).
//
// Diagrams are the pages' SVG images (`<img src="….svg">`, often inside a link to the file) and
// the runnable blocks' inline SVGs (`.k8s-run__diagram`, drawn at build time or live). Each gets
// tabindex=0 and role=button: a click, Enter or Space opens a modal <dialog> holding a copy of
// the diagram fitted to the screen. There: drag or arrow keys pan, the wheel / pinch / + and -
// zoom, 0 fits again, Esc or the × button closes and gives the focus back to the diagram.
// Without JavaScript the link to the SVG file still opens it full size.

import Panzoom from "@panzoom/panzoom";
import { tr } from "./i18n.js";

const IMAGES = "article img[src$='.svg']";
const INLINE = ".k8s-run__diagram";
const LABEL = tr("点击放大（可拖动、缩放；Esc 关闭）", "click to enlarge (drag, zoom; Esc closes)");
const MAX_SCALE = 12;
const STEP = 0.4; // zoom step of the buttons and keys (panzoom's `step`)
const PAN_PX = 60; // arrow keys

let dialog = null;
let panzoom = null;
let opener = null;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, text, title, onClick) {
  const b = el("button", `k8s-zoom__button ${className}`, text);
  b.type = "button";
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  return b;
}

function ensureDialog() {
  if (dialog && dialog.isConnected) return dialog;
  dialog = el("dialog", "k8s-zoom");
  dialog.setAttribute("aria-label", tr("图的放大视图", "enlarged diagram"));
  const bar = el("div", "k8s-zoom__bar");
  bar.append(
    button("k8s-zoom__in", "+", tr("放大（+）", "zoom in (+)"), () => panzoom && panzoom.zoomIn()),
    button("k8s-zoom__out", "−", tr("缩小（-）", "zoom out (-)"), () => panzoom && panzoom.zoomOut()),
    button("k8s-zoom__fit", tr("适应", "fit"), tr("适应屏幕（0）", "fit to screen (0)"), () => panzoom && panzoom.reset()),
    button("k8s-zoom__close", "×", tr("关闭（Esc）", "close (Esc)"), () => dialog.close()),
  );
  const stage = el("div", "k8s-zoom__stage");
  stage.addEventListener("wheel", (e) => panzoom && panzoom.zoomWithWheel(e), { passive: false });
  dialog.append(bar, stage);
  dialog.addEventListener("keydown", onKey);
  dialog.addEventListener("close", () => {
    if (panzoom) panzoom.destroy();
    panzoom = null;
    stage.replaceChildren();
    if (opener && opener.isConnected) opener.focus();
    opener = null;
  });
  // A click on the backdrop (outside the stage's content) closes, as on most image viewers.
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
  document.body.append(dialog);
  return dialog;
}

function onKey(e) {
  if (!panzoom || e.ctrlKey || e.metaKey || e.altKey) return;
  const pan = { ArrowLeft: [PAN_PX, 0], ArrowRight: [-PAN_PX, 0], ArrowUp: [0, PAN_PX], ArrowDown: [0, -PAN_PX] }[e.key];
  if (e.key === "+" || e.key === "=") panzoom.zoomIn();
  else if (e.key === "-" || e.key === "_") panzoom.zoomOut();
  else if (e.key === "0") panzoom.reset();
  else if (pan) panzoom.pan(pan[0], pan[1], { relative: true });
  else return; // Esc: the dialog's own cancel closes it
  e.preventDefault();
}

// A copy of the diagram that fills the stage, keeping its aspect ratio.
function copyOf(target) {
  if (target.tagName === "IMG") {
    const img = el("img", "k8s-zoom__content");
    img.src = target.currentSrc || target.src;
    img.alt = target.alt;
    img.draggable = false;
    return img;
  }
  const svg = target.querySelector("svg");
  if (!svg) return null;
  const copy = svg.cloneNode(true);
  if (!copy.getAttribute("viewBox")) {
    const w = parseFloat(svg.getAttribute("width")) || svg.getBBox().width;
    const h = parseFloat(svg.getAttribute("height")) || svg.getBBox().height;
    copy.setAttribute("viewBox", `0 0 ${w} ${h}`);
  }
  copy.removeAttribute("width");
  copy.removeAttribute("height");
  copy.classList.add("k8s-zoom__content");
  return copy;
}

export function open(target) {
  const content = copyOf(target);
  if (!content) return;
  const d = ensureDialog();
  const stage = d.querySelector(".k8s-zoom__stage");
  stage.replaceChildren(content);
  opener = target.closest("a") || target;
  if (!d.open) d.showModal();
  panzoom = Panzoom(content, { maxScale: MAX_SCALE, minScale: 0.5, step: STEP, cursor: "grab", canvas: true });
  d.querySelector(".k8s-zoom__close").focus();
  d.dataset.open = "";
}

function activate(e) {
  const target = e.target.closest(`${INLINE}, ${IMAGES}, a:has(> ${IMAGES.replace("article ", "")})`);
  if (!target || !target.closest("article")) return null;
  if (target.tagName === "A") return target.querySelector("img");
  if (target.matches(INLINE) && !target.querySelector("svg")) return null;
  return target;
}

function onClick(e) {
  if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey) return; // new tab: the SVG file
  const target = activate(e);
  if (!target) return;
  e.preventDefault();
  open(target);
}

function onKeydown(e) {
  if (e.key !== "Enter" && e.key !== " ") return;
  if (!(e.target.matches && e.target.matches(`${INLINE}, ${IMAGES}, a`))) return;
  const target = activate(e);
  if (!target) return;
  e.preventDefault();
  open(target);
}

// Mark the page's diagrams as buttons (again after a live run redraws one).
export function markDiagrams(root = document) {
  for (const img of root.querySelectorAll(IMAGES)) {
    const link = img.closest("a");
    const focusable = link || img;
    if (!link) focusable.tabIndex = 0;
    focusable.setAttribute("role", "button");
    focusable.setAttribute("aria-label", `${img.alt || tr("图", "diagram")}${tr("：", ": ")}${LABEL}`);
    focusable.title = LABEL;
    img.classList.add("k8s-zoomable");
  }
  const boxes = root.matches && root.matches(INLINE) ? [root] : root.querySelectorAll(INLINE);
  for (const box of boxes) {
    box.tabIndex = 0;
    box.setAttribute("role", "button");
    box.setAttribute("aria-label", tr(`集群图：${LABEL}`, `cluster diagram: ${LABEL}`));
    box.title = LABEL;
    box.classList.add("k8s-zoomable");
  }
}

let listening = false;

export function watchDiagrams() {
  if (!listening) {
    listening = true;
    document.addEventListener("click", onClick);
    document.addEventListener("keydown", onKeydown);
  }
  markDiagrams(document);
}
