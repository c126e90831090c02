"""Recorded history (k8score/history.py, k8score/historyview.py; ``c.record()``, ``c.history()``,
``c.timeline_view()``): what a reader scrubs through on the Deployment-flow page.

The flow recorded is upstream's (kubernetes/kubernetes pkg/controller/deployment,
pkg/controller/replicaset, pkg/scheduler, pkg/kubelet): ScalingReplicaSet -> SuccessfulCreate ->
Scheduled -> Pulling -> Pulled -> Created -> Started; a rolling update keeps maxSurge 25 % (1 of 3)
and maxUnavailable 25 % (0 of 3) (pkg/apis/apps/v1/defaults.go).
"""

from __future__ import annotations

import pytest

from k8score import Cluster, show
from k8score.history import Frame, compact

NGINX = "create deployment web --image=nginx:1.14.2 --replicas=3"


def _flow(record: bool = True, seed: int = 0):
    c = Cluster(nodes=3, seed=seed)
    h = c.record() if record else None
    t0 = c.now
    c.kubectl(NGINX)
    c.run(seconds=20)
    return c, h, t0


@pytest.fixture(scope="module")
def flow():
    return _flow()


def test_frames_follow_the_pods_from_nothing_to_three_running_and_ready(flow):
    c, h, t0 = flow
    frames = h.frames()
    assert frames[0].t == t0 and frames[0].items("pods") == [] and frames[0].items("deployments") == []
    assert [n["name"] for n in frames[0].items("nodes")] == ["node-1", "node-2", "node-3"]
    # every pod goes Pending (unscheduled) -> Pending on a node -> ContainerCreating -> Running, in that order
    seen: dict[str, list[str]] = {}
    for f in frames:
        for p in f.items("pods"):
            step = f"{p['status']}@{'node' if p['node'] else '-'}"
            if not seen.setdefault(p["name"], []) or seen[p["name"]][-1] != step:
                seen[p["name"]].append(step)
    assert len(seen) == 3
    for steps in seen.values():
        assert steps == ["Pending@-", "Pending@node", "ContainerCreating@node", "Running@node"], steps
    last = frames[-1]
    assert last.summary() == "3/3 nodes Ready; pods 3 Running (3 ready)"
    rs = last.items("replicasets")[0]
    assert (rs["ready"], rs["replicas"], rs["image"], rs["owner"]) == (3, 3, "nginx:1.14.2", ("Deployment", "web"))
    assert {p["owner"] for p in last.items("pods")} == {("ReplicaSet", rs["name"])}
    # the Deployment's pods start once the image is pulled: seconds later, not at submission
    running = [f.t for f in frames if any(p["status"] == "Running" for p in f.items("pods"))]
    assert running and running[0] - t0 > 1.0


def test_each_frame_carries_the_events_up_to_it(flow):
    c, h, t0 = flow
    frames = h.frames()
    assert frames[0].events == ()
    for f in frames:
        assert all(t0 <= t <= f.t for t, _, _ in f.events)
    reasons = [text.split(":")[0] for _, _, text in frames[-1].events]
    order = ["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"]
    assert [reasons.index(r) for r in order] == sorted(reasons.index(r) for r in order)
    assert reasons.count("Started") == 3
    assert list(frames[-1].events) == [e for e in c.timeline() if e[0] >= t0]


def test_recording_is_deterministic_and_changes_nothing():
    c1, h1, _ = _flow(seed=7)
    c2, h2, _ = _flow(seed=7)
    dots1, dots2 = [f.dot() for f in h1.frames()], [f.dot() for f in h2.frames()]
    assert dots1 == dots2 and len(dots1) > 5
    # a cluster that is not recorded takes the same random choices (pod names, nodes) and events
    c3, _, _ = _flow(record=False, seed=7)
    names = lambda c: sorted((p["metadata"]["name"], p["spec"].get("nodeName")) for p in c.get("pods"))  # noqa: E731
    assert names(c1) == names(c3)
    assert c1.timeline() == c3.timeline()


