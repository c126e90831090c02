"""Fuzz the API server and the components behind it: no input may break them (issue 6, item 6).

Each input starts from a valid object of one kind (or a patch of one) and spoils it the way
the issue's reports did: wrong types, int32/int64 edges, NaN/Infinity, ``10**400``, odd
unicode, very long strings, nesting 1,000 deep, unknown fields, malformed merge / JSON /
strategic-merge patches (``resourceVersion: Infinity``, ``$setElementOrder/ports: 1``...).

For every request it checks (:func:`check_requests`):

- the answer is an object or an ``ApiError`` (a Status) — never another exception;
- a refused request leaves etcd unchanged (same revision);
- an accepted one stored JSON without NaN/Infinity (upstream cannot even encode them);

and then that the cluster which accepted them runs 60 virtual seconds without an exception.

The hypothesis strategies here are shared with ``tests/test_apiserver_fuzz.py`` (a small,
derandomized sample for CI). This script is the long campaign::

    .venv/bin/python bench/fuzz_apiserver.py [EXAMPLES] [SEEDS]

It prints how many inputs it tried and each distinct failure with a minimal reproducer.
Upstream references: ``staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go``
(every error is a Status), ``k8s.io/apimachinery/pkg/util/json`` (NaN/Inf are not JSON).
"""

from __future__ import annotations

import copy
import json
import reprlib
import sys
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

from hypothesis import strategies as st  # noqa: E402

from k8score import Cluster  # noqa: E402
from k8score.api.errors import ApiError  # noqa: E402

NS = "default"
_POD_SPEC = {"containers": [{"name": "c", "image": "nginx", "ports": [{"containerPort": 80}],
                             "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}],
             "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 30}],
             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                 "nodeSelectorTerms": [{"matchExpressions": [
                     {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]}]}}}}
_TEMPLATE = {"metadata": {"labels": {"app": "fz"}}, "spec": _POD_SPEC}
_RULE = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}
_WEBHOOK = {"name": "fz.example.com", "clientConfig": {"url": "https://fz.example.com/hook"},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "sideEffects": "None", "admissionReviewVersions": ["v1"], "failurePolicy": "Ignore"}


def _obj(api_version: str, kind: str, namespaced: bool = True, **body: Any) -> dict:
    meta = {"name": "fz", "labels": {"app": "fz"}, "annotations": {"note": "fuzz"}}
    if namespaced:
        meta["namespace"] = NS
    return {"apiVersion": api_version, "kind": kind, "metadata": meta, **body}


