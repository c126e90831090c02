"""PriorityClasses and the Priority admission plugin (plugin/pkg/admission/priority).

A pod never states its priority as a number: it names a PriorityClass
(``spec.priorityClassName``) and admission writes the class's value into
``spec.priority`` on CREATE. A pod that brings its own different number is refused (403).
The classes are read from a cache kept in step with etcd by a watch, as upstream reads
them from an informer.
"""

from __future__ import annotations

from typing import Any

from ..etcd import prefix_end
from ..api.errors import ApiError
from ..api.resources import RESOURCES
from .storage import decode

# pkg/apis/scheduling/types.go
HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000   # HighestUserDefinablePriority
SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY  # SystemCriticalPriority
DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS = 0   # DefaultPriorityWhenNoDefaultClassExists
PREEMPT_LOWER_PRIORITY = "PreemptLowerPriority"     # v1.PreemptLowerPriority
SYSTEM_PREFIX = "system-"                           # SystemPriorityClassPrefix

#: pkg/apis/scheduling/helpers.go systemPriorityClasses: created at apiserver start-up
#: (pkg/registry/scheduling/rest/storage_scheduling.go AddSystemPriorityClasses).
SYSTEM_PRIORITY_CLASSES = (
    ("system-node-critical", SYSTEM_CRITICAL_PRIORITY + 1000,
     "Used for system critical pods that must not be moved from their current node."),
    ("system-cluster-critical", SYSTEM_CRITICAL_PRIORITY,
     "Used for system critical pods that must run in the cluster, but can be moved to another "
     "node if necessary."),
)


def is_system_class(name: str, value: Any, global_default: Any) -> bool:
    """helpers.go IsKnownSystemPriorityClass: exactly one of the built-in classes."""
    for n, v, _ in SYSTEM_PRIORITY_CLASSES:
        if name == n:
            return value == v and not global_default
    return False


def system_class_bodies() -> list[dict]:
    return [{"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
             "metadata": {"name": n}, "value": v, "description": d}
            for n, v, d in SYSTEM_PRIORITY_CLASSES]


class PriorityClasses:
    """The admission plugin's view of the stored PriorityClasses: name -> (value, policy, default)."""

    def __init__(self, storage: Any, store: Any):
        self._storage, self._store = storage, store
        self._classes: dict[str, tuple[int, str | None, bool]] = {}
        self._watch: Any = None
        self._default: str | None = None   # recomputed on every change, not on every pod

    def start(self) -> None:
        prefix = RESOURCES["priorityclasses"].prefix()
        kvs, rev = self._storage.list(prefix)
        self._classes = {}
        for kv in kvs:
            self._note(kv.key, kv.value)
        self._default = self._find_default()
        self._watch = self._store.watch(prefix, prefix_end(prefix), start_revision=rev + 1,
                                        callback=self._on_event)

    def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None

    def _on_event(self, resp: Any) -> None:
        for ev in resp.events:
            if ev.type == "DELETE":
                self._classes.pop(ev.kv.key.rsplit("/", 1)[1], None)
            else:
                self._note(ev.kv.key, ev.kv.value)
        self._default = self._find_default()

    def _note(self, key: str, value: str) -> None:
        obj = decode(value, 0)
        self._classes[key.rsplit("/", 1)[1]] = (obj.get("value", 0), obj.get("preemptionPolicy"),
                                                bool(obj.get("globalDefault")))

    def default_class(self) -> str | None:
        """The globalDefault class's name (None: pods without a class get priority 0)."""
        return self._default

    def _find_default(self) -> str | None:
        # admission.go getDefaultPriorityClass: several defaults (a race) -> the lowest value
        best = None
        for name in sorted(self._classes):
            value, _, is_default = self._classes[name]
            if is_default and (best is None or self._classes[best][0] > value):
                best = name
        return best

    def admit_pod(self, pod: dict) -> None:
        """admitPod (CREATE only): resolve spec.priority and spec.preemptionPolicy from the
        class, refusing a pod that set a different value itself. Mutates ``pod``."""
        spec = pod["spec"]
        name = spec.get("priorityClassName")
        if not name:
            default = self.default_class()
            if default is None:
                value, policy = DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS, PREEMPT_LOWER_PRIORITY
            else:
                value, policy, _ = self._classes[default]
                spec["priorityClassName"] = default
        else:
            found = self._classes.get(name)
            if found is None:
                raise self._forbidden(pod, f"no PriorityClass with name {name} was found")
            value, policy, _ = found
        given = spec.get("priority")
        if given is not None and given != value:
            raise self._forbidden(pod, f"the integer value of priority ({given}) must not be provided "
                                  f"in pod spec; priority admission controller computed {value} from "
                                  f"the given PriorityClass name")
        spec["priority"] = value
        if policy is not None:
            given = spec.get("preemptionPolicy")
            if given is not None and given != policy:
                raise self._forbidden(pod, f"the string value of PreemptionPolicy ({given}) must not be "
                                      f"provided in pod spec; priority admission controller computed "
                                      f"{policy} from the given PriorityClass name")
            spec["preemptionPolicy"] = policy

    def admit_class(self, pc: dict, update: bool) -> None:
        """Validate (CREATE/UPDATE of a PriorityClass): only one globalDefault class."""
        if not pc.get("globalDefault"):
            return
        default = self.default_class()
        name = pc["metadata"].get("name") or ""
        if default is not None and (not update or default != name):
            raise ApiError.forbidden("priorityclasses.scheduling.k8s.io", name,
                                     f"PriorityClass {default} is already marked as default. "
                                     f"Only one default can exist")

    @staticmethod
    def _forbidden(pod: dict, why: str) -> ApiError:
        return ApiError.forbidden("pods", pod["metadata"].get("name") or "", why)
