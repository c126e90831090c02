"""Defaulting: the fields the API server fills in before it validates and stores an object.

What ``kubectl get -o yaml`` shows but nobody wrote comes from here:
pkg/apis/core/v1/defaults.go, pkg/apis/apps/v1/defaults.go, and the admission plugins
that always run (ServiceAccount, DefaultTolerationSeconds; Priority is in priority.py). Quantities are
rewritten in canonical form (``cpu: 0.5`` is stored as ``500m``), as the real
serializer does.

Every function mutates the object it is given (a private copy made by the server).
"""

from __future__ import annotations

from .memo import SpecMemo
from ..api.quantity import canonical

# pkg/apis/core/v1/defaults.go
DEFAULT_TERMINATION_GRACE_PERIOD = 30          # v1.DefaultTerminationGracePeriodSeconds
DEFAULT_SCHEDULER_NAME = "default-scheduler"   # v1.DefaultSchedulerName
TERMINATION_MESSAGE_PATH = "/dev/termination-log"  # v1.TerminationMessagePathDefault
# pkg/apis/apps/v1/defaults.go SetDefaults_Deployment
DEPLOYMENT_MAX_SURGE = "25%"
DEPLOYMENT_MAX_UNAVAILABLE = "25%"
DEPLOYMENT_REVISION_HISTORY_LIMIT = 10
DEPLOYMENT_PROGRESS_DEADLINE_SECONDS = 600



def _image_pull_policy(image: str) -> str:
    # defaults.go SetDefaults_Container: ":latest" or no tag -> Always, else IfNotPresent
    if not isinstance(image, str):
        return "IfNotPresent"
    ref = image.split("@", 1)[0]
    if "@" in image:
        return "IfNotPresent"
    last = ref.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(probe: dict) -> None:
    # SetDefaults_Probe
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _resources(res: dict) -> None:
    for part in ("limits", "requests"):
        q = res.get(part)
        if q:
            for k, v in q.items():
                q[k] = canonical(v)
    # SetDefaults_Pod: limits without requests -> requests = limits
    limits = res.get("limits")
    if limits:
        req = res.setdefault("requests", {})
        for k, v in limits.items():
            req.setdefault(k, v)


def _container(c: dict) -> None:
    c.setdefault("imagePullPolicy", _image_pull_policy(c.get("image", "")))
    c.setdefault("terminationMessagePath", TERMINATION_MESSAGE_PATH)
    c.setdefault("terminationMessagePolicy", "File")
    res = c.get("resources")
    if res is None:
        c["resources"] = {}
    elif res:
        _resources(res)
    for p in c.get("ports") or ():
        p.setdefault("protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        if c.get(name):
            _probe(c[name])


def pod_spec(spec: dict) -> None:
    """SetDefaults_PodSpec + container defaults (used for pods and pod templates)."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("terminationGracePeriodSeconds", DEFAULT_TERMINATION_GRACE_PERIOD)
    spec.setdefault("schedulerName", DEFAULT_SCHEDULER_NAME)
    spec.setdefault("securityContext", {})
    for key in ("initContainers", "containers"):
        for c in spec.get(key) or ():
            _container(c)


def pod(obj: dict) -> str:
    """A pod as created: spec defaults plus what the always-on admission plugins add.

    Returns the pod's QoS class. Pods of one ReplicaSet share a spec, so this is
    memoised on the spec's content (see memo.py).
    """
    obj["spec"], extra = _POD_SPEC.apply(obj.setdefault("spec", {}))
    return extra


def _pod_spec_admitted(spec: dict) -> str:
    pod_spec(spec)
    spec.setdefault("enableServiceLinks", True)  # SetDefaults_Pod
    # serviceAccountName, the default tolerations, spec.priority come from admission plugins
    # (admission/serviceaccount.py, tolerations.py, priority.py): they depend on stored objects
    return qos_class(spec)


_POD_SPEC = SpecMemo(_pod_spec_admitted)


def qos_class(spec: dict) -> str:
    """pkg/apis/core/helper/qos GetPodQOS: Guaranteed, Burstable or BestEffort."""
    any_set = False
    guaranteed = True
    for c in list(spec.get("initContainers") or ()) + list(spec.get("containers") or ()):
        res = c.get("resources") or {}
        req, lim = res.get("requests") or {}, res.get("limits") or {}
        if req or lim:
            any_set = True
        for r in ("cpu", "memory"):
            if r not in lim or req.get(r, lim.get(r)) != lim.get(r):
                guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def template(obj: dict) -> None:
    tpl = obj.setdefault("spec", {}).setdefault("template", {})
    tpl.setdefault("metadata", {})
    pod_spec(tpl.setdefault("spec", {}))


def deployment(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("replicas", 1)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        ru = strategy.setdefault("rollingUpdate", {})
        ru.setdefault("maxUnavailable", DEPLOYMENT_MAX_UNAVAILABLE)
        ru.setdefault("maxSurge", DEPLOYMENT_MAX_SURGE)
    spec.setdefault("revisionHistoryLimit", DEPLOYMENT_REVISION_HISTORY_LIMIT)
    spec.setdefault("progressDeadlineSeconds", DEPLOYMENT_PROGRESS_DEADLINE_SECONDS)
    template(obj)


def replicaset(obj: dict) -> None:
    obj.setdefault("spec", {}).setdefault("replicas", 1)
    template(obj)


def service(obj: dict) -> None:
    spec = obj.setdefault("spec", {})
    spec.setdefault("type", "ClusterIP")
    spec.setdefault("sessionAffinity", "None")
    if spec["type"] != "ExternalName":
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if spec["type"] in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if spec["type"] == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for p in spec.get("ports") or ():
        p.setdefault("protocol", "TCP")
        if "targetPort" not in p and "port" in p:
            p["targetPort"] = p["port"]


def endpoints(obj: dict) -> None:
    for subset in obj.get("subsets") or ():
        for p in subset.get("ports") or ():
            p.setdefault("protocol", "TCP")


def namespace(obj: dict) -> None:
    # namespace strategy + NamespaceDefaultLabelName (kubernetes.io/metadata.name, v1.21+)
    obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
    labels = obj["metadata"].setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = obj["metadata"].get("name", "")


def priority_class(obj: dict) -> None:
    # pkg/apis/scheduling/v1/defaults.go SetDefaults_PriorityClass
    obj.setdefault("preemptionPolicy", "PreemptLowerPriority")


def node(obj: dict) -> None:
    status = obj.get("status")
    if isinstance(status, dict):
        for part in ("capacity", "allocatable"):
            q = status.get(part)
            if q:
                for k, v in q.items():
                    q[k] = canonical(v)


#: plural -> defaulting function
BY_RESOURCE = {
    "pods": pod, "deployments": deployment, "replicasets": replicaset, "services": service,
    "endpoints": endpoints, "namespaces": namespace, "nodes": node,
    "priorityclasses": priority_class,
}
