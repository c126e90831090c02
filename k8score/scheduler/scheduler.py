"""kube-scheduler as a simulated component: informers -> queue -> framework -> binding.

As ``pkg/scheduler/scheduler.go``, ``eventhandlers.go`` and ``schedule_one.go``.
The scheduler talks only to the API server, through the client:

* one pod informer (non-terminal pods: ``status.phase!=Succeeded,status.phase!=Failed``)
  split by handlers, as upstream does: pods without ``spec.nodeName`` whose
  ``schedulerName`` is one of our profiles go to the scheduling queue; pods with a
  node go to the cache (they use that node's resources);
* a node informer feeds the cache; node and pod changes wake unschedulable pods;
* a decision is written as ``POST pods/<name>/binding`` (DefaultBinder), an Event
  ``Scheduled``/``FailedScheduling``, and on failure the pod's ``PodScheduled``
  condition (``pods/status``);
* when no node fits, PostFilter plugins run (DefaultPreemption evicts lower-priority
  pods and the pod gets ``status.nominatedNodeName``); pods a Permit plugin holds
  wait in :attr:`Scheduler.waiting_pods`.

A pod or node the scheduler cannot understand (written straight into etcd, or by an
older server) breaks only itself: a cycle that raises fails that pod's attempt like a
plugin error (``FailedScheduling`` with the error, backoffQ, as ``handleSchedulingFailure``
does with any error), a node whose fields cannot be read is left out of the cache, and
every such error is kept in :attr:`Scheduler.errors` (``utilruntime.HandleError``).

Profiles come from a KubeSchedulerConfiguration (``config=``, :mod:`.config`) or are given
as :class:`Profile` objects; each (re)start builds the frameworks, and with them the plugins,
with a complete :class:`~.handle.Handle`. Pods nominated by preemption are tracked in
:attr:`Scheduler.nominator` and counted on their node by lower-priority pods.

Inspect it with :meth:`Scheduler.explain` / :meth:`Scheduler.explain_text` (the last
attempt per pod: filter verdicts, scores, the choice), :meth:`Scheduler.pending`
(where each queued pod waits) and :attr:`Scheduler.history`.

Virtual time: one pod per scheduling cycle. A cycle costs
``CYCLE_BASE_COST + PER_NODE_COST * (nodes filtered + nodes scored)`` virtual
seconds (1 ms + 5 µs per node: ~3.5 ms for a pod on a 5,000-node cluster, in the
range of the real scheduler's per-pod latency); the binding API call is made when
the cycle's time has elapsed, and the next cycle starts then.
"""

from __future__ import annotations

import collections
import random
from typing import Any

from ..client import ApiError, Client, EventRecorder, SharedInformerFactory
from ..client.worker import ErrorLog, describe_exception
from ..lang import Text
from ..sim import Component
from ..sim.clock import rfc3339
from .algorithm import Algorithm, FitError, NoNodesAvailable, SchedulingError
from .cache import SchedulerCache, same_accounting
from .events import (ASSIGNED_POD_ADD, ASSIGNED_POD_DELETE, NODE_ADD, ActionType, ClusterEvent,
                     node_update_action)
from .explain import AttemptRecord, format_explanation, record_for
from .framework import Framework, Profile
from .interface import CycleState
from .nodeinfo import PodInfo, Snapshot, pod_key
from .nominator import Nominator
from .plugins import DEFAULT_SCHEDULER_NAME, default_profile
from .queue import UNSCHEDULABLE_FLUSH_PERIOD, QueuedPodInfo, SchedulingQueue
from .status import Code, Status
from .waiting import WaitingPods

#: virtual seconds per scheduling cycle, plus per node filtered or scored (see module doc)
CYCLE_BASE_COST = 0.001
PER_NODE_COST = 0.000005
#: attempts remembered per pod (explain) and overall (history)
HISTORY_PODS = 1000
HISTORY_ATTEMPTS = 256
# pkg/scheduler/scheduler.go: newPodInformer — the scheduler's pod informer skips terminal pods
_POD_FIELD_SELECTOR = "status.phase!=Succeeded,status.phase!=Failed"