#: plural -> a valid object of that kind (every kind the API server serves and stores).
BASELINES: dict[str, dict] = {
    "pods": _obj("v1", "Pod", spec=_POD_SPEC),
    "deployments": _obj("apps/v1", "Deployment", spec={
        "replicas": 2, "selector": {"matchLabels": {"app": "fz"}}, "template": _TEMPLATE,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 1}}}),
    "replicasets": _obj("apps/v1", "ReplicaSet", spec={
        "replicas": 1, "selector": {"matchLabels": {"app": "fz"}}, "template": _TEMPLATE}),
    "services": _obj("v1", "Service", spec={
        "type": "NodePort", "selector": {"app": "fz"}, "ports": [{"port": 80, "targetPort": 8080}],
        "sessionAffinity": "ClientIP", "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 60}},
        "externalIPs": ["192.0.2.10"]}),
    "nodes": _obj("v1", "Node", namespaced=False, spec={"podCIDR": "10.250.0.0/24",
                                                        "taints": [{"key": "k", "effect": "NoSchedule"}]},
                  status={"capacity": {"cpu": "2", "memory": "1Gi", "pods": "10"},
                          "conditions": [{"type": "Ready", "status": "False"}]}),
    "namespaces": _obj("v1", "Namespace", namespaced=False, spec={"finalizers": ["kubernetes"]}),
    "configmaps": _obj("v1", "ConfigMap", data={"k": "v"}),
    "secrets": _obj("v1", "Secret", type="Opaque", data={"k": "dg=="}, stringData={"s": "t"}),
    "serviceaccounts": _obj("v1", "ServiceAccount", automountServiceAccountToken=True),
    "events": _obj("v1", "Event", involvedObject={"kind": "Pod", "name": "fz", "namespace": NS},
                   reason="Fuzz", message="m", type="Normal", count=1, source={"component": "fz"}),
    "leases": _obj("coordination.k8s.io/v1", "Lease", spec={"holderIdentity": "fz", "leaseDurationSeconds": 40,
                                                             "renewTime": "2026-01-01T00:00:00.000000Z"}),
    "priorityclasses": _obj("scheduling.k8s.io/v1", "PriorityClass", namespaced=False, value=1000,
                            globalDefault=False, description="fuzz"),
    "limitranges": _obj("v1", "LimitRange", spec={"limits": [
        {"type": "Container", "default": {"cpu": "200m"}, "defaultRequest": {"cpu": "100m"},
         "max": {"cpu": "2"}}]}),
    "resourcequotas": _obj("v1", "ResourceQuota", spec={"hard": {"pods": "50", "requests.cpu": "20"}}),
    "roles": _obj("rbac.authorization.k8s.io/v1", "Role", rules=[_RULE]),
    "rolebindings": _obj("rbac.authorization.k8s.io/v1", "RoleBinding",
                         roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "fz"},
                         subjects=[{"kind": "ServiceAccount", "name": "default", "namespace": NS}]),
    "clusterroles": _obj("rbac.authorization.k8s.io/v1", "ClusterRole", namespaced=False, rules=[_RULE]),
    "clusterrolebindings": _obj("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", namespaced=False,
                                roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                         "name": "fz"},
                                subjects=[{"kind": "User", "name": "fz", "apiGroup": "rbac.authorization.k8s.io"}]),
    "mutatingwebhookconfigurations": _obj("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
                                          namespaced=False, webhooks=[dict(_WEBHOOK, reinvocationPolicy="Never")]),
    "validatingwebhookconfigurations": _obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
                                            namespaced=False, webhooks=[_WEBHOOK]),
}
CLUSTER_SCOPED = {p for p, o in BASELINES.items() if "namespace" not in o["metadata"]}


def _nested(depth: int, leaf: Any = 1) -> Any:
    out: Any = leaf
    for i in range(depth):
        out = [out] if i % 2 else {"a": out}
    return out


class Nested:
    """Stands for a value nested ``depth`` deep until the request is sent: hypothesis (and
    ``copy.deepcopy``) recurse into what they draw, and 1,000 levels exceed Python's limit."""

    def __init__(self, depth: int):
        self.depth = depth

    def __repr__(self) -> str:
        return f"_nested({self.depth})"


