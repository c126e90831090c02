"""The HTML of a ``timeline`` segment (``show(c.timeline_view(...))``, k8score/historyview.py).

Built here with the first and the last frame rendered by native Graphviz, so the page shows
both without JavaScript; web/timeline.js then turns the widget into one diagram and a slider
that scrubs through every frame (each frame's DOT is in the widget's JSON, drawn by Graphviz in
WebAssembly). The same DOM is produced live when a block runs in the browser::

    <div class="k8s-timeline">
      <div class="k8s-timeline__data" hidden data-json='{"frames": [...], "events": [...]}'></div>
      <div class="k8s-timeline__bar"><input type="range" class="k8s-timeline__slider" disabled>
        <output class="k8s-timeline__caption">...</output></div>
      <figure class="k8s-timeline__frame" data-frame="0">            first frame
        <figcaption>...</figcaption><div class="k8s-run__diagram"><svg>...</svg></div></figure>
      <figure class="k8s-timeline__frame" data-frame="N-1">...</figure> last frame
      <pre class="k8s-run__text k8s-timeline__events">the event log up to the last frame</pre>
    </div>
"""

from __future__ import annotations

import json
from html import escape


def _json_attribute(data: dict) -> str:
    """The JSON as an HTML attribute value. Not a ``<script type="application/json">``:
    Material's instant navigation re-runs a new page's inline scripts as JavaScript."""
    return escape(json.dumps(data, ensure_ascii=False, separators=(",", ":")), quote=True)


def timeline_html(seg: dict, render_dot) -> str:
    frames = seg["frames"]
    if not frames:
        return '<pre class="k8s-run__text">（没有记录到任何帧）</pre>'
    last = len(frames) - 1
    data = {"frames": frames, "events": seg["events"], "title": seg.get("title", "")}
    shown = [0, last] if last else [0]
    figures = "".join(
        f'<figure class="k8s-timeline__frame" data-frame="{i}" style="margin:0.4em 0">'
        f'<figcaption>{escape(frames[i]["caption"])}</figcaption>'
        f'<div class="k8s-run__diagram">{render_dot(frames[i]["dot"])}</div></figure>'
        for i in shown)
    events = "".join(line + "\n" for line in seg["events"][:frames[last]["events"]])
    title = f'<div class="k8s-timeline__title"><strong>{escape(seg["title"])}</strong></div>' if seg.get("title") else ""
    return (
        '<div class="k8s-timeline">'
        f'<div class="k8s-timeline__data" hidden data-json="{_json_attribute(data)}"></div>'
        f"{title}"
        '<div class="k8s-timeline__bar" style="display:flex;gap:0.8em;align-items:center;flex-wrap:wrap">'
        f'<input type="range" class="k8s-timeline__slider" min="0" max="{last}" step="1" value="{last}" '
        f'aria-label="时间轴：第几帧" disabled style="flex:1 1 16em">'
        f'<output class="k8s-timeline__caption">{escape(frames[last]["caption"])}</output></div>'
        f"{figures}"
        f'<pre class="k8s-run__text k8s-timeline__events" style="max-height:18em;overflow:auto;white-space:pre-wrap">\n'
        f"{escape(events, quote=False)}</pre>"
        "</div>"
    )
