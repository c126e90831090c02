// A recorded cluster history with a time slider (`show(c.timeline_view())`, k8score/historyview.py).
//
// The build (docs/_hooks/timeline.py) draws the first and the last frame, so the page reads
// without JavaScript; mountTimelines() turns each such widget into one diagram and a slider over
// every frame (each frame's DOT is in the widget's JSON; Graphviz-in-WebAssembly draws it). A run
// in the browser builds the same widget with timelineElement(). The event log under the diagram
// shows the Events up to the frame on the slider. `data-frame` on the widget is the frame drawn
// (set once the SVG is in place): the browser tests wait on it.

import { renderDot } from "./graphviz.js";
import { tr } from "./i18n.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function mount(widget) {
  const data = JSON.parse(widget.querySelector(".k8s-timeline__data").dataset.json);
  const frames = data.frames;
  const slider = widget.querySelector(".k8s-timeline__slider");
  const caption = widget.querySelector(".k8s-timeline__caption");
  const figures = [...widget.querySelectorAll(".k8s-timeline__frame")];
  const stage = figures[figures.length - 1]; // the last frame: what the slider starts on
  for (const f of figures) if (f !== stage) f.remove();
  stage.querySelector("figcaption")?.remove(); // the bar says which frame is shown
  const box = stage.querySelector(".k8s-run__diagram");
  const events = widget.querySelector(".k8s-timeline__events");
  widget.dataset.live = "";

  // Buttons to step one frame back or forward (the slider's arrow keys do the same).
  const bar = slider.parentElement;
  const back = el("button", "md-button k8s-timeline__prev", "◀");
  const next = el("button", "md-button k8s-timeline__next", "▶");
  back.type = next.type = "button";
  for (const b of [back, next]) b.style.cssText = "margin:0;padding:0.1em 0.8em;min-width:0";
  const en = document.documentElement.lang.startsWith("en"); // the English edition
  back.setAttribute("aria-label", en ? "previous frame" : "上一帧");
  next.setAttribute("aria-label", en ? "next frame" : "下一帧");
  slider.setAttribute("aria-label", en ? "timeline: frame" : "时间轴：第几帧");
  bar.prepend(back);
  slider.after(next);

  // Draw the frame asked for last; a slider dragged faster than Graphviz draws skips frames.
  let want = Number(slider.value);
  let drawing = false;
  async function draw() {
    if (drawing) return;
    drawing = true;
    while (widget.dataset.frame !== String(want)) {
      const i = want;
      await renderDot(box, frames[i].dot);
      widget.dataset.frame = String(i);
    }
    drawing = false;
  }
  function show(i) {
    i = Math.max(0, Math.min(frames.length - 1, i));
    slider.value = String(i);
    caption.textContent = frames[i].caption;
    events.textContent = data.events.slice(0, frames[i].events).map((line) => line + "\n").join("");
    requestAnimationFrame(() => (events.scrollTop = events.scrollHeight)); // the newest Event in view (once laid out)
    back.disabled = i === 0;
    next.disabled = i === frames.length - 1;
    want = i;
    draw();
  }
  slider.disabled = frames.length < 2;
  slider.addEventListener("input", () => show(Number(slider.value)));
  back.addEventListener("click", () => show(Number(slider.value) - 1));
  next.addEventListener("click", () => show(Number(slider.value) + 1));
  if (box.querySelector("svg")) widget.dataset.frame = String(want); // drawn at build time
  show(want);
}

// Make every build-time timeline under `root` scrubbable.
export function mountTimelines(root) {
  for (const widget of root.querySelectorAll(".k8s-timeline:not([data-live])")) mount(widget);
}

// The widget for a `timeline` segment of a run in the browser (same DOM as the build's).
export function timelineElement(seg) {
  const widget = el("div", "k8s-timeline");
  // the data in an attribute, not a <script>: instant navigation would run a script as JavaScript
  const json = el("div", "k8s-timeline__data");
  json.hidden = true;
  json.dataset.json = JSON.stringify({ frames: seg.frames, events: seg.events, title: seg.title });
  widget.append(json);
  if (seg.title) {
    const title = el("div", "k8s-timeline__title");
    title.append(el("strong", "", seg.title));
    widget.append(title);
  }
  if (!seg.frames.length) {
    widget.append(el("pre", "k8s-run__text", tr("（没有记录到任何帧）", "(no frames recorded)")));
    return widget;
  }
  const last = seg.frames.length - 1;
  const bar = el("div", "k8s-timeline__bar");
  bar.style.cssText = "display:flex;gap:0.8em;align-items:center;flex-wrap:wrap";
  const slider = el("input", "k8s-timeline__slider");
  Object.assign(slider, { type: "range", min: "0", max: String(last), step: "1", value: String(last) });
  slider.style.flex = "1 1 16em";
  slider.setAttribute("aria-label", tr("时间轴：第几帧", "timeline: frame"));
  bar.append(slider, el("output", "k8s-timeline__caption"));
  const figure = el("figure", "k8s-timeline__frame");
  figure.style.margin = "0.4em 0";
  figure.dataset.frame = String(last);
  figure.append(el("div", "k8s-run__diagram"));
  const events = el("pre", "k8s-run__text k8s-timeline__events");
  events.style.cssText = "max-height:18em;overflow:auto;white-space:pre-wrap";
  widget.append(bar, figure, events);
  mount(widget);
  return widget;
}