def materialize(value: Any) -> Any:
    """``value`` with every :class:`Nested` replaced by the real deep structure."""
    if isinstance(value, Nested):
        return _nested(value.depth)
    if isinstance(value, dict):
        return {k: materialize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [materialize(v) for v in value]
    return value


#: Values that broke something once, or sit on an edge (int32/int64, float, string limits).
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 5, "", "x", "30", "10%", "-1", "1e3", "NaN", "Infinity", "null",
    2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**53 + 1, 2**63 - 1, 2**63, -2**63 - 1, 2**64, 10**400,
    float("nan"), float("inf"), float("-inf"), 1e308, 0.5, -0.0, 1.0,
    "\x00", "\u202e\u0000\ud7ff", "日本語", "😀" * 3, "a" * 63, "a" * 64, "a" * 253, "a" * 254, "x" * 70_000,
    [], [5], [None], ["x"], {}, {"x": 1}, {"": ""}, {"x": [1, {"y": None}]},
    Nested(1000), Nested(50),
]
_DEEP = ODD_VALUES[-2]


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path into ``obj`` (dict keys and list indexes), the root included."""
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, prefix + (i,))
    return out


_PATHS = {plural: [p for p in _paths(obj) if p] for plural, obj in BASELINES.items()}


def _set(obj: Any, path: tuple, op: str, value: Any) -> Any:
    """``obj`` with the value at ``path`` replaced / deleted, or an unknown sibling added."""
    if not path:
        return value
    parent = obj
    for p in path[:-1]:
        parent = parent[p]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "add" and isinstance(parent, dict):
        parent[f"fuzz{len(parent)}"] = value
    else:
        parent[last] = value
    return obj


odd_values = st.one_of(st.sampled_from(ODD_VALUES), st.integers(), st.text(max_size=12),
                       st.floats(), st.lists(st.integers(), max_size=3))


@st.composite
def bad_objects(draw: Any) -> tuple[str, Any]:
    """``(plural, body)``: a baseline with one to three spoiled spots (sometimes none)."""
    plural = draw(st.sampled_from(sorted(BASELINES)))
    obj = copy.deepcopy(BASELINES[plural])
    for _ in range(draw(st.integers(0, 3))):
        paths = [p for p in _paths(obj) if p] or [()]
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        try:
            obj = _set(obj, path, op, draw(odd_values))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change removed the way there
    return plural, obj


_PATCH_BODIES = [
    {"metadata": {"resourceVersion": float("inf")}}, {"metadata": {"resourceVersion": "Infinity"}},
    {"metadata": {"resourceVersion": 5}}, {"metadata": {"labels": {"app": 5}}}, {"metadata": "x"},
    {"spec": {"$setElementOrder/ports": 1}}, {"spec": {"$setElementOrder/containers": [5]}},
    {"$patch": "delete"}, {"$patch": 5}, {"$patch": "replace", "spec": 5}, {"$retainKeys": 5},
    {"spec": {"ports": [{"$patch": "replace"}]}}, {"spec": {"containers": [{"$patch": "delete", "name": 5}]}},
    {"metadata": {"$deleteFromPrimitiveList/finalizers": 5}}, {"metadata": {"finalizers": {"$patch": "x"}}},
    {"spec": {"replicas": 2**31}}, {"spec": {"replicas": float("nan")}}, {"spec": 5}, {"status": [1]},
    [{"op": "add", "path": "/spec/x", "value": float("nan")}], [{"op": "move", "from": "/spec", "path": "/spec/a"}],
    [{"op": 5}], [{"op": "remove", "path": "/metadata"}], [{"op": "replace", "path": "/metadata/name", "value": 5}],
    [{"op": "test", "path": "/metadata/name", "value": "zz"}], [{"op": "add", "path": "/spec/0~1", "value": 1}],
    [{"op": "copy", "from": "/a/b", "path": "/c"}], [{"op": "add", "path": "", "value": 5}],
    "not a patch", 5, None, [], {}, _DEEP,
]


@st.composite
def bad_patches(draw: Any) -> tuple[str, str, Any]:
    """``(plural, patch_type, body)`` against the baseline object (created first)."""
    plural = draw(st.sampled_from(sorted(BASELINES)))
    patch_type = draw(st.sampled_from(["merge", "json", "strategic"]))
    body = draw(st.one_of(st.sampled_from(_PATCH_BODIES),
                          st.builds(lambda v: {"spec": {"fuzz": v}}, odd_values),
                          st.builds(lambda v: [{"op": "replace", "path": "/spec", "value": v}], odd_values)))
    return plural, patch_type, copy.deepcopy(body)


requests = st.lists(st.one_of(bad_objects().map(lambda r: ("create",) + r),
                              bad_patches().map(lambda r: ("patch",) + r)), min_size=1, max_size=4)


# -- checking ----------------------------------------------------------------------------------

class Finding:
    """One way an input broke a rule: ``where`` (``api``/``stored``/``components``), what, and how to see it."""

    def __init__(self, where: str, summary: str, reproducer: str):
        self.where, self.summary, self.reproducer = where, summary, reproducer

    def __repr__(self) -> str:
        return f"[{self.where}] {self.summary}\n    {self.reproducer}"


def _short(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/k8score/" in f.filename.replace("\\", "/")]
    where = f" at {frames[-1].filename.rsplit('/k8score/', 1)[-1]}:{frames[-1].lineno} {frames[-1].name}" if frames else ""
    return f"{type(exc).__name__}: {str(exc)[:120]}{where}"


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxlong, _REPR.maxother = 8, 60, 40, 60
_REPR.maxdict = _REPR.maxlist = 8


def _repr(value: Any) -> str:
    """A short, bounded repr (inputs nest 1,000 deep and hold 70,000-character strings)."""
    return _REPR.repr(value)


def _prepare(c: Cluster, req: tuple) -> None:
    """A patch needs its target: the valid baseline (already there, or refused: then 404)."""
    if req[0] == "patch":
        plural = req[1]
        try:
            c.api.create(plural, copy.deepcopy(BASELINES[plural]),
                         namespace=None if plural in CLUSTER_SCOPED else NS)
        except ApiError:
            pass


def _send(c: Cluster, req: tuple) -> Any:
    req = materialize(list(req))
    if req[0] == "create":
        _verb, plural, body = req
        return c.api.create(plural, body, namespace=None if plural in CLUSTER_SCOPED else NS)
    _verb, plural, patch_type, body = req
    ns = None if plural in CLUSTER_SCOPED else NS
    return c.api.patch(plural, "fz", body, patch_type=patch_type, namespace=ns)


def _stored_ok(c: Cluster, before: int) -> str | None:
    """None if every value written since revision ``before`` is JSON without NaN/Infinity."""
    def refuse(const: str) -> Any:
        raise ValueError(f"{const} stored")
    for ev in c.etcd.range("/registry/", "/registry0", revision=0).kvs:
        if ev.mod_revision <= before:
            continue
        try:
            json.loads(ev.value, parse_constant=refuse)
        except ValueError as e:
            return f"{ev.key}: {e}"
    return None


def check_requests(reqs: list[tuple], seed: int = 0, run_seconds: float = 60.0) -> list[Finding]:
    """Send ``reqs`` to a fresh 2-node cluster, then run it; every rule broken, as findings."""
    findings: list[Finding] = []
    c = Cluster(nodes=2, seed=seed)
    for req in reqs:
        _prepare(c, req)
        rev = c.etcd.revision
        repro = f"c.api.{req[0]}({', '.join(_repr(x) for x in req[1:])})"
        try:
            answer = _send(c, req)
        except ApiError:
            if c.etcd.revision != rev:
                findings.append(Finding("api", f"a refused {req[0]} changed etcd", repro))
            continue
        except RecursionError as exc:
            findings.append(Finding("api", f"RecursionError: {str(exc)[:80]}", repro))
            continue
        except Exception as exc:  # noqa: BLE001 - the very thing we look for
            findings.append(Finding("api", _short(exc), repro))
            continue
        if not isinstance(answer, dict):
            findings.append(Finding("api", f"answer is a {type(answer).__name__}", repro))
        bad = _stored_ok(c, rev)
        if bad:
            findings.append(Finding("stored", bad, repro))
    try:
        c.run(seconds=run_seconds)
    except Exception as exc:  # noqa: BLE001
        findings.append(Finding("components", _short(exc),
                                "; ".join(f"c.api.{r[0]}({', '.join(_repr(x) for x in r[1:])})" for r in reqs)
                                + f"; c.run(seconds={run_seconds:g})"))
    return findings


def main(argv: list[str]) -> int:
    from hypothesis import HealthCheck, given, seed as fixed_seed, settings
    examples = int(argv[1]) if len(argv) > 1 else 2000
    seeds = int(argv[2]) if len(argv) > 2 else 3
    tried = 0
    found: dict[tuple[str, str], Finding] = {}
    for seed in range(seeds):
        @fixed_seed(seed)
        @settings(max_examples=examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(requests)
        def campaign(reqs: list[tuple]) -> None:
            nonlocal tried
            tried += len(reqs)
            for f in check_requests(reqs, seed=seed):
                found.setdefault((f.where, f.summary.split(":")[0] + f.summary.rsplit(" at ", 1)[-1]), f)
        campaign()
        print(f"seed {seed}: {tried} inputs tried so far, {len(found)} distinct failures", flush=True)
    print(f"inputs tried: {tried}")
    for f in found.values():
        print(f)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
