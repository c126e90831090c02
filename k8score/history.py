"""A cluster's recorded history: what the live diagram draws, at every virtual instant it changed.

``c.record()`` starts a :class:`Recorder`: one informer per drawn resource (nodes; and in the
recorded namespace pods, Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, Services,
Endpoints), each on a zero-latency watch, so a change is stamped with the virtual time the API
server stored it. Every watch event is cut down to what the diagram shows (:func:`compact`) and
appended to a change log only when that differs from what the log already holds for the object:
a Node's 10 s status heartbeat or a resourceVersion bump costs one comparison and no memory.
Frames are replayed from the log on demand (:meth:`History.frames`), so recording stays linear in
the changes and never copies the whole state.

Recording observes without steering: the informers take no draw from ``loop.rng`` (its state is
restored after they are built) and only read, so a recorded run prints the same as an unrecorded
one; the same seed gives the same history.

>>> from k8score import Cluster                                         # doctest: +SKIP
>>> c = Cluster(nodes=2, seed=0); h = c.record()                       # doctest: +SKIP
>>> c.kubectl("create deployment web --image=nginx --replicas=2"); c.run(seconds=20)  # doctest: +SKIP
>>> [f.summary() for f in h.frames()][-1]                              # doctest: +SKIP
'2/2 nodes Ready; pods 2 Running (2 ready)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .client import Client
from .client.informer import SharedInformer
from .client.meta import key_func

#: What a frame holds, in drawing order: ``(resource, namespaced)``.
RESOURCES = (
    ("nodes", False), ("deployments", True), ("statefulsets", True), ("daemonsets", True),
    ("jobs", True), ("replicasets", True), ("pods", True), ("services", True), ("endpoints", True),
)
#: The owner kinds a frame draws (Deployment -> ReplicaSet -> Pod; the others -> Pod).
OWNER_KINDS = {"Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job"}


def _controller_ref(obj: dict) -> tuple[str, str] | None:
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if isinstance(ref, dict) and ref.get("controller") and ref.get("kind") in OWNER_KINDS:
            return (str(ref["kind"]), str(ref.get("name", "")))
    return None


def _pod_status(pod: dict) -> str:
    """kubectl's STATUS column, short: Terminating, a waiting reason, else the phase."""
    if (pod.get("metadata") or {}).get("deletionTimestamp"):
        return "Terminating"
    st = pod.get("status") or {}
    for cs in st.get("containerStatuses") or ():
        waiting = ((cs or {}).get("state") or {}).get("waiting") or {}
        if waiting.get("reason"):
            return str(waiting["reason"])
    return str(st.get("phase") or "Pending")


def _containers_ready(pod: dict) -> str:
    """kubectl's READY column: ready containers / containers."""
    total = len((pod.get("spec") or {}).get("containers") or ())
    ready = sum(1 for cs in (pod.get("status") or {}).get("containerStatuses") or () if (cs or {}).get("ready"))
    return f"{ready}/{total}"


def _image(template: dict) -> str:
    containers = ((template or {}).get("spec") or {}).get("containers") or ()
    return ",".join(str((c or {}).get("image", "")) for c in containers)


