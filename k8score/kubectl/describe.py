"""``kubectl describe``: the familiar human-readable reports, laid out as upstream does.

Each describer takes the object and what kubectl fetches alongside it (events found by
``involvedObject`` field selector, the pods of a ReplicaSet, the ReplicaSets of a
Deployment, the Endpoints of a Service) and returns the report text.
"""

from __future__ import annotations

from .columns import format_labels, format_selector, selector_string
from .describe_blocks import (Writer, controller_of, meta_of, write_annotations, write_events, write_header,
                              write_labels, write_tolerations)
from .describe_podspec import qos_class, write_containers, write_volumes
from .describe_misc import (describe_configmap, describe_endpoints, describe_namespace, describe_resourcequota,
                            describe_serviceaccount,
                            describe_unstructured)
from .describe_node import describe_node
from .timefmt import rfc1123z, since

__all__ = ["describe_pod", "describe_replicaset", "describe_deployment", "describe_service", "describe_node",
           "describe_namespace", "describe_resourcequota", "describe_configmap", "describe_endpoints", "describe_serviceaccount",
           "describe_unstructured", "selector_string"]


def describe_pod(pod: dict, events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(pod), pod.get("spec") or {}, pod.get("status") or {}
    fields = []
    if spec.get("priority") is not None:
        fields.append(("Priority", spec["priority"]))
    if spec.get("priorityClassName"):
        fields.append(("Priority Class Name", spec["priorityClassName"]))
    if spec.get("serviceAccountName"):
        fields.append(("Service Account", spec["serviceAccountName"]))
    node = spec.get("nodeName")
    fields.append(("Node", f"{node}/{st.get('hostIP', '')}" if node else "<none>"))
    if st.get("startTime"):
        fields.append(("Start Time", rfc1123z(st["startTime"])))
    w = Writer()
    write_header(w, meta, fields)
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
    if controller_of(pod):
        w.write(0, f"Controlled By:\t{controller_of(pod)}\n")
    if st.get("nominatedNodeName"):
        w.write(0, f"NominatedNodeName:\t{st['nominatedNodeName']}\n")
    if spec.get("initContainers"):
        write_containers(w, "Init Containers", spec["initContainers"], st.get("initContainerStatuses"), "", pod)
    write_containers(w, "Containers", spec.get("containers") or [], st.get("containerStatuses") or [], "", pod)
    if st.get("conditions"):
        w.write(0, "Conditions:\n  Type\tStatus\n")
        for c in st["conditions"]:
            w.write(1, f"{c.get('type')} \t{c.get('status')} \n")
    write_volumes(w, spec.get("volumes"), "")
    w.write(0, f"QoS Class:\t{qos_class(pod)}\n")
    write_labels(w, "Node-Selectors", spec.get("nodeSelector"))
    write_tolerations(w, "Tolerations", spec.get("tolerations"))
    write_events(w, events, now)
    return w.text()


def _pod_template(w: Writer, template: dict | None) -> None:
    w.write(0, "Pod Template:\n")
    template = template or {}
    meta, spec = template.get("metadata") or {}, template.get("spec") or {}
    write_labels(w, "  Labels", meta.get("labels"))
    if meta.get("annotations"):
        write_annotations(w, "  Annotations", meta["annotations"])
    if spec.get("serviceAccountName"):
        w.write(1, f"Service Account:\t{spec['serviceAccountName']}\n")
    if spec.get("initContainers"):
        write_containers(w, "Init Containers", spec["initContainers"], None, "  ")
    write_containers(w, "Containers", spec.get("containers") or [], None, "  ")
    write_volumes(w, spec.get("volumes"), "  ")
    if spec.get("priorityClassName"):
        w.write(1, f"Priority Class Name:\t{spec['priorityClassName']}\n")
    write_labels(w, "  Node-Selectors", spec.get("nodeSelector"))
    write_tolerations(w, "  Tolerations", spec.get("tolerations"))


def _pods_status(pods: list[dict], uid: str) -> str:
    counts = {"Running": 0, "Pending": 0, "Succeeded": 0, "Failed": 0}
    for p in pods:
        refs = [r for r in meta_of(p).get("ownerReferences") or () if r.get("controller")]
        if refs and refs[0].get("uid") == uid:
            phase = (p.get("status") or {}).get("phase")
            if phase in counts:
                counts[phase] += 1
    return (f"{counts['Running']} Running / {counts['Pending']} Waiting / "
            f"{counts['Succeeded']} Succeeded / {counts['Failed']} Failed")


def _conditions_with_reason(w: Writer, conditions: list | None) -> None:
    if conditions:
        w.write(0, "Conditions:\n  Type\tStatus\tReason\n")
        w.write(1, "----\t------\t------\n")
        for c in conditions:
            w.write(1, f"{c.get('type')} \t{c.get('status')}\t{c.get('reason', '')}\n")


def describe_replicaset(rs: dict, pods: list[dict], events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(rs), rs.get("spec") or {}, rs.get("status") or {}
    w = Writer()
    write_header(w, meta, [("Selector", format_selector(spec.get("selector")))])
    if controller_of(rs):
        w.write(0, f"Controlled By:\t{controller_of(rs)}\n")
    w.write(0, f"Replicas:\t{st.get('replicas', 0)} current / {spec.get('replicas', 1)} desired\n")
    w.write(0, f"Pods Status:\t{_pods_status(pods, meta.get('uid', ''))}\n")
    _pod_template(w, spec.get("template"))
    _conditions_with_reason(w, st.get("conditions"))
    write_events(w, events, now)
    return w.text()


def describe_deployment(d: dict, old_rs: list[dict], new_rs: list[dict], events: list[dict] | None,
                        now: float) -> str:
    meta, spec, st = meta_of(d), d.get("spec") or {}, d.get("status") or {}
    w = Writer()
    write_header(w, meta, [("CreationTimestamp", rfc1123z(meta.get("creationTimestamp")))])
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
            return ", ".join(f"{meta_of(r).get('name')} ({(r.get('status') or {}).get('replicas', 0)}/"
                             f"{(r.get('spec') or {}).get('replicas', 1)} replicas created)" for r in sets) or "<none>"
        w.write(0, f"OldReplicaSets:\t{fmt(old_rs)}\n")
        w.write(0, f"NewReplicaSet:\t{fmt(new_rs)}\n")
    write_events(w, events, now)
    return w.text()


def describe_service(svc: dict, slices: list[dict], events: list[dict] | None, now: float) -> str:
    """describe.go describeService; ``slices``: the EndpointSlices labelled with the service's
    name, in the server's order (kubectl >= 1.33 reads slices, not Endpoints)."""
    meta, spec = meta_of(svc), svc.get("spec") or {}
    w = Writer()
    write_header(w, meta)
    w.write(0, f"Selector:\t{format_labels(spec.get('selector'))}\n")
    w.write(0, f"Type:\t{spec.get('type', 'ClusterIP')}\n")
    if spec.get("ipFamilyPolicy"):
        w.write(0, f"IP Family Policy:\t{spec['ipFamilyPolicy']}\n")
    w.write(0, f"IP Families:\t{','.join(spec.get('ipFamilies') or []) or '<none>'}\n")
    w.write(0, f"IP:\t{spec.get('clusterIP', '')}\n")
    w.write(0, f"IPs:\t{','.join(spec.get('clusterIPs') or []) or '<none>'}\n")
    if spec.get("externalIPs"):
        w.write(0, f"External IPs:\t{','.join(spec['externalIPs'])}\n")
    if spec.get("loadBalancerIP"):
        w.write(0, f"Desired LoadBalancer IP:\t{spec['loadBalancerIP']}\n")
    if spec.get("externalName"):
        w.write(0, f"External Name:\t{spec['externalName']}\n")
    ingress = ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    if ingress:  # buildIngressString
        w.write(0, "LoadBalancer Ingress:\t" + ", ".join(
            (f"{i['ip']} ({i['ipMode']})" if i.get("ipMode") else i["ip"]) if i.get("ip") else i.get("hostname", "")
            for i in ingress) + "\n")
    for p in spec.get("ports") or ():
        name = p.get("name") or "<unset>"
        proto = p.get("protocol", "TCP")
        w.write(0, f"Port:\t{name}\t{p.get('port')}/{proto}\n")
        w.write(0, f"TargetPort:\t{p.get('targetPort', p.get('port'))}/{proto}\n")
        if p.get("appProtocol"):
            w.write(0, f"AppProtocol:\t{p['appProtocol']}\n")
        if p.get("nodePort"):
            w.write(0, f"NodePort:\t{name}\t{p['nodePort']}/{proto}\n")
        w.write(0, f"Endpoints:\t{format_endpoint_slices(slices, p.get('name', ''))}\n")
    w.write(0, f"Session Affinity:\t{spec.get('sessionAffinity', 'None')}\n")
    if spec.get("externalTrafficPolicy"):
        w.write(0, f"External Traffic Policy:\t{spec['externalTrafficPolicy']}\n")
    if spec.get("internalTrafficPolicy"):
        w.write(0, f"Internal Traffic Policy:\t{spec['internalTrafficPolicy']}\n")
    if spec.get("healthCheckNodePort"):
        w.write(0, f"HealthCheck NodePort:\t{spec['healthCheckNodePort']}\n")
    if spec.get("loadBalancerSourceRanges"):
        w.write(0, f"LoadBalancer Source Ranges:\t{','.join(spec['loadBalancerSourceRanges'])}\n")
    if spec.get("trafficDistribution"):
        w.write(0, f"Traffic Distribution:\t{spec['trafficDistribution']}\n")
    write_events(w, events, now)
    return w.text()


def format_endpoint_slices(slices: list[dict], port_name: str | None) -> str:
    """describe/helpers formatEndpointSlices: ready endpoints' ``ip:port`` of the port named
    ``port_name`` (None: every port), at most 3, then `` + N more...``; ``<none>`` without slices."""
    if not slices:
        return "<none>"
    listed: list[str] = []
    count, more = 0, False
    for sl in slices:
        endpoints = sl.get("endpoints") or []
        ports = sl.get("ports") or []
        targets = [None] if not ports else \
            [p for p in ports if port_name is None or (p.get("name") or "") == port_name]
        for port in targets:
            for ep in endpoints:
                if len(listed) == 3:
                    more = True
                if (ep.get("conditions") or {}).get("ready") is False:
                    continue
                addr = (ep.get("addresses") or [""])[0]
                if not more:
                    if port is None:
                        listed.append(addr)
                    else:
                        listed.append(f"[{addr}]:{port.get('port')}" if ":" in addr else f"{addr}:{port.get('port')}")
                count += 1
    text = ",".join(listed)
    return f"{text} + {count - 3} more..." if more else text
