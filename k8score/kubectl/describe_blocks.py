"""Building blocks of ``kubectl describe`` reports (kubectl/pkg/describe/describe.go).

Upstream writes ``Label:\\tvalue`` lines through a PrefixWriter (two spaces per level) into
one tabwriter (minwidth 0, padding 2); consecutive lines with a tab form a column block,
which is why ``Name:`` ... ``IP:`` line up while ``IPs:`` starts a new block. The helpers
here write the same lines; :meth:`Writer.text` aligns them. The pod spec's blocks
(containers, volumes, QoS class) are in :mod:`.describe_podspec`.
"""

from __future__ import annotations

from .describe_podspec import _probe, qos_class, write_containers, write_volumes  # noqa: F401 - re-exported
from .gosort import go_sort
from .tabwriter import DESCRIBE_MINWIDTH, DESCRIBE_PADDING, tabwrite
from .timefmt import since
from ..sim.clock import parse

#: corev1.LastAppliedConfigAnnotation: describe hides it
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: describe.go maxAnnotationLen
_MAX_ANNOTATION_LEN = 140


class Writer:
    """describe.go PrefixWriter: ``level`` adds two spaces before what is written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append("  " * level + text)

    def text(self) -> str:
        return tabwrite("".join(self.parts), DESCRIBE_MINWIDTH, DESCRIBE_PADDING)


def meta_of(obj: dict) -> dict:
    return obj.get("metadata") or {}


def write_labels(w: Writer, title: str, labels: dict | None, indent: str = "") -> None:
    # printLabelsMultilineWithIndent(w, initialIndent, title, "\t", labels)
    w.write(0, f"{indent}{title}:\t")
    if not labels:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, f"{indent}\t")
        w.write(0, f"{key}={labels[key]}\n")


def write_annotations(w: Writer, title: str, annotations: dict | None) -> None:
    # printAnnotationsMultiline: last-applied-configuration is skipped, long values wrapped
    w.write(0, f"{title}:\t")
    keys = sorted(k for k in (annotations or {}) if k != LAST_APPLIED)
    if not keys:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(keys):
        if i:
            w.write(0, "\t")
        value = annotations[key].removesuffix("\n")
        if len(value) + len(key) + 2 > _MAX_ANNOTATION_LEN or "\n" in value:
            w.write(0, f"{key}:\n")
            for line in value.split("\n"):
                short = line if len(line) <= _MAX_ANNOTATION_LEN - 2 else line[:_MAX_ANNOTATION_LEN - 5] + "..."
                w.write(0, f"\t  {short}\n")
        else:
            w.write(0, f"{key}: {value}\n")


def write_header(w: Writer, meta: dict, fields: tuple | list = (), *, namespaced: bool = True) -> None:
    """The lines most describers open with: ``Name``, ``Namespace`` (not for cluster-scoped
    kinds: ``namespaced=False``), then ``fields`` -- ``(title, value)`` pairs some kinds print
    before their labels (a pod's Node, a ReplicaSet's Selector) -- then ``Labels`` and
    ``Annotations``. Lines that follow the annotations are the caller's."""
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    if namespaced:
        w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    for title, value in fields:
        w.write(0, f"{title}:\t{value}\n")
    write_labels(w, "Labels", meta.get("labels"))
    write_annotations(w, "Annotations", meta.get("annotations"))


def write_tolerations(w: Writer, title: str, tolerations: list | None) -> None:
    w.write(0, f"{title}:\t")
    if not tolerations:
        w.write(0, "<none>\n")
        return
    title_indent = title[:len(title) - len(title.lstrip())]
    for i, t in enumerate(sorted(tolerations, key=lambda t: t.get("key", ""))):
        if i:
            w.write(0, f"{title_indent}\t")
        text = t.get("key", "")
        if t.get("value"):
            text += f"={t['value']}"
        if t.get("effect"):
            text += f":{t['effect']}"
        if t.get("operator") == "Exists" and not t.get("value"):
            text += " op=Exists" if t.get("key") or t.get("effect") else "op=Exists"
        if t.get("tolerationSeconds") is not None:
            text += f" for {t['tolerationSeconds']}s"
        w.write(0, text + "\n")


def write_taints(w: Writer, taints: list | None) -> None:
    w.write(0, "Taints:\t")
    if not taints:
        w.write(0, "<none>\n")
        return
    ordered = sorted(taints, key=lambda t: f"{t.get('effect', '')},{t.get('key', '')}")
    for i, t in enumerate(ordered):
        if i:
            w.write(0, "\t")
        value = f"={t['value']}" if t.get("value") else ""
        w.write(0, f"{t.get('key', '')}{value}:{t.get('effect', '')}\n")


def controller_of(obj: dict) -> str:
    for ref in meta_of(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def _last_timestamp(e: dict) -> float:
    """lastTimestamp in whole seconds, as it is on the wire (unset: Go's zero time, first)."""
    try:
        return float(int(parse(e["lastTimestamp"]))) if e.get("lastTimestamp") else float("-inf")
    except (TypeError, ValueError):
        return float("-inf")


def _older(a: dict, b: dict) -> bool:
    """kubectl/pkg/util/event/sorted_event_list.go SortableEvents.Less: by lastTimestamp alone.
    Ties stay in the server's order (by name: <object>.<hex UnixNano>, so oldest first) up to 12
    events; beyond, Go's pdqsort moves them (gosort.py)."""
    return _last_timestamp(a) < _last_timestamp(b)


def write_events(w: Writer, events: list[dict] | None, now: float) -> None:
    """describe.go DescribeEvents (sorted oldest first)."""
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    ordered = go_sort(events, _older)   # describe.go DescribeEvents: sort.Sort(SortableEvents)
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for e in ordered:
        first = since(e.get("eventTime"), now) if e.get("eventTime") else since(e.get("firstTimestamp"), now)
        series = e.get("series")
        if series:
            interval = f"{since(series.get('lastObservedTime'), now)} (x{series.get('count')} over {first})"
        elif (e.get("count") or 0) > 1:
            interval = f"{since(e.get('lastTimestamp'), now)} (x{e['count']} over {first})"
        else:
            interval = first
        source = (e.get("source") or {}).get("component") or e.get("reportingController") \
            or e.get("reportingComponent") or ""
        message = (e.get("message") or "").strip()
        field_path = (e.get("involvedObject") or {}).get("fieldPath")
        if field_path:   # kubectl >= 1.34 names the sub-object (the container) the event is about
            message = f"{field_path}: {message}"
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t{message}\n")
