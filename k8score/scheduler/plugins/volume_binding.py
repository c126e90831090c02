"""VolumeBinding: a pod's PersistentVolumeClaims must be bound, or bindable on the node
(pkg/scheduler/framework/plugins/volumebinding: volume_binding.go, binder.go).

* PreFilter: a pod without claims skips the plugin. A claim that is missing, being deleted
  or Lost rejects the pod (UnschedulableAndUnresolvable); so does an unbound claim of an
  Immediate class (``pod has unbound immediate PersistentVolumeClaims``: the PV controller
  binds those, and the pod is retried when a claim changes).
* Filter, per node: bound claims' volumes must accept the node (``node(s) had volume node
  affinity conflict``; a volume that is gone: ``node(s) unavailable due to one or more pvc(s)
  bound to non-existent pv(s)``); each WaitForFirstConsumer claim needs an Available volume of
  its class fitting the node (smallest first, no volume twice) or a class that can provision
  (not ``kubernetes.io/no-provisioner``, allowedTopologies matching the node), else
  ``node(s) didn't find available persistent volumes to bind``.
* Reserve assumes the chosen volumes (another pod's cycle cannot pick them); Unreserve forgets.
* Permit — where this simulation does the API half of upstream's PreBind
  (``BindPodVolumes``): volumes get ``claimRef`` (+ ``bound-by-controller``), claims to
  provision get ``volume.kubernetes.io/selected-node``; the pod then waits (up to
  ``bind_timeout_seconds``, upstream ``--bind-timeout-seconds`` default 600) without
  blocking the scheduling loop, and is allowed when every claim is bound (the PV controller
  and the external provisioner do that through the API). PreBind checks the bindings.
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from ...api import storagehelpers as h
from ...api.errors import ApiError
from ..events import ActionType, ClusterEvent
from ..interface import FilterPlugin, PermitPlugin, PreBindPlugin, PreFilterPlugin, ReservePlugin
from ..status import Code, Status

# volumebinding/binder.go ConflictReason
ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
ERR_NODE_CONFLICT = "node(s) had volume node affinity conflict"
ERR_PV_NOT_EXIST = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
ERR_UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
# volume_binding.go DefaultBindTimeoutSeconds
DEFAULT_BIND_TIMEOUT_SECONDS = 600
NO_PROVISIONER = "kubernetes.io/no-provisioner"
_STATE_KEY = "VolumeBinding"
_CLASS_INDEX = "volume-binding-class"


class _State:
    __slots__ = ("bound", "delayed", "by_node")

    def __init__(self, bound: list[dict], delayed: list[dict]):
        self.bound, self.delayed = bound, delayed
        #: node -> (static bindings [(claim, pv)], claims to provision)
        self.by_node: dict[str, tuple[list[tuple[dict, dict]], list[dict]]] = {}


class VolumeBinding(PreFilterPlugin, FilterPlugin, ReservePlugin, PermitPlugin, PreBindPlugin):
    name = "VolumeBinding"

    def __init__(self, bind_timeout_seconds: float = DEFAULT_BIND_TIMEOUT_SECONDS):
        self.bind_timeout = float(bind_timeout_seconds)
        self.claims = self.volumes = self.classes = None
        self._assumed: dict[str, str] = {}        # volume name -> pod key that reserved it
        self._waiting: dict[str, set[str]] = {}   # pod key -> claim keys it waits for
        self._claim_waiters: dict[str, str] = {}  # claim key -> waiting pod key

    # -- informers (upstream: the Handle's SharedInformerFactory) -----------------------
    def start_informers(self, factory: Any, move: Callable[[ClusterEvent], None]) -> None:
        """Called at every scheduler (re)start: a restarted scheduler remembers no assumption."""
        self._assumed.clear()
        self._waiting.clear()
        self._claim_waiters.clear()
        self.claims = factory.informer("persistentvolumeclaims")
        self.volumes = factory.informer("persistentvolumes")
        self.classes = factory.informer("storageclasses")
        self.volumes.add_indexer(_CLASS_INDEX, lambda pv: [h.volume_class(pv)])

        def on(resource: str, on_change: Callable[[dict], None] | None = None):
            def add(obj: dict) -> None:
                if on_change:
                    on_change(obj)
                move(ClusterEvent(resource, ActionType.ADD, f"{resource}Add"))

            def update(old: dict, new: dict) -> None:
                if on_change:
                    on_change(new)
                move(ClusterEvent(resource, ActionType.UPDATE_OTHER, f"{resource}Update"))
            return add, update
        self.claims.add_event_handler(*on("PersistentVolumeClaim", self._claim_changed))
        self.volumes.add_event_handler(*on("PersistentVolume", self._volume_changed))
        self.classes.add_event_handler(*on("StorageClass"))

    def events_to_register(self):
        return (ClusterEvent("PersistentVolumeClaim", ActionType.ADD | ActionType.UPDATE),
                ClusterEvent("PersistentVolume", ActionType.ADD | ActionType.UPDATE),
                ClusterEvent("StorageClass", ActionType.ADD | ActionType.UPDATE),
                ClusterEvent("Node", ActionType.ADD | ActionType.UPDATE_NODE_LABEL),
                ClusterEvent("CSINode", ActionType.ADD | ActionType.UPDATE))

    # -- PreFilter -------------------------------------------------------------------------
    def pre_filter(self, state, pod, nodes):
        names = h.pod_claim_names(pod)
        if not names:
            state.write(_STATE_KEY, _State([], []))
            return None, Status.skip()
        if self.claims is None:
            return None, Status(Code.ERROR, "VolumeBinding has no claim informer")
        ns = h.meta(pod).get("namespace") or "default"
        bound, delayed, immediate = [], [], []
        for name in names:
            claim = self.claims.get(f"{ns}/{name}")
            if claim is None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            if h.meta(claim).get("deletionTimestamp"):
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
            if (claim.get("status") or {}).get("phase") == "Lost":
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" bound to non-existent '
                                                 f'persistentvolume "{h.spec(claim).get("volumeName", "")}"')
            if h.spec(claim).get("volumeName") and h.ANN_BIND_COMPLETED in h.annotations(claim):
                bound.append(claim)
            elif self._delay_binding(claim) and not h.spec(claim).get("volumeName"):
                delayed.append(claim)
            else:
                immediate.append(claim)
        if immediate:
            return None, Status.unresolvable(ERR_UNBOUND_IMMEDIATE)
        # binder.go: claims to match are tried smallest request first
        delayed.sort(key=h.requested_bytes)
        state.write(_STATE_KEY, _State(bound, delayed))
        return None, None

    def _delay_binding(self, claim: dict) -> bool:
        cls = h.claim_class(claim)
        sc = self.classes.get(cls) if cls else None
        return sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer"

    # -- Filter -----------------------------------------------------------------------------
    def filter(self, state, pod, node_info):
        if state.get(_STATE_KEY) is None and not h.pod_claim_names(pod):
            return None  # PreFilter would have skipped this plugin: nothing to check
        st: _State = state.read(_STATE_KEY, _State)
        node = node_info.node or {}
        labels, name = h.meta(node).get("labels") or {}, node_info.name
        reasons = []
        for claim in st.bound:
            pv = self.volumes.get(h.spec(claim)["volumeName"])
            if pv is None:
                reasons.append(ERR_PV_NOT_EXIST)
                break
            if not h.check_node_affinity(pv, labels, name):
                reasons.append(ERR_NODE_CONFLICT)
                break
        static: list[tuple[dict, dict]] = []
        provision: list[dict] = []
        ok = True
        key = _pod_key(pod)
        for claim in st.delayed:
            selected = h.annotations(claim).get(h.ANN_SELECTED_NODE)
            if selected is not None:
                if selected != name:
                    ok = False
                    break
                provision.append(claim)
                continue
            taken = {v for v, owner in self._assumed.items() if owner != key} | {h.meta(p)["name"] for _, p in static}
            pv = h.find_matching_volume(claim, self.volumes.by_index(_CLASS_INDEX, h.claim_class(claim)), node,
                                        taken, delay_binding=True)
            if pv is not None:
                static.append((claim, pv))
            else:
                provision.append(claim)
        if ok:
            ok = all(self._can_provision(c, labels, name) for c in provision)
        if not ok:
            reasons.append(ERR_BIND_CONFLICT)
        if reasons:
            return Status.unresolvable(*reasons)
        st.by_node[name] = (static, provision)
        return None

    def _can_provision(self, claim: dict, labels: dict, node_name: str) -> bool:
        """checkVolumeProvisions: a class with a real provisioner whose topology allows the node."""
        sc = self.classes.get(h.claim_class(claim)) if h.claim_class(claim) else None
        if sc is None or sc.get("provisioner") == NO_PROVISIONER:
            return False
        from .node_affinity import term_matches
        allowed = sc.get("allowedTopologies") or []
        terms = [{"matchExpressions": [{"key": e.get("key"), "operator": "In", "values": e.get("values") or []}
                                       for e in t.get("matchLabelExpressions") or ()]} for t in allowed]
        return not terms or any(term_matches(t, labels, node_name) for t in terms)

    # -- Reserve / Unreserve ------------------------------------------------------------------
    def reserve(self, state, pod, node_name):
        st = state.get(_STATE_KEY)
        if not isinstance(st, _State) or node_name not in st.by_node:
            return None
        for _, pv in st.by_node[node_name][0]:
            self._assumed[h.meta(pv)["name"]] = _pod_key(pod)
        return None

    def unreserve(self, state, pod, node_name):
        key = _pod_key(pod)
        for v in [v for v, owner in self._assumed.items() if owner == key]:
            del self._assumed[v]
        for c in self._waiting.pop(key, set()):
            self._claim_waiters.pop(c, None)

    # -- Permit: the API writes of BindPodVolumes, then wait for the binding ----------------------
    def permit(self, state, pod, node_name):
        st = state.get(_STATE_KEY)
        if not isinstance(st, _State) or node_name not in st.by_node:
            return None, 0
        static, provision = st.by_node[node_name]
        if not static and not provision:
            return None, 0
        try:
            self._bind_api_update(static, provision, node_name)
        except ApiError as err:   # e.g. 409: the volume changed since the cycle read it
            return Status(Code.ERROR, f"binding volumes: {err.message}"), 0
        key = _pod_key(pod)
        claims = {_claim_key(c) for c, _ in static} | {_claim_key(c) for c in provision}
        self._waiting[key] = claims
        for c in claims:
            self._claim_waiters[c] = key
        return Status(Code.WAIT), self.bind_timeout

    def _bind_api_update(self, static: list[tuple[dict, dict]], provision: list[dict], node_name: str) -> None:
        """bindAPIUpdate: volumes get their claimRef, claims to provision the selected node."""
        client = self.handle.client
        for claim, pv in static:
            new = copy.deepcopy(self.volumes.get(h.meta(pv)["name"]) or pv)
            new["spec"]["claimRef"] = h.claim_ref(claim)
            new["metadata"].setdefault("annotations", {})[h.ANN_BOUND_BY_CONTROLLER] = "yes"
            client.update("persistentvolumes", new)
        for claim in provision:
            if h.annotations(claim).get(h.ANN_SELECTED_NODE) == node_name:
                continue
            new = copy.deepcopy(self.claims.get(_claim_key(claim)) or claim)
            new["metadata"].setdefault("annotations", {})[h.ANN_SELECTED_NODE] = node_name
            client.update("persistentvolumeclaims", new, namespace=h.meta(claim).get("namespace"))

    def _claim_changed(self, claim: dict) -> None:
        pod_key = self._claim_waiters.get(_claim_key(claim))
        if pod_key is not None:
            self._check_waiting(pod_key)

    def _volume_changed(self, pv: dict) -> None:
        ref = h.spec(pv).get("claimRef")
        if isinstance(ref, dict):
            pod_key = self._claim_waiters.get(f"{ref.get('namespace')}/{ref.get('name')}")
            if pod_key is not None:
                self._check_waiting(pod_key)

    def _check_waiting(self, pod_key: str) -> None:
        claims = self._waiting.get(pod_key) or set()
        if claims and all(self._bound(c) for c in claims):
            for c in self._waiting.pop(pod_key):
                self._claim_waiters.pop(c, None)
            wp = self.handle.waiting_pods if self.handle is not None else None
            if wp is not None:
                wp.allow(pod_key, self.name)

    def _bound(self, claim_key: str) -> bool:
        """checkBindings: the claim is bound and its volume points back at it."""
        claim = self.claims.get(claim_key)
        if claim is None or not h.spec(claim).get("volumeName") or h.ANN_BIND_COMPLETED not in h.annotations(claim):
            return False
        pv = self.volumes.get(h.spec(claim)["volumeName"])
        return pv is not None and h.is_bound_to_claim(pv, claim)

    # -- PreBind ----------------------------------------------------------------------------
    def pre_bind(self, state, pod, node_name):
        st = state.get(_STATE_KEY)
        if not isinstance(st, _State) or node_name not in st.by_node:
            return None
        static, provision = st.by_node[node_name]
        for claim in [c for c, _ in static] + provision:
            if not self._bound(_claim_key(claim)):
                return Status(Code.ERROR, f'binding volumes: PersistentVolumeClaim "{h.meta(claim).get("name")}" '
                                          "is not bound")
        for v in [v for v, owner in self._assumed.items() if owner == _pod_key(pod)]:
            del self._assumed[v]
        return None


def _pod_key(pod: dict) -> str:
    m = h.meta(pod)
    return f"{m.get('namespace') or 'default'}/{m.get('name')}"


def _claim_key(claim: dict) -> str:
    m = h.meta(claim)
    return f"{m.get('namespace')}/{m.get('name')}"


__all__ = ["VolumeBinding", "ERR_BIND_CONFLICT", "ERR_NODE_CONFLICT", "ERR_PV_NOT_EXIST", "ERR_UNBOUND_IMMEDIATE"]