def compact(resource: str, obj: dict) -> dict:
    """The part of ``obj`` a frame draws (a small dict of strings and numbers; equal when the
    picture would be equal)."""
    md = obj.get("metadata") or {}
    spec, st = obj.get("spec") or {}, obj.get("status") or {}
    out: dict[str, Any] = {"name": str(md.get("name", ""))}
    if md.get("namespace"):
        out["ns"] = str(md["namespace"])   # ids in a frame are namespace/name (several may be recorded)
    owner = _controller_ref(obj)
    if owner:
        out["owner"] = owner
    if resource == "nodes":
        out["ready"] = any(c.get("type") == "Ready" and c.get("status") == "True"
                           for c in st.get("conditions") or () if isinstance(c, dict))
        out["cordoned"] = bool(spec.get("unschedulable"))
    elif resource == "pods":
        out.update(uid=md.get("uid", ""), node=spec.get("nodeName") or "", phase=st.get("phase") or "Pending",
                   status=_pod_status(obj), ready=_containers_ready(obj),
                   podReady=any(c.get("type") == "Ready" and c.get("status") == "True"
                                for c in st.get("conditions") or () if isinstance(c, dict)))
    elif resource in ("deployments", "statefulsets", "replicasets"):
        out.update(replicas=spec.get("replicas", 1), ready=st.get("readyReplicas", 0) or 0,
                   image=_image(spec.get("template") or {}))
    elif resource == "daemonsets":
        out.update(replicas=st.get("desiredNumberScheduled", 0) or 0, ready=st.get("numberReady", 0) or 0,
                   image=_image(spec.get("template") or {}))
    elif resource == "jobs":
        out.update(replicas=spec.get("completions", 1) or 1, ready=st.get("succeeded", 0) or 0,
                   active=st.get("active", 0) or 0)
    elif resource == "services":
        ports = ",".join(str((p or {}).get("port")) for p in spec.get("ports") or ())
        out.update(type=spec.get("type", "ClusterIP"), clusterIP=spec.get("clusterIP", ""), ports=ports,
                   selector=bool(spec.get("selector")))
    elif resource == "endpoints":
        ready, not_ready = [], []
        for subset in obj.get("subsets") or ():
            for addrs, bucket in (((subset or {}).get("addresses"), ready),
                                  ((subset or {}).get("notReadyAddresses"), not_ready)):
                for a in addrs or ():
                    uid = ((a or {}).get("targetRef") or {}).get("uid")
                    if uid and uid not in bucket:
                        bucket.append(uid)
        out.update(ready=sorted(ready), notReady=sorted(n for n in not_ready if n not in ready))
    return out


@dataclass(frozen=True)
class Frame:
    """The recorded state at virtual time ``t``: ``objects[resource][key]`` is a :func:`compact`
    dict; ``events`` are the cluster timeline entries ``(t, component, text)`` up to ``t``."""

    t: float
    objects: dict
    events: tuple = field(default=())

    def items(self, resource: str) -> list[dict]:
        """The compact objects of ``resource``, by key."""
        objs = self.objects.get(resource) or {}
        return [objs[k] for k in sorted(objs)]

    def summary(self) -> str:
        """One line: nodes Ready, pods by status (how a reader reads a frame in plain text)."""
        nodes = self.items("nodes")
        ready_nodes = sum(1 for n in nodes if n["ready"])
        counts: dict[str, int] = {}
        for p in self.items("pods"):
            counts[p["status"]] = counts.get(p["status"], 0) + 1
        pods = ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "none"
        ready = sum(1 for p in self.items("pods") if p["podReady"])
        return f"{ready_nodes}/{len(nodes)} nodes Ready; pods {pods} ({ready} ready)"

    def dot(self, title: str | None = None) -> str:
        """Graphviz DOT of this frame (:func:`k8score.historyview.frame_dot`)."""
        from .historyview import frame_dot

        return frame_dot(self, title=title)