class Scheduler(Component):
    kind = "kube-scheduler"
    plane = "control-plane"
    watches = ("pods", "nodes")
    writes = ("pods/binding", "pods/status", "events")
    summary = Text("为尚未分配节点的 Pod 选择节点：先用 Filter 插件排除放不下的节点，再用 Score 插件打分，"
                   "选出总分最高者，通过 pods/binding 子资源写回 API Server",
                   "Picks a node for each Pod that has none: Filter plugins rule out the nodes it does not fit, "
                   "Score plugins score the rest, and the highest total wins, written back to the API server "
                   "through the pods/binding subresource")

    def __init__(self, loop: Any, api: Any, profile: Profile | list[Profile] | None = None,
                 seed: int | None = None, name: str = "kube-scheduler", client: Any = None,
                 config: Any = None, registry: dict | None = None):
        """``config``: a KubeSchedulerConfiguration (YAML text or dict, see
        :mod:`k8score.scheduler.config`), validated here (ValueError with upstream's
        messages); ``registry``: out-of-tree plugins ``{name: factory}`` the config may
        enable (``app.WithPlugin``). Without a config, ``profile`` (one or a list of
        :class:`Profile`) or the default profile."""
        super().__init__(name, loop)
        self.api = api
        self.client = client if client is not None else Client(api, user="system:kube-scheduler")
        from .config import load_config   # here: config imports the plugins, which import us
        if config is not None and profile is not None:
            raise ValueError("give either a profile or a config, not both")
        if config is not None or registry:
            #: the validated configuration (:class:`~k8score.scheduler.config.SchedulerConfiguration`)
            self.config = load_config(config or {}, registry=registry)
            profiles = list(self.config.profiles)
        else:
            self.config = None
            profiles = profile if isinstance(profile, list) else [profile or default_profile()]
        names = [p.scheduler_name for p in profiles]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate profile for schedulerName {dupes[0]!r}")
        self.profiles: list[Profile] = profiles
        self.frameworks: dict[str, Framework] = {}
        self.seed = seed if seed is not None else loop.rng.getrandbits(64)
        # upstream records through events.k8s.io (tools/events): no spam filter, no aggregation
        self.recorder = EventRecorder(self.client, component=DEFAULT_SCHEDULER_NAME, loop=loop,
                                      correlate=False)
        # profile.NewMap: each profile records events as its schedulerName
        self._recorders = {p.scheduler_name: (self.recorder if p.scheduler_name == DEFAULT_SCHEDULER_NAME
                                              else EventRecorder(self.client, component=p.scheduler_name,
                                                                 loop=loop, correlate=False))
                           for p in profiles}
        #: every attempt, most recent last (bounded)
        self.history: collections.deque[AttemptRecord] = collections.deque(maxlen=HISTORY_ATTEMPTS)
        self._last: collections.OrderedDict[str, AttemptRecord] = collections.OrderedDict()
        #: Errors recovered from (broken objects, failed handlers), kept across restarts.
        self.errors = ErrorLog(loop, name)
        self._reset()

    # -- lifecycle -----------------------------------------------------------------
    def _reset(self) -> None:
        """A (re)started scheduler process remembers nothing: fresh cache, queue, informers."""
        self.cache = SchedulerCache()
        self.snapshot = Snapshot()
        percentage = self.config.percentage_of_nodes_to_score if self.config is not None else 0
        self.algorithm = Algorithm(random.Random(self.seed), percentage or 0)
        self.waiting_pods = WaitingPods(self.call_later)
        #: pods nominated to nodes by preemption (counted there by lower-priority pods)
        self.nominator = Nominator()
        self.factory = SharedInformerFactory(self.client, self.loop)
        # a (re)started process builds its frameworks, and so its plugins, with a complete handle
        self.frameworks = {p.scheduler_name: Framework(
            p, self.client, recorder=self._recorders[p.scheduler_name], informer_factory=self.factory, snapshot=self.snapshot,
            waiting_pods=self.waiting_pods, nominator=self.nominator, rng=self.algorithm.rng,
            clock=lambda: self.loop.now)
            for p in self.profiles}
        first = next(iter(self.frameworks.values()))
        self.queue = SchedulingQueue(events_for=first.events_for, pre_enqueue=self._pre_enqueue)
        self.pod_informer = self.node_informer = None
        self._cycle_timer = None
        self._flush_timer = None
        self._flush_at: float | None = None
        self._busy_until = 0.0
        self.scheduled = 0

    def on_start(self) -> None:
        self._reset()
        self.node_informer = self.factory.informer("nodes")
        self.pod_informer = self.factory.informer("pods", field_selector=_POD_FIELD_SELECTOR)
        self.node_informer.errors = self.pod_informer.errors = self.errors
        self.node_informer.add_event_handler(self._on_node_add, self._on_node_update, self._on_node_delete)
        self.pod_informer.add_event_handler(self._on_pod_add, self._on_pod_update, self._on_pod_delete)
        # listers plugins read (PodTopologySpread's default selector, namespaceSelector)
        # and DefaultPreemption's PodDisruptionBudgets
        for resource in ("services", "replicationcontrollers", "replicasets", "statefulsets", "namespaces",
                         "poddisruptionbudgets"):
            self.factory.informer(resource).errors = self.errors
        for fw in self.frameworks.values():
            for pl, _ in fw.plugins:   # plugins watching more (VolumeBinding: claims, volumes)
                pl.start_informers(self.factory, lambda event: self._move(event))
        self.factory.start()
        self.on_stop_do(self.factory.stop)
        # scheduling_queue.go Run: flushUnschedulablePodsLeftover every 30 s
        self.every(UNSCHEDULABLE_FLUSH_PERIOD, self._flush_leftover)

    # -- public inspection ------------------------------------------------------------
    def explain(self, pod: str | dict) -> AttemptRecord | None:
        """The last scheduling attempt of ``"namespace/name"`` (or a pod dict), or None."""
        key = pod if isinstance(pod, str) else pod_key(pod)
        if "/" not in key:
            key = f"default/{key}"
        return self._last.get(key)

    def explain_text(self, pod: str | dict) -> str:
        rec = self.explain(pod)
        return format_explanation(rec) if rec else f"no scheduling attempt recorded for {pod}"

    def pending(self) -> list[tuple[str, str]]:
        """Pods in the scheduling queue and where: activeQ, backoffQ, unschedulablePods."""
        return [(k, w) for k, w in self.queue.pending_pods() if w]

    # -- informer handlers (eventhandlers.go) --------------------------------------------
    def _responsible(self, pod: dict) -> bool:
        spec = pod.get("spec") or {}
        return (spec.get("schedulerName") or DEFAULT_SCHEDULER_NAME) in self.frameworks

    def _pre_enqueue(self, pod: dict) -> Status | None:
        fw = self.frameworks.get((pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER_NAME)
        return fw.run_pre_enqueue(pod) if fw is not None else None

    def _on_pod_add(self, pod: dict) -> None:
        if _terminal(pod):
            return
        if _assigned(pod):
            self.cache.add_pod(pod)
            self._move(ASSIGNED_POD_ADD, None, pod)
        elif self._responsible(pod):
            try:
                self.queue.add(pod, self.loop.now)
                self.nominator.update(None, pod)
            except Exception as exc:  # noqa: BLE001 - e.g. a priority that is not a number
                self._unqueueable(pod, exc)
                return
            self._kick()

    def _unqueueable(self, pod: dict, exc: Exception) -> None:
        """A pod the queue cannot hold: log it and tell its owner (FailedScheduling)."""
        message = self.errors.handle(f"cannot queue pod {pod_key(pod)}", exc)
        self._safe_event(pod, "FailedScheduling", message)

    def _on_pod_update(self, old: dict, new: dict) -> None:
        was, now_assigned = _assigned(old), _assigned(new)
        if _terminal(new):
            self._on_pod_delete(old)
            return
        if now_assigned:
            if not was:
                self.queue.delete(new)          # bound: leaves the queue, enters the cache
                self.nominator.delete(pod_key(new))
                self.cache.add_pod(new)
                self._move(ASSIGNED_POD_ADD, None, new)
                return
            self.cache.update_pod(new)
            if same_accounting(old, new):
                return                # status only: no scale-down, no label change to announce
            old_req = PodInfo(old)
            new_req = PodInfo(new)
            action = ActionType(0)
            if new_req.cpu < old_req.cpu or new_req.memory < old_req.memory:
                action |= ActionType.UPDATE_POD_SCALE_DOWN
            if old_req.labels != new_req.labels:
                action |= ActionType.UPDATE_POD_LABEL
            if action:
                self._move(ClusterEvent("Pod", action, "AssignedPodUpdate"), old, new)
        elif self._responsible(new) and not self.cache.is_assumed(pod_key(new)):
            self.queue.update(new, self.loop.now)
            self.nominator.update(old, new)
            self._kick()

    def _on_pod_delete(self, pod: dict) -> None:
        key = pod_key(pod)
        if _assigned(pod) or self.cache.get_pod(key) is not None:
            self.cache.remove_pod(pod)
            self._move(ASSIGNED_POD_DELETE, pod, None)
        self.queue.delete(pod)
        self.nominator.delete(key)
        # runtime/framework.go: a deleted pod waiting on Permit is rejected (and unreserved)
        self.waiting_pods.reject(key, "", "pod was deleted")

    def _on_node_add(self, node: dict) -> None:
        if self._cache_node(node):
            self._move(NODE_ADD, None, node)

    def _on_node_update(self, old: dict, new: dict) -> None:
        if not self._cache_node(new):
            return
        try:
            action = node_update_action(old, new)
        except Exception as exc:  # noqa: BLE001 - e.g. conditions that are not a list
            self.errors.handle(f"cannot compare node {key_of(new)}", exc)
            action = ActionType(0)
        if action:
            self._move(ClusterEvent("Node", action, f"Node{action}"), old, new)

    def _cache_node(self, node: dict) -> bool:
        """Put ``node`` in the cache; a node whose allocatable or taints cannot be read is
        left out (no pod may land on a node we cannot evaluate) and logged."""
        try:
            self.cache.add_node(node)
            return True
        except Exception as exc:  # noqa: BLE001
            name = key_of(node)
            self.errors.handle(f"node {name} left out of the scheduler cache", exc)
            if isinstance(name, str):
                self.cache.remove_node(name)
            return False

    def _on_node_delete(self, node: dict) -> None:
        self.cache.remove_node(node["metadata"]["name"])
        self._move(ClusterEvent("Node", ActionType.DELETE, "NodeDelete"), node, None)

    def _move(self, event: ClusterEvent, old: dict | None = None, new: dict | None = None) -> None:
        """A cluster event: requeue the parked pods the rejecting plugins' hints let through."""
        if self.queue.move_all_to_active_or_backoff(event, self.loop.now, old=old, new=new):
            self._kick()
        self._arm_flush()

    def _flush_leftover(self) -> None:
        if self.queue.flush_unschedulable_leftover(self.loop.now):
            self._kick()
        self._arm_flush()

    # -- the scheduling loop ---------------------------------------------------------------
    def _kick(self) -> None:
        """Make sure a cycle runs as soon as the scheduler is free."""
        if self._cycle_timer is None and self.running:
            self._cycle_timer = self.call_later(max(0.0, self._busy_until - self.loop.now), self._schedule_one)

    def _arm_flush(self) -> None:
        at = self.queue.next_wakeup()
        if at is None or not self.running:
            return
        if self._flush_timer is not None and self._flush_at is not None and self._flush_at <= at:
            return
        if self._flush_timer is not None:
            self._flush_timer.cancel()
        self._flush_at = at
        self._flush_timer = self.call_later(max(0.0, at - self.loop.now), self._flush)

    def _flush(self) -> None:
        self._flush_timer = self._flush_at = None
        if self.queue.flush_backoff_completed(self.loop.now):
            self._kick()
        self._arm_flush()

    def _schedule_one(self) -> None:
        self._cycle_timer = None
        now = self.loop.now
        info = self.queue.pop(now)
        if info is None:
            return
        cycle = self.queue.scheduling_cycle
        try:
            self._scheduling_cycle(info, cycle)
        except Exception as exc:  # noqa: BLE001 - HandleCrash: this pod's cycle fails, not the loop
            self._cycle_crashed(info, cycle, exc)

    def _cycle_crashed(self, info: QueuedPodInfo, cycle: int, exc: Exception) -> None:
        """A cycle raised outside the algorithm (assume, reserve, a broken spec): drop what
        was assumed and fail the attempt as an error (backoffQ) with FailedScheduling."""
        message = self.errors.handle(f"scheduling cycle for pod {info.key} failed", exc)
        pod = self.cache.get_pod(info.key)
        try:
            if pod is not None and self.cache.is_assumed(info.key):
                self.cache.forget_pod(pod)
            fw = next(iter(self.frameworks.values()))
            self._handle_failure(fw, info, cycle, Status(Code.ERROR, message), set())
        except Exception as again:  # noqa: BLE001 - the pod cannot even be reported
            self.errors.handle(f"cannot report the failure of pod {info.key}", again)
            self.queue.done(info.key)
            self._kick()

    def _scheduling_cycle(self, info: QueuedPodInfo, cycle: int) -> None:
        pod = (self.pod_informer.get(info.key) if self.pod_informer else None) or info.pod
        fw = self.frameworks[(pod.get("spec") or {}).get("schedulerName") or DEFAULT_SCHEDULER_NAME]
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            fw.recorder.event(pod, "Warning", "FailedScheduling",
                                f"skip schedule deleting pod: {info.key}")
            self.queue.done(info.key)
            return self._kick()
        if self.cache.is_assumed(info.key) or _assigned(pod):
            self.queue.done(info.key)
            return self._kick()
        self.cache.update_snapshot(self.snapshot)
        fw.snapshot = self.snapshot
        state = CycleState()
        try:
            result = self.algorithm.schedule(fw, state, pod, self.snapshot)
        except (FitError, NoNodesAvailable, SchedulingError) as err:
            self._no_fit(fw, info, cycle, state, pod, err)
            return
        except Exception as exc:  # noqa: BLE001 - a plugin choked on this pod: an error status
            self.errors.handle(f"scheduling pod {info.key}", exc)
            err = SchedulingError(Status(Code.ERROR, describe_exception(exc)))
            self._no_fit(fw, info, cycle, state, pod, err)
            return
        rec = self._record(info, cycle, fw, result)
        self._finish_cycle(len(result.diagnosis.evaluated) + (result.feasible_nodes if result.scores else 0))
        host = result.suggested_host
        # assume: count the pod on its node now, bind later (schedule_one.go: assume)
        a = _Attempt(fw, info, cycle, state, dict(pod, spec=dict(pod.get("spec") or {}, nodeName=host)), host, rec)
        self.cache.assume_pod(a.pod)
        self.nominator.delete(info.key)     # assume: DeleteNominatedPodIfExists
        s = fw.run_reserve(state, a.pod, host)
        if s.is_success():
            s, waits = fw.run_permit(state, a.pod, host)
            if s.is_wait():
                self.waiting_pods.add(info.key, waits, lambda rejected: self._after_permit(a, rejected))
                return
        if not s.is_success():
            self._after_permit(a, s)
            return
        self.call_later(max(0.0, self._busy_until - self.loop.now), self._binding_cycle, a)

    def _no_fit(self, fw: Framework, info: QueuedPodInfo, cycle: int, state: CycleState, pod: dict,
                err: Exception) -> None:
        """No node (or an error): try PostFilter (preemption), record, requeue, report."""
        nominated: str | None = ""      # clearNominatedNode, unless PostFilter says otherwise
        fit = isinstance(err, FitError)
        if fit and fw.has_post_filter_plugins():
            nominated = self._post_filter(fw, state, pod, err)
            if nominated is not None:
                # handleSchedulingFailure: AddNominatedPod before the status patch lands
                self.nominator.add(pod, nominated)
        rec = self._record(info, cycle, fw, err)
        rec.nominated_node = nominated or ""
        self._finish_cycle(len(err.diagnosis.evaluated) if fit else 0)
        code = Code.ERROR if isinstance(err, SchedulingError) else Code.UNSCHEDULABLE
        plugins = err.diagnosis.unschedulable_plugins if fit else set()
        self._handle_failure(fw, info, cycle, Status(code, str(err)), plugins, nominated)

    def _post_filter(self, fw: Framework, state: CycleState, pod: dict, err: FitError) -> str | None:
        """Run PostFilter (preemption) on a FitError; returns the node to nominate ("" = clear
        the nomination, None = leave it) and records the plugins' message in the error, as
        upstream's ``PostFilterMsg``."""
        d = err.diagnosis
        statuses = {ni.name: d.node_to_status.get(ni.name) or d.absent_status
                    for ni in self.snapshot.node_infos}
        result, s = fw.run_post_filter(state, pod, {k: v for k, v in statuses.items() if v is not None})
        d.post_filter_msg = "" if s.is_success() else s.message
        err.args = (err.message(),)
        return result.nominated_node_name if result is not None else None

    def _finish_cycle(self, nodes_touched: int) -> None:
        """The cycle's virtual cost: the next cycle (and this pod's binding) start after it."""
        cost = CYCLE_BASE_COST + PER_NODE_COST * nodes_touched
        self._busy_until = self.loop.now + cost
        self._kick()
        self._arm_flush()

    def _record(self, info: QueuedPodInfo, cycle: int, fw: Framework, outcome: Any) -> AttemptRecord:
        rec = record_for(info.key, self.loop.now, info.attempts, cycle, fw.weights,
                         self.snapshot.num_nodes(), outcome)
        self.history.append(rec)
        self._last[info.key] = rec
        self._last.move_to_end(info.key)
        while len(self._last) > HISTORY_PODS:
            self._last.popitem(last=False)
        return rec

    # -- permit / binding cycle -----------------------------------------------------------
    def _after_permit(self, a: "_Attempt", rejected: Status | None) -> None:
        """Permit allowed the pod (``rejected`` is None): bind; otherwise undo and requeue."""
        if rejected is None:
            self._binding_cycle(a)
            return
        self._undo(a, rejected)
        plugins = {rejected.plugin} if rejected.is_rejected() else set()
        self._handle_failure(a.fw, a.info, a.cycle, _one_node_fit_status(rejected), plugins)

    def _binding_cycle(self, a: "_Attempt") -> None:
        try:
            self._bind(a)
        except Exception as exc:  # noqa: BLE001 - as a failed Bind: undo, requeue, report
            message = self.errors.handle(f"binding pod {a.info.key} failed", exc)
            self.cache.forget_pod(a.pod)
            self._handle_failure(a.fw, a.info, a.cycle, Status(Code.ERROR, message), set())

    def _bind(self, a: "_Attempt") -> None:
        s = a.fw.run_pre_bind(a.state, a.pod, a.host)
        if s.is_success():
            s = a.fw.run_bind(a.state, a.pod, a.host)
        if not s.is_success():
            self._undo(a, s)
            self._move(ASSIGNED_POD_DELETE)  # the forgotten pod's resources are free again
            self._handle_failure(a.fw, a.info, a.cycle, Status(Code.ERROR, s.message, plugin=s.plugin), set())
            return
        self.cache.finish_binding(a.pod)
        self.scheduled += 1
        a.fw.recorder.event(a.pod, "Normal", "Scheduled", f"Successfully assigned {a.info.key} to {a.host}")
        a.fw.run_post_bind(a.state, a.pod, a.host)
        self.queue.done(a.info.key)

    def _undo(self, a: "_Attempt", status: Status) -> None:
        a.fw.run_unreserve(a.state, a.pod, a.host)
        self.cache.forget_pod(a.pod)
        a.rec.failed_after_decision(f"{status.plugin + ': ' if status.plugin else ''}{status.message}",
                                    status.is_rejected())

    # -- failure handling (handleSchedulingFailure) -------------------------------------------
    def _handle_failure(self, fw: Framework, info: QueuedPodInfo, cycle: int, status: Status,
                        plugins: set[str], nominated: str | None = "") -> None:
        now = self.loop.now
        pod = self.pod_informer.get(info.key) if self.pod_informer else info.pod
        if pod is None or _assigned(pod):
            self.queue.done(info.key)      # deleted or bound meanwhile: nothing to retry
        else:
            self.queue.add_unschedulable_if_not_present(info, cycle, now, plugins,
                                                        error=not status.is_rejected())
        self._arm_flush()
        self._kick()
        if pod is None:
            return
        message = status.message
        fw.recorder.event(pod, "Warning", "FailedScheduling", message)
        reason = "Unschedulable" if status.is_rejected() else "SchedulerError"
        self._update_pod_status(pod, reason, message, nominated)

    def _safe_event(self, pod: dict, reason: str, message: str) -> None:
        """An Event about a pod that may itself be malformed (then only the log has it)."""
        try:
            self.recorder.event(pod, "Warning", reason, message)
        except Exception as exc:  # noqa: BLE001
            self.errors.handle(f"cannot record {reason} for pod {pod_key(pod)}", exc)

    def _update_pod_status(self, pod: dict, reason: str, message: str, nominated: str | None) -> None:
        """PATCH pods/status: PodScheduled=False and ``nominatedNodeName`` (None: keep it),
        only what changed (``updatePod`` / ``UpdatePodCondition``)."""
        status = pod.get("status") or {}
        patch: dict = {}
        conditions = list(status.get("conditions") or ())
        current = next((c for c in conditions if c.get("type") == "PodScheduled"), None)
        if not current or (current.get("status"), current.get("reason"), current.get("message")) != \
                ("False", reason, message):
            new = {"type": "PodScheduled", "status": "False", "reason": reason, "message": message,
                   "lastProbeTime": None,
                   "lastTransitionTime": (current.get("lastTransitionTime")
                                          if current and current.get("status") == "False"
                                          else rfc3339(self.loop.now))}
            patch["conditions"] = [c for c in conditions if c.get("type") != "PodScheduled"] + [new]
        if nominated is not None and (status.get("nominatedNodeName") or "") != nominated:
            patch["nominatedNodeName"] = nominated or None   # merge patch: null removes the field
        if not patch:
            return
        meta = pod.get("metadata") or {}
        try:
            self.client.patch("pods", meta.get("name"), {"status": patch},
                              namespace=meta.get("namespace") or "default", subresource="status")
        except ApiError:
            pass  # upstream logs and carries on; the next attempt will try again


class _Attempt:
    """What the binding cycle needs from the scheduling cycle that chose the node."""

    __slots__ = ("fw", "info", "cycle", "state", "pod", "host", "rec")

    def __init__(self, fw: Framework, info: QueuedPodInfo, cycle: int, state: CycleState,
                 pod: dict, host: str, rec: AttemptRecord):
        self.fw, self.info, self.cycle, self.state = fw, info, cycle, state
        self.pod, self.host, self.rec = pod, host, rec   # pod: the assumed copy, spec.nodeName = host


def _one_node_fit_status(s: Status) -> Status:
    """Reserve/Permit rejected the chosen node: upstream wraps it in a FitError with
    ``NumAllNodes: 1``, so the event reads ``0/1 nodes are available: 1 <reason>.``"""
    if not s.is_rejected():
        return s
    parts = sorted(f"1 {r}" for r in s.reasons)
    return Status(s.code, f"0/1 nodes are available: {', '.join(parts)}.", plugin=s.plugin)


def key_of(obj: dict) -> object:
    """``metadata.name`` as stored (it may not be a string in a broken object)."""
    meta = obj.get("metadata")
    return meta.get("name") if isinstance(meta, dict) else None


def _assigned(pod: dict) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _terminal(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
