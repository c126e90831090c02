"""``kubectl describe``: the familiar human-readable reports, laid out as upstream does.

kubectl/pkg/describe/describe.go writes ``Label:\\tvalue`` lines through a PrefixWriter
(two spaces per level) into one tabwriter (minwidth 0, padding 2); consecutive lines with
a tab form a column block, which is why ``Name:`` ... ``IP:`` line up while ``IPs:``
starts a new block. Each describer here builds the same lines and lets
:func:`~k8score.kubectl.tabwriter.tabwrite` align them.
"""

from __future__ import annotations

from fractions import Fraction

from ..apiserver.quantity import parse_quantity
from .columns import event_time, format_labels, format_selector, node_roles, selector_string
from .tabwriter import DESCRIBE_MINWIDTH, DESCRIBE_PADDING, tabwrite
from .timefmt import rfc1123z, since

#: corev1.LastAppliedConfigAnnotation: describe hides it
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
#: describe.go maxAnnotationLen
_MAX_ANNOTATION_LEN = 140


class _Writer:
    """describe.go PrefixWriter: ``level`` adds two spaces before what is written."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, level: int, text: str) -> None:
        self.parts.append("  " * level + text)

    def text(self) -> str:
        return tabwrite("".join(self.parts), DESCRIBE_MINWIDTH, DESCRIBE_PADDING)


def _meta(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _labels(w: _Writer, title: str, labels: dict | None, indent: str = "") -> None:
    # printLabelsMultilineWithIndent(w, initialIndent, title, "\t", labels)
    w.write(0, f"{indent}{title}:\t")
    if not labels:
        w.write(0, "<none>\n")
        return
    for i, key in enumerate(sorted(labels)):
        if i:
            w.write(0, f"{indent}\t")
        w.write(0, f"{key}={labels[key]}\n")


def _annotations(w: _Writer, title: str, annotations: dict | None) -> None:
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


def _tolerations(w: _Writer, title: str, tolerations: list | None) -> None:
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


def _taints(w: _Writer, taints: list | None) -> None:
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


def _controller(obj: dict) -> str:
    for ref in _meta(obj).get("ownerReferences") or ():
        if ref.get("controller"):
            return f"{ref.get('kind')}/{ref.get('name')}"
    return ""


def _events(w: _Writer, events: list[dict] | None, now: float) -> None:
    """describe.go DescribeEvents (sorted oldest first)."""
    if events is None:
        return
    if not events:
        w.write(0, "Events:\t<none>\n")
        return
    ordered = sorted(enumerate(events), key=lambda p: (event_time(p[1]), p[0]))
    w.write(0, "Events:\n  Type\tReason\tAge\tFrom\tMessage\n")
    w.write(1, "----\t------\t----\t----\t-------\n")
    for _, e in ordered:
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
        w.write(1, f"{e.get('type', '')}\t{e.get('reason', '')}\t{interval}\t{source}\t"
                   f"{(e.get('message') or '').strip()}\n")


# -- containers -------------------------------------------------------------------
def _state(w: _Writer, name: str, state: dict | None) -> None:
    state = state or {}
    if "running" in state:
        w.write(2, f"{name}:\tRunning\n")
        w.write(3, f"Started:\t{rfc1123z((state['running'] or {}).get('startedAt'))}\n")
    elif state.get("terminated") is not None:
        t = state["terminated"]
        w.write(2, f"{name}:\tTerminated\n")
        if t.get("reason"):
            w.write(3, f"Reason:\t{t['reason']}\n")
        if t.get("message"):
            w.write(3, f"Message:\t{t['message']}\n")
        w.write(3, f"Exit Code:\t{t.get('exitCode', 0)}\n")
        if t.get("signal"):
            w.write(3, f"Signal:\t{t['signal']}\n")
        w.write(3, f"Started:\t{rfc1123z(t.get('startedAt'))}\n")
        w.write(3, f"Finished:\t{rfc1123z(t.get('finishedAt'))}\n")
    else:
        w.write(2, f"{name}:\tWaiting\n")
        reason = (state.get("waiting") or {}).get("reason")
        if reason:
            w.write(3, f"Reason:\t{reason}\n")


def _probe(p: dict) -> str:
    attrs = (f"delay={p.get('initialDelaySeconds', 0)}s timeout={p.get('timeoutSeconds', 1)}s "
             f"period={p.get('periodSeconds', 10)}s #success={p.get('successThreshold', 1)} "
             f"#failure={p.get('failureThreshold', 3)}")
    if p.get("exec"):
        return f"exec [{' '.join(p['exec'].get('command') or [])}] {attrs}"
    if p.get("httpGet"):
        h = p["httpGet"]
        return f"http-get {h.get('scheme', 'HTTP').lower()}://{h.get('host', '')}:{h.get('port')}" \
               f"{h.get('path', '')} {attrs}"
    if p.get("tcpSocket"):
        return f"tcp-socket {p['tcpSocket'].get('host', '')}:{p['tcpSocket'].get('port')} {attrs}"
    return f"unknown {attrs}"


def _containers(w: _Writer, label: str, containers: list, statuses: list | None, space: str) -> None:
    by_name = {s.get("name"): s for s in statuses or ()}
    w.write(0, f"{space}{label}:{'' if containers else ' <none>'}\n")
    for c in containers:
        st = by_name.get(c.get("name"))
        w.write(1, f"{' ' if space else ''}{c.get('name')}:\n")
        if st is not None:
            w.write(2, f"Container ID:\t{st.get('containerID', '')}\n")
        w.write(2, f"Image:\t{c.get('image', '')}\n")
        if st is not None:
            w.write(2, f"Image ID:\t{st.get('imageID', '')}\n")
        ports = [f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or ()]
        hosts = [f"{p.get('hostPort', 0)}/{p.get('protocol', 'TCP')}" for p in c.get("ports") or ()]
        w.write(2, f"Ports:\t{', '.join(ports)}\n" if len(ports) > 1 else f"Port:\t{ports[0] if ports else '<none>'}\n")
        w.write(2, f"Host Ports:\t{', '.join(hosts)}\n" if len(hosts) > 1 else f"Host Port:\t{hosts[0] if hosts else '<none>'}\n")
        for title, key in (("Command", "command"), ("Args", "args")):
            if c.get(key):
                w.write(2, f"{title}:\n")
                for item in c[key]:
                    for line in str(item).split("\n"):
                        w.write(3, f"{line}\n")
        if st is not None:
            _state(w, "State", st.get("state"))
            if (st.get("lastState") or {}).get("terminated"):
                _state(w, "Last State", st.get("lastState"))
            w.write(2, f"Ready:\t{'True' if st.get('ready') else 'False'}\n")
            w.write(2, f"Restart Count:\t{st.get('restartCount', 0)}\n")
        res = c.get("resources") or {}
        for title in ("limits", "requests"):
            if res.get(title):
                w.write(2, f"{title.capitalize()}:\n")
                for name in sorted(res[title]):
                    w.write(3, f"{name}:\t{res[title][name]}\n")
        for title, key in (("Liveness", "livenessProbe"), ("Readiness", "readinessProbe"),
                           ("Startup", "startupProbe")):
            if c.get(key):
                w.write(2, f"{title}:\t{_probe(c[key])}\n")
        env = c.get("env") or []
        w.write(2, f"Environment:{'' if env else chr(9) + '<none>'}\n")
        for e in env:
            if "valueFrom" in e:
                w.write(3, f"{e.get('name')}:\t<set from valueFrom>\n")
            else:
                w.write(3, f"{e.get('name')}:\t{e.get('value', '')}\n")
        mounts = c.get("volumeMounts") or []
        w.write(2, f"Mounts:{'' if mounts else chr(9) + '<none>'}\n")
        for m in sorted(mounts, key=lambda m: m.get("mountPath", "")):
            w.write(3, f"{m.get('mountPath')} from {m.get('name')} ({'ro' if m.get('readOnly') else 'rw'})\n")


def _volumes(w: _Writer, volumes: list | None, space: str) -> None:
    if not volumes:
        w.write(0, f"{space}Volumes:\t<none>\n")
        return
    w.write(0, f"{space}Volumes:\n")
    for v in volumes:
        w.write(1, f"{' ' if space else ''}{v.get('name')}:\n")
        if "emptyDir" in v:
            ed = v.get("emptyDir") or {}
            w.write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n"
                       f"    Medium:\t{ed.get('medium', '')}\n    SizeLimit:\t{ed.get('sizeLimit', '<unset>')}\n")
        elif "hostPath" in v:
            hp = v.get("hostPath") or {}
            w.write(2, f"Type:\tHostPath (bare host directory volume)\n    Path:\t{hp.get('path', '')}\n"
                       f"    HostPathType:\t{hp.get('type') or '<none>'}\n")
        elif "configMap" in v:
            w.write(2, "Type:\tConfigMap (a volume populated by a ConfigMap)\n"
                       f"    Name:\t{(v.get('configMap') or {}).get('name', '')}\n    Optional:\tfalse\n")
        elif "projected" in v:
            w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
        else:
            w.write(1, "<unknown>\n")


def qos_class(pod: dict) -> str:
    """pkg/apis/core/v1/helper/qos GetPodQOS, for cpu and memory."""
    requests: dict[str, Fraction] = {}
    limits: dict[str, Fraction] = {}
    guaranteed = True
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        res = c.get("resources") or {}
        req = {k: parse_quantity(v).value for k, v in (res.get("requests") or {}).items()
               if k in ("cpu", "memory")}
        lim = {k: parse_quantity(v).value for k, v in (res.get("limits") or {}).items()
               if k in ("cpu", "memory")}
        for k, v in req.items():
            if v:
                requests[k] = requests.get(k, 0) + v
        for k, v in lim.items():
            if v:
                limits[k] = limits.get(k, 0) + v
        if set(k for k, v in lim.items() if v) != {"cpu", "memory"}:
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests == limits:
        return "Guaranteed"
    return "Burstable"


# -- describers ----------------------------------------------------------------------
def describe_pod(pod: dict, events: list[dict] | None, now: float) -> str:
    meta, spec, st = _meta(pod), pod.get("spec") or {}, pod.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("priority") is not None:
        w.write(0, f"Priority:\t{spec['priority']}\n")
    if spec.get("priorityClassName"):
        w.write(0, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    if spec.get("serviceAccountName"):
        w.write(0, f"Service Account:\t{spec['serviceAccountName']}\n")
    node = spec.get("nodeName")
    w.write(0, f"Node:\t{node}/{st.get('hostIP', '')}\n" if node else "Node:\t<none>\n")
    if st.get("startTime"):
        w.write(0, f"Start Time:\t{rfc1123z(st['startTime'])}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    if meta.get("deletionTimestamp") and st.get("phase") not in ("Failed", "Succeeded"):
        w.write(0, f"Status:\tTerminating (lasts {since(meta['deletionTimestamp'], now)})\n")
        w.write(0, f"Termination Grace Period:\t{meta.get('deletionGracePeriodSeconds', 0)}s\n")
    else:
        w.write(0, f"Status:\t{st.get('phase', '')}\n")
    if st.get("reason"):
        w.write(0, f"Reason:\t{st['reason']}\n")
    if st.get("message"):
        w.write(0, f"Message:\t{st['message']}\n")
    w.write(0, f"IP:\t{st.get('podIP', '')}\n")
    ips = st.get("podIPs") or []
    if ips:
        w.write(0, "IPs:\n")
        for ip in ips:
            w.write(1, f"IP:\t{ip.get('ip', '')}\n")
    else:
        w.write(0, "IPs:\t<none>\n")
    if _controller(pod):
        w.write(0, f"Controlled By:\t{_controller(pod)}\n")
    if st.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{st['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        _containers(w, "Init Containers", spec["initContainers"], st.get("initContainerStatuses"), "")
    _containers(w, "Containers", spec.get("containers") or [], st.get("containerStatuses") or [], "")
    if st.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \n")
    _volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{qos_class(pod)}\n")
    _labels(w, "Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "Tolerations", spec.get("tolerations"))
    _events(w, events, now)
    return w.text()


def _pod_template(w: _Writer, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    template = template or {}
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    _labels(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        _annotations(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        _containers(w, "Init Containers", spec["initContainers"], None, "  ")
    _containers(w, "Containers", spec.get("containers") or [], None, "  ")
    _volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    _labels(w, "  Node-Selectors", spec.get("nodeSelector"))
    _tolerations(w, "  Tolerations", spec.get("tolerations"))


def _pods_status(pods: list[dict], uid: str) -> str:
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for p in pods:
        refs = [r for r in _meta(p).get("ownerReferences") or () if r.get("controller")]
        if refs and refs[0].get("uid") == uid:
            phase = (p.get("status") or {}).get("phase")
            if phase in counts:
                counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / "
            f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed")


def _conditions_with_reason(w: _Writer, conditions: list | None) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n")


def describe_replicaset(rs: dict, pods: list[dict], events: list[dict] | None, now: float) -> str:
    meta, spec, st = _meta(rs), rs.get("spec") or {}, rs.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"Selector:\t{format_selector(spec.get('selector'))}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    if _controller(rs):
        w.write(0, f"Controlled By:\t{_controller(rs)}\n")
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n")
    w.write(0, f"Pods Status:\t{_pods_status(pods, meta.get('uid', ''))}\n")
    _pod_template(w, spec.get("template"))
    _conditions_with_reason(w, st.get("conditions"))
    _events(w, events, now)
    return w.text()


def describe_deployment(d: dict, old_rs: list[dict], new_rs: list[dict], events: list[dict] | None,
                        now: float) -> str:
    meta, spec, st = _meta(d), d.get("spec") or {}, d.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{selector_string(spec.get('selector'))}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {st.get('updatedReplicas', 0)} updated | "
               f"{st.get('replicas', 0)} total | {st.get('availableReplicas', 0)} available | "
               f"{st.get('unavailableReplicas', 0)} unavailable\n")
    strategy = spec.get("strategy") or {}
    w.write(0, f"StrategyType:\t{strategy.get('type', '')}\n")
    w.write(0, f"MinReadySeconds:\t{spec.get('minReadySeconds', 0)}\n")
    ru = strategy.get("rollingUpdate")
    if ru:
        w.write(0, f"RollingUpdateStrategy:\t{ru.get('maxUnavailable')} max unavailable, "
                   f"{ru.get('maxSurge')} max surge\n")
    _pod_template(w, spec.get("template"))
    _conditions_with_reason(w, st.get("conditions"))
    if old_rs or new_rs:
        def fmt(sets: list[dict]) -> str:
            return ", ".join(f"{_meta(r).get('name')} ({(r.get('status') or {}).get('replicas', 0)}/"
                             f"{(r.get('spec') or {}).get('replicas', 1)} replicas created)" for r in sets) or "<none>"
        w.write(0, f"OldReplicaSets:\t{fmt(old_rs)}\n")
        w.write(0, f"NewReplicaSet:\t{fmt(new_rs)}\n")
    _events(w, events, now)
    return w.text()


def describe_service(svc: dict, endpoints: dict | None, events: list[dict] | None, now: float) -> str:
    from .columns import format_endpoints
    meta, spec = _meta(svc), svc.get("spec") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', 'ClusterIP')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    for p in spec.get("ports") or ():
        name = p.get("name") or "<unset>"
        proto = p.get("protocol", "TCP")
        w.write(0, f"Port:\t{name}\t{p.get('port')}/{proto}\n")
        w.write(0, f"TargetPort:\t{p.get('targetPort', p.get('port'))}/{proto}\n")
        if p.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{p['nodePort']}/{proto}\n")
        eps = format_endpoints(endpoints, {p.get("name", "")}) if endpoints else ""
        w.write(0, f"Endpoints:\t{'' if eps == '<none>' else eps}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', 'None')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    _events(w, events, now)
    return w.text()


def _pct(q: Fraction, total: Fraction) -> int:
    return int(q * 100 / total) if total else 0


def _pod_totals(pod: dict) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    # resourcehelper.PodRequestsAndLimits: containers summed, init containers as a max
    req: dict[str, Fraction] = {}
    lim: dict[str, Fraction] = {}
    spec = pod.get("spec") or {}
    for c in spec.get("containers") or ():
        for part, acc in (("requests", req), ("limits", lim)):
            for k, v in ((c.get("resources") or {}).get(part) or {}).items():
                acc[k] = acc.get(k, Fraction(0)) + parse_quantity(v).value
    for c in spec.get("initContainers") or ():
        for part, acc in (("requests", req), ("limits", lim)):
            for k, v in ((c.get("resources") or {}).get(part) or {}).items():
                acc[k] = max(acc.get(k, Fraction(0)), parse_quantity(v).value)
    return req, lim


def _qty(value: Fraction, name: str) -> str:
    from ..apiserver.quantity import BINARY_SI, DECIMAL_SI, Quantity
    if not value:
        return "0"
    fmt = BINARY_SI if name in ("memory", "ephemeral-storage") else DECIMAL_SI
    return Quantity(value, fmt).canonical()


def describe_node(node: dict, pods: list[dict], lease: dict | None, events: list[dict] | None,
                  now: float) -> str:
    meta, spec, st = _meta(node), node.get("spec") or {}, node.get("status") or {}
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    w.write(0, f"Roles:\t{','.join(node_roles(node)) or '<none>'}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    w.write(0, f"CreationTimestamp:\t{rfc1123z(meta.get('creationTimestamp'))}\n")
    _taints(w, spec.get("taints"))
    w.write(0, f"Unschedulable:\t{'true' if spec.get('unschedulable') else 'false'}\n")
    w.write(0, "Lease:\n")
    lspec = (lease or {}).get("spec") or {}
    w.write(1, f"HolderIdentity:\t{lspec.get('holderIdentity') or '<unset>'}\n")
    w.write(1, f"AcquireTime:\t{rfc1123z(lspec['acquireTime']) if lspec.get('acquireTime') else '<unset>'}\n")
    w.write(1, f"RenewTime:\t{rfc1123z(lspec['renewTime']) if lspec.get('renewTime') else '<unset>'}\n")
    if st.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
        w.write(1, "----\t------\t-----------------\t------------------\t------\t-------\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \t{rfc1123z(c.get('lastHeartbeatTime'))} \t"
                       f"{rfc1123z(c.get('lastTransitionTime'))} \t{c.get('reason', '')} \t{c.get('message', '')}\n")
    w.write(0, "Addresses:\n")
    for a in st.get("addresses") or ():
        w.write(1, f"{a.get('type')}:\t{a.get('address')}\n")
    for title, key in (("Capacity", "capacity"), ("Allocatable", "allocatable")):
        if st.get(key):
            w.write(0, f"{title}:\n")
            for name in sorted(st[key]):
                w.write(0, f"  {name}:\t{st[key][name]}\n")
    info = st.get("nodeInfo") or {}
    w.write(0, "System Info:\n")
    for title, key in (("Machine ID", "machineID"), ("System UUID", "systemUUID"), ("Boot ID", "bootID"),
                       ("Kernel Version", "kernelVersion"), ("OS Image", "osImage"),
                       ("Operating System", "operatingSystem"), ("Architecture", "architecture"),
                       ("Container Runtime Version", "containerRuntimeVersion"),
                       ("Kubelet Version", "kubeletVersion"), ("Kube-Proxy Version", "kubeProxyVersion")):
        w.write(0, f"  {title}:\t{info.get(key, '')}\n")
    if spec.get("podCIDR"):
        w.write(0, f"PodCIDR:\t{spec['podCIDR']}\n")
    if spec.get("podCIDRs"):
        w.write(0, f"PodCIDRs:\t{','.join(spec['podCIDRs'])}\n")
    if spec.get("providerID"):
        w.write(0, f"ProviderID:\t{spec['providerID']}\n")
    _node_resources(w, node, pods, now)
    _events(w, events, now)
    return w.text()


def _node_resources(w: _Writer, node: dict, pods: list[dict], now: float) -> None:
    st = node.get("status") or {}
    alloc_raw = st.get("allocatable") or st.get("capacity") or {}
    alloc = {k: parse_quantity(v).value for k, v in alloc_raw.items()}
    w.write(0, f"Non-terminated Pods:\t({len(pods)} in total)\n")
    w.write(1, "Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
    w.write(1, "---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n")
    total_req: dict[str, Fraction] = {}
    total_lim: dict[str, Fraction] = {}
    for p in pods:
        req, lim = _pod_totals(p)
        for k, v in req.items():
            total_req[k] = total_req.get(k, Fraction(0)) + v
        for k, v in lim.items():
            total_lim[k] = total_lim.get(k, Fraction(0)) + v
        cells = []
        for name in ("cpu", "memory"):
            for acc in (req, lim):
                q = acc.get(name, Fraction(0))
                cells.append(f"{_qty(q, name)} ({_pct(q, alloc.get(name, Fraction(0)))}%)")
        w.write(1, f"{_meta(p).get('namespace', '')}\t{_meta(p).get('name', '')}\t\t" + "\t".join(cells)
                   + f"\t{since(_meta(p).get('creationTimestamp'), now)}\n")
    w.write(0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
    w.write(1, "Resource\tRequests\tLimits\n")
    w.write(1, "--------\t--------\t------\n")
    for name in ("cpu", "memory", "ephemeral-storage"):
        r, l_ = total_req.get(name, Fraction(0)), total_lim.get(name, Fraction(0))
        a = alloc.get(name, Fraction(0))
        w.write(1, f"{name}\t{_qty(r, name)} ({_pct(r, a)}%)\t{_qty(l_, name)} ({_pct(l_, a)}%)\n")


def describe_generic(obj: dict, events: list[dict] | None, now: float) -> str:
    """Objects without a dedicated describer: name, namespace, labels, annotations, events."""
    meta = _meta(obj)
    w = _Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    if meta.get("namespace"):
        w.write(0, f"Namespace:\t{meta['namespace']}\n")
    _labels(w, "Labels", meta.get("labels"))
    _annotations(w, "Annotations", meta.get("annotations"))
    kind = obj.get("kind")
    if kind == "Namespace":
        w.write(0, f"Status:\t{(obj.get('status') or {}).get('phase', '')}\n")
    elif kind == "ConfigMap":
        w.write(0, "\nData\n====\n")
        for k, v in (obj.get("data") or {}).items():
            w.write(0, f"{k}:\n----\n{v}\n\n")
        w.write(0, "\nBinaryData\n====\n")
        w.write(0, "\n")
    elif kind == "Lease":
        spec = obj.get("spec") or {}
        w.write(0, f"Holder Identity:\t{spec.get('holderIdentity', '')}\n")
        w.write(0, f"Lease Duration Seconds:\t{spec.get('leaseDurationSeconds', '')}\n")
        w.write(0, f"Renew Time:\t{spec.get('renewTime', '')}\n")
    elif kind == "Endpoints":
        w.write(0, "Subsets:\n")
        for ss in obj.get("subsets") or ():
            addrs = ",".join(a.get("ip", "") for a in ss.get("addresses") or ()) or "<none>"
            nready = ",".join(a.get("ip", "") for a in ss.get("notReadyAddresses") or ()) or "<none>"
            w.write(1, f"Addresses:\t{addrs}\n")
            w.write(1, f"NotReadyAddresses:\t{nready}\n")
            if ss.get("ports"):
                w.write(1, "Ports:\n")
                w.write(2, "Name\tPort\tProtocol\n")
                w.write(2, "----\t----\t--------\n")
                for p in ss["ports"]:
                    w.write(2, f"{p.get('name') or '<unset>'}\t{p.get('port')}\t{p.get('protocol', 'TCP')}\n")
            w.write(0, "\n")
    _events(w, events, now)
    return w.text()