def test_a_quiet_cluster_records_nothing_more_and_a_second_record_keeps_the_first(flow):
    c, h, _ = flow
    before = len(h)
    c.run(seconds=60)   # node status heartbeats and lease renewals: nothing the diagram draws
    assert len(h) == before
    assert c.record() is h and c.history() is h
    c.delete("pod", h.frames()[-1].items("pods")[0]["name"])
    c.run(seconds=1)
    assert len(h) > before   # the replacement pod and the Terminating one are recorded at once


def test_history_before_record_says_what_to_do():
    c = Cluster(nodes=1, seed=0, metrics_server=False)
    with pytest.raises(RuntimeError, match=r"call c\.record\(\) before"):
        c.history()


def test_view_merges_identical_frames_and_keeps_at_most_max_frames(flow):
    c, h, t0 = flow
    full = c.timeline_view(since=t0, until=t0 + 20)
    dots = [f.dot() for f in full.frames]
    assert all(a != b for a, b in zip(dots, dots[1:])), "two consecutive frames draw the same picture"
    assert 5 < len(full) <= 60
    small = h.view(since=t0, until=t0 + 20, max_frames=4)
    assert len(small) == 4
    assert small.frames[0].t == full.frames[0].t and small.frames[-1].t == full.frames[-1].t
    assert [f.t for f in small.frames] == sorted(f.t for f in small.frames)
    one_more = h.view(since=t0, until=t0 + 20, max_frames=len(full) + 1)
    assert len(one_more) == len(full)   # under the cap nothing is dropped
    with pytest.raises(ValueError, match="at least 2"):
        h.view(max_frames=1)
    # a window: frames inside it only, the first one the state in force at `since`
    mid = full.frames[len(full) // 2].t
    late = h.view(since=mid, until=t0 + 20)
    assert late.frames[0].t == mid and all(f.t >= mid for f in late.frames)
    assert h.at(mid).objects == late.frames[0].objects


def test_show_hands_the_page_a_timeline_segment_and_prints_without_a_page(flow, capsys):
    from k8score import display

    c, h, t0 = flow
    view = c.timeline_view(since=t0, until=t0 + 20, title="web")   # the flow's 20 s, whatever ran after
    got = []
    display.set_handler(got.append)
    try:
        show(view)
    finally:
        display.set_handler(None)
    seg = got[0]
    assert seg["kind"] == "timeline" and seg["title"] == "web"
    assert len(seg["frames"]) == len(view) and seg["frames"][0]["t"] == 0.0
    assert seg["frames"][-1]["events"] == len(seg["events"]) and seg["frames"][0]["events"] == 0
    assert seg["frames"][-1]["dot"].startswith("digraph frame {")
    assert seg["frames"][-1]["caption"].startswith(f"frame {len(view)}/{len(view)}  t = +")
    assert seg["events"][0].startswith("+  0.001s  deployment-controller") and "ScalingReplicaSet" in seg["events"][0]
    show(view)   # no handler: a line per frame
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(view) and lines[-1].endswith("3/3 nodes Ready; pods 3 Running (3 ready)")


def test_a_rolling_update_shows_two_replicasets_trading_pods():
    c = Cluster(nodes=3, seed=0)
    c.kubectl(NGINX)
    c.run(seconds=15)
    h = c.record()
    t0 = c.now
    c.kubectl("set image deployment/web nginx=nginx:1.16.1")
    c.run(seconds=30)
    frames = h.frames(since=t0)
    both = [f for f in frames if len({rs["image"] for rs in f.items("replicasets") if rs["replicas"]}) == 2]
    assert both, "no frame with the old and the new ReplicaSet both scaled up"
    # maxSurge 1 of 3: never more than 4 pods not terminating; maxUnavailable 0: never fewer than 3 ready
    for f in frames:
        live = [p for p in f.items("pods") if p["status"] != "Terminating"]
        assert len(live) <= 4
        assert sum(1 for p in f.items("pods") if p["podReady"]) >= 3
    last = {rs["image"]: (rs["replicas"], rs["ready"]) for rs in frames[-1].items("replicasets")}
    assert last == {"nginx:1.14.2": (0, 0), "nginx:1.16.1": (3, 3)}


def test_compact_keeps_what_is_drawn_only():
    pod = {"metadata": {"name": "p", "namespace": "shop", "uid": "u1", "resourceVersion": "5",
                        "ownerReferences": [{"kind": "ReplicaSet", "name": "rs", "controller": True}]},
           "spec": {"nodeName": "node-1", "containers": [{"name": "a"}, {"name": "b"}]},
           "status": {"phase": "Pending", "containerStatuses": [
               {"ready": True, "state": {"running": {}}},
               {"ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}}
    c1 = compact("pods", pod)
    assert c1 == {"name": "p", "ns": "shop", "owner": ("ReplicaSet", "rs"), "uid": "u1", "node": "node-1", "phase": "Pending",
                  "status": "ImagePullBackOff", "ready": "1/2", "podReady": False}
    bumped = dict(pod, metadata=dict(pod["metadata"], resourceVersion="6"))
    assert compact("pods", bumped) == c1   # a resourceVersion bump draws nothing new
    assert compact("pods", dict(pod, metadata=dict(pod["metadata"], deletionTimestamp="x")))["status"] == "Terminating"
    f = Frame(1.0, {"nodes": {"node-1": compact("nodes", {"metadata": {"name": "node-1"}})}, "pods": {"p": c1}})
    assert f.summary() == "0/1 nodes Ready; pods 1 ImagePullBackOff (0 ready)"
    assert 'PORT="p0" BGCOLOR="#fff4d6" COLOR="#c98a00" BORDER="1" STYLE="rounded">p<BR/>ImagePullBackOff 1/2<' in f.dot()


def test_a_frame_draws_services_to_ready_and_not_ready_pods_and_every_node():
    pod = lambda name, uid, node, ready: compact("pods", {  # noqa: E731
        "metadata": {"name": name, "namespace": "default", "uid": uid},
        "spec": {"nodeName": node, "containers": [{"name": "c"}]},
        "status": {"phase": "Running" if node else "Pending",
                   "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
                   "containerStatuses": [{"ready": ready, "state": {"running": {}}}] if node else []}})
    svc = lambda name, selector: compact("services", {  # noqa: E731
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"clusterIP": "10.96.0.9", "ports": [{"port": 80}], "selector": selector}})
    eps = compact("endpoints", {"metadata": {"name": "web", "namespace": "default"}, "subsets": [
        {"addresses": [{"ip": "10.244.1.2", "targetRef": {"uid": "u1"}}],
         "notReadyAddresses": [{"ip": "10.244.1.3", "targetRef": {"uid": "u2"}}]}]})
    nodes = {n: compact("nodes", {"metadata": {"name": n}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
             for n in ("node-1", "node-2")}
    f = Frame(0.0, {"nodes": nodes,
                    "pods": {"a": pod("a", "u1", "node-1", True), "b": pod("b", "u2", "node-1", False),
                             "c": pod("c", "u3", "", False)},
                    "services": {"default/kubernetes": svc("kubernetes", None), "default/web": svc("web", {"app": "web"})},
                    "endpoints": {"default/web": eps}})
    dot = f.dot()
    # a and b are the cells p0 and p1 of node-1's box; c waits in the unscheduled box
    assert '"svc:default/web" -> "node:node-1":"p0":w [color="#8e44ad", style=dashed]' in dot
    assert '"svc:default/web" -> "node:node-1":"p1":w [color="#bbbbbb", style=dotted]' in dot
    assert "kubernetes" not in dot   # no selector: nothing of it to draw
    assert '"node:node-2" [shape=plain, label=<<TABLE' in dot and "<B>node-2  Ready</B>" in dot   # empty, still shown
    assert '<B>unscheduled (Pending)</B>' in dot and '>c<BR/>Pending 0/1<' in dot
    assert 'BGCOLOR="#dcf5e3" COLOR="#1f8a3b" BORDER="2" STYLE="rounded">a<BR/>Running 1/1<' in dot   # Ready: thick
    # the machines keep their order in every frame: one column, chained
    assert '{ rank=same; "node:node-1"; "node:node-2"; "unscheduled"; }' in dot
    assert '"node:node-1" -> "node:node-2" [style=invis]' in dot and '"node:node-2" -> "unscheduled" [style=invis]' in dot
    assert f.summary() == "2/2 nodes Ready; pods 1 Pending, 2 Running (1 ready)"
