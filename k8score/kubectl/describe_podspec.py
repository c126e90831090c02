"""The pod spec's blocks of ``kubectl describe`` reports (kubectl/pkg/describe/describe.go
describeContainers, describeVolumes, qos.GetPodQOS): a pod's and a pod template's
containers, volumes and QoS class, written into a :class:`~.describe_blocks.Writer`.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from ..api.quantity import parse_quantity
from .timefmt import rfc1123z

if TYPE_CHECKING:
    from .describe_blocks import Writer


def _state(w: Writer, name: str, state: dict | None) -> None:
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
    """describe.go DescribeProbe: ``exec [cat /tmp/healthy] delay=5s timeout=1s period=5s
    #success=1 #failure=3``; http-get prints url.URL{scheme, JoinHostPort(host, port), path}."""
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
    if p.get("grpc"):  # the service is defaulted to "" (SetDefaults_GRPCAction): two spaces
        return f"grpc <pod>:{p['grpc'].get('port')} {p['grpc'].get('service') or ''} {attrs}"
    return f"unknown {attrs}"


def write_containers(w: Writer, label: str, containers: list, statuses: list | None, space: str,
                     pod: dict | None = None) -> None:
    """describe.go describeContainers; ``pod`` resolves ``fieldRef`` env values (EnvValueRetriever),
    None for a pod template (the value prints empty)."""
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
        _write_env(w, c, pod)
        mounts = c.get("volumeMounts") or []
        w.write(2, f"Mounts:{'' if mounts else chr(9) + '<none>'}\n")
        for m in sorted(mounts, key=lambda m: m.get("mountPath", "")):
            w.write(3, f"{m.get('mountPath')} from {m.get('name')} ({'ro' if m.get('readOnly') else 'rw'})\n")


def _field_ref_value(pod: dict | None, field_path: str) -> str:
    """describe.go EnvValueRetriever: kubectl's scheme has no field-label conversions for pods, so
    only DefaultMetaV1FieldSelectorConversion's ``metadata.name``/``metadata.namespace`` resolve
    (``spec.nodeName`` prints empty, as real kubectl shows it)."""
    if pod is None or field_path not in ("metadata.name", "metadata.namespace"):
        return ""
    return str((pod.get("metadata") or {}).get(field_path.split(".")[1], ""))


def _resource_ref_value(ref: dict, container: dict) -> str:
    """kubectl/pkg/util/resource ExtractContainerResourceValue: ceil(value / divisor); cpu in millis."""
    kind, _, name = (ref.get("resource") or "").partition(".")
    if kind not in ("limits", "requests") or name not in ("cpu", "memory", "ephemeral-storage") \
            and not name.startswith("hugepages-"):
        return ""
    try:
        divisor = parse_quantity(ref.get("divisor") or "1").value or Fraction(1)
        value = parse_quantity(((container.get("resources") or {}).get(kind) or {}).get(name, "0")).value
    except ValueError:
        return ""
    if name == "cpu":   # MilliValue()s: both rounded up to whole millicores first
        value, divisor = -(-value * 1000 // 1), -(-divisor * 1000 // 1)
    else:
        value, divisor = -(-value // 1), -(-divisor // 1)
    return str(-(-value // divisor))


def _write_env(w: Writer, c: dict, pod: dict | None) -> None:
    """describe.go describeContainerEnvFrom (only when set) and describeContainerEnvVars."""
    env_from = c.get("envFrom") or []
    if env_from:
        w.write(2, "Environment Variables from:\n")
        for e in env_from:
            source, ref = ("ConfigMap", e["configMapRef"]) if e.get("configMapRef") else \
                ("Secret", e.get("secretRef") or {}) if e.get("secretRef") else ("", {})
            optional = _go_bool(ref.get("optional"))
            if e.get("prefix"):
                w.write(3, f"{ref.get('name', '')}\t{source} with prefix '{e['prefix']}'\tOptional: {optional}\n")
            else:
                w.write(3, f"{ref.get('name', '')}\t{source}\tOptional: {optional}\n")
    env = c.get("env") or []
    w.write(2, f"Environment:{'' if env else chr(9) + '<none>'}\n")
    for e in env:
        name, source = e.get("name"), e.get("valueFrom")
        if source is None:
            for i, line in enumerate(str(e.get("value", "")).split("\n")):
                w.write(3, f"{name}:\t{line}\n" if i == 0 else f"\t{line}\n")
        elif source.get("fieldRef"):
            ref = source["fieldRef"]
            value = _field_ref_value(pod, ref.get("fieldPath", ""))
            w.write(3, f"{name}:\t{value} ({ref.get('apiVersion', '')}:{ref.get('fieldPath', '')})\n")
        elif source.get("resourceFieldRef"):
            ref = source["resourceFieldRef"]
            value = _resource_ref_value(ref, c)
            if value == "0" and ref.get("resource") in ("limits.cpu", "limits.memory"):
                value = "node allocatable"
            w.write(3, f"{name}:\t{value} ({ref.get('resource', '')})\n")
        elif source.get("secretKeyRef"):
            ref = source["secretKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' in secret '{ref.get('name', '')}'>\t"
                       f"Optional: {_go_bool(ref.get('optional'))}\n")
        elif source.get("configMapKeyRef"):
            ref = source["configMapKeyRef"]
            w.write(3, f"{name}:\t<set to the key '{ref.get('key', '')}' of config map '{ref.get('name', '')}'>\t"
                       f"Optional: {_go_bool(ref.get('optional'))}\n")


def write_volumes(w: Writer, volumes: list | None, space: str) -> None:
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
            _write_projected(w, v.get("projected") or {})
        elif "persistentVolumeClaim" in v:  # describe.go printPersistentVolumeClaimVolumeSource
            claim = v.get("persistentVolumeClaim") or {}
            w.write(2, "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same "
                       f"namespace)\n    ClaimName:\t{claim.get('claimName', '')}\n"
                       f"    ReadOnly:\t{'true' if claim.get('readOnly') else 'false'}\n")
        else:
            w.write(1, "<unknown>\n")


def _write_projected(w: Writer, projected: dict) -> None:
    """describe.go printProjectedVolumeSource: one line or two per source, in order."""
    w.write(2, "Type:\tProjected (a volume that contains injected data from multiple sources)\n")
    for source in projected.get("sources") or []:
        if not isinstance(source, dict):
            continue
        if "secret" in source:
            sec = source.get("secret") or {}
            w.write(2, f"SecretName:\t{sec.get('name', '')}\n    Optional:\t{_go_bool(sec.get('optional'))}\n")
        elif "downwardAPI" in source:
            w.write(2, "DownwardAPI:\ttrue\n")
        elif "configMap" in source:
            cm = source.get("configMap") or {}
            w.write(2, f"ConfigMapName:\t{cm.get('name', '')}\n    Optional:\t{_go_bool(cm.get('optional'))}\n")
        elif "serviceAccountToken" in source:
            w.write(2, f"TokenExpirationSeconds:\t{(source.get('serviceAccountToken') or {}).get('expirationSeconds')}\n")


def _go_bool(value: object) -> str:
    return "true" if value is True else "false"


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
