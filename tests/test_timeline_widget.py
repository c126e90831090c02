"""The timeline widget's build output (docs/_hooks/timeline.py via render.output_html): a block
that calls ``show(c.timeline_view())`` embeds its first and last frames as SVG (the page reads
without JavaScript), every frame's DOT in safe JSON for web/timeline.js, the slider set on the
last frame, and the event log up to it."""

from __future__ import annotations

import json
from html import unescape
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_hooks"))

from blockrun import Session  # noqa: E402
from timeline import timeline_html  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")

BLOCK = """
from k8score import Cluster, show
r = Cluster(nodes=2, seed=0, metrics_server=False)
r.record()
t0 = r.now
r.kubectl("create deployment web --image=nginx:1.14.2 --replicas=2")
r.run(seconds=20)
show(r.timeline_view(since=t0, title="web </script> <b>"))
"""


@pytest.fixture(scope="module")
def segment():
    result = Session().run(BLOCK, 0)
    assert not result["error"], result
    (seg,) = [s for s in result["segments"] if s["kind"] == "timeline"]
    return seg


def _fake_svg(dot: str) -> str:
    return f'<svg data-dot-len="{len(dot)}"><text>frame</text></svg>'


def test_the_block_runner_passes_the_timeline_segment_through(segment):
    assert segment["title"] == "web </script> <b>"
    frames = segment["frames"]
    assert 5 < len(frames) <= 60
    assert [f["events"] for f in frames] == sorted(f["events"] for f in frames)
    assert frames[-1]["events"] == len(segment["events"])
    assert "Running 1/1" in frames[-1]["dot"] and "Running" not in frames[0]["dot"]


def test_html_embeds_first_and_last_frame_and_all_frames_as_json(segment):
    html = timeline_html(segment, _fake_svg)
    last = len(segment["frames"]) - 1
    shown = re.findall(r'<figure class="k8s-timeline__frame" data-frame="(\d+)"', html)
    assert shown == ["0", str(last)]
    assert html.count("<svg") == 2
    assert f'max="{last}"' in html and f'value="{last}"' in html and "disabled" in html
    # no inline <script> (instant navigation would run it as JavaScript): the JSON sits in an
    # attribute, escaped so it cannot end it early, and parses back to every frame
    assert "<script" not in html
    body = re.search(r'<div class="k8s-timeline__data" hidden data-json="([^"]*)"></div>', html)[1]
    assert "<" not in body
    data = json.loads(unescape(body))
    assert [f["dot"] for f in data["frames"]] == [f["dot"] for f in segment["frames"]]
    # the title is escaped, the caption says which frame the slider is on
    assert "web &lt;/script&gt; &lt;b&gt;" in html
    assert f"frame {last + 1}/{last + 1}  t = +" in html
    # the event log under the diagram: every Event up to the last frame, Started among them
    log = re.search(r'<pre class="k8s-run__text k8s-timeline__events"[^>]*>\n(.*?)</pre>', html, re.S)[1]
    assert log.count("\n") == len(segment["events"]) and "Started: Pod/web-" in log


def test_one_frame_only_is_drawn_once():
    seg = {"kind": "timeline", "title": "", "events": [],
           "frames": [{"t": 0.0, "dot": "digraph { a }", "events": 0, "caption": "frame 1/1"}]}
    html = timeline_html(seg, _fake_svg)
    assert html.count("<figure") == 1 and 'max="0"' in html


@needs_dot
def test_output_html_renders_frames_with_graphviz(segment):
    import native
    import render

    html = render.output_html({"segments": [segment], "error": False}, native.render_dot)
    assert html.count("<svg") == 2 and "<?xml" not in html
    assert "web-" in html   # the pod names are drawn