class History:
    """The change log of one :class:`Recorder`; frames are rebuilt from it when asked for."""

    def __init__(self, start: float, timeline: list):
        #: Virtual time recording started (the first frame's time).
        self.start = start
        self._log: list[tuple[float, str, str, dict | None]] = []   # (t, resource, key, compact|None)
        self._timeline = timeline   # the Cluster's event list, shared (appended as Events arrive)
        self._initial = 0           # log entries from the informers' first list (the first frame)

    def __len__(self) -> int:
        """Number of recorded changes."""
        return len(self._log)

    def _append(self, t: float, resource: str, key: str, value: dict | None) -> None:
        self._log.append((t, resource, key, value))

    def _keys(self) -> list[tuple[float, int]]:
        """``(t, n)``: a frame at ``t`` is the state after the log's first ``n`` entries. The first
        is the state recording started from (its initial list); then one per later instant."""
        keys = [(self.start, self._initial)]
        log = self._log
        for i in range(self._initial, len(log)):
            if i + 1 == len(log) or log[i + 1][0] != log[i][0]:
                keys.append((log[i][0], i + 1))
        return keys

    def instants(self) -> list[float]:
        """The virtual times of the frames: when recording started, then each instant something
        drawn changed (the start twice if something changed at once)."""
        return [t for t, _ in self._keys()]

    def frames(self, since: float | None = None, until: float | None = None) -> list[Frame]:
        """One :class:`Frame` per instant in ``[since, until]``: the state after every change at
        that instant. A ``since`` after the start and between instants begins with the state then
        in force."""
        lo = self.start if since is None else since
        keys = [k for k in self._keys() if k[0] >= lo and (until is None or k[0] <= until)]
        if lo > self.start and (not keys or keys[0][0] > lo):
            before = sum(1 for t, *_ in self._log[self._initial:] if t < lo)
            keys.insert(0, (lo, self._initial + before))
        state: dict[str, dict[str, dict]] = {r: {} for r, _ in RESOURCES}
        frames: list[Frame] = []
        i, log = 0, self._log
        for t, end in keys:
            for _, resource, key, value in log[i:end]:
                if value is None:
                    state[resource].pop(key, None)
                else:
                    state[resource][key] = value
            i = max(i, end)
            snapshot = {r: dict(objs) for r, objs in state.items()}
            frames.append(Frame(t, snapshot, tuple(e for e in self._timeline if lo <= e[0] <= t)))
        return frames

    def at(self, t: float) -> Frame:
        """The state in force at virtual time ``t``."""
        return self.frames(since=t, until=t)[0]

    def view(self, since: float | None = None, until: float | None = None, max_frames: int = 60,
             title: str | None = None):
        """A :class:`~k8score.historyview.TimelineView` (``show()`` draws it with a time slider)."""
        from .historyview import TimelineView

        return TimelineView(self.frames(since, until), max_frames=max_frames, title=title)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames())


class Recorder:
    """The informers behind a :class:`History` (started by :meth:`k8score.Cluster.record`).

    Its list and watch requests go through the API server like any client's (as the Cluster's
    own Event watch does), so they show in ``c.traces()``; they write nothing."""

    def __init__(self, cluster: Any, namespace: str | None = "default"):
        self.namespace = namespace
        loop = cluster.loop
        self.history = History(loop.now, cluster._timeline)
        self._loop = loop
        client = Client(cluster.apiserver, user="kubernetes-admin", watch_latency=0.0)
        self._last: dict[tuple[str, str], dict] = {}
        self.informers: list[SharedInformer] = []
        # An informer draws its backoff seed from loop.rng: give the draw back, so a recorded
        # run takes the same random choices as one that is not recorded.
        rng_state = loop.rng.getstate()
        try:
            for resource, namespaced in RESOURCES:
                inf = SharedInformer(client, loop, resource, namespace=namespace if namespaced else None,
                                     latency=0.0, name=f"history/{resource}")
                inf.add_event_handler(on_add=lambda obj, r=resource: self._seen(r, obj),
                                      on_update=lambda old, new, r=resource: self._seen(r, new),
                                      on_delete=lambda obj, r=resource: self._gone(r, obj))
                self.informers.append(inf)
        finally:
            loop.rng.setstate(rng_state)
        for inf in self.informers:
            inf.start()   # lists now: the first frame is the state when recording starts
        self.history._initial = len(self.history)

    def _seen(self, resource: str, obj: dict) -> None:
        key = key_func(obj)
        value = compact(resource, obj)
        if self._last.get((resource, key)) != value:
            self._last[(resource, key)] = value
            self.history._append(self._loop.now, resource, key, value)

    def _gone(self, resource: str, obj: dict | None) -> None:
        if not obj:
            return
        key = key_func(obj)
        if self._last.pop((resource, key), None) is not None:
            self.history._append(self._loop.now, resource, key, None)

    def stop(self) -> None:
        """Stop recording (the history keeps what it has)."""
        for inf in self.informers:
            inf.stop()
