"""PriorityClasses and the Priority admission plugin (plugin/pkg/admission/priority).

A pod never states its priority as a number: it names a PriorityClass
(``spec.priorityClassName``) and admission writes the class's value into
``spec.priority`` on CREATE. A pod that brings its own different number is refused (403).
The classes are read through the API server's lister, as upstream reads them from an
informer.
"""

from __future__ import annotations

from typing import Any

from ...api.errors import ApiError

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


class Priority:
    """The Priority admission plugin: mutating on pod CREATE, validating on PriorityClasses.

    It reads the stored classes through the API server's lister (the watch cache), as
    upstream reads them from an informer.
    """

    name = "Priority"

    def __init__(self, ctx: Any):
        self._lister = ctx.lister

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE")

    def _classes(self) -> dict[str, tuple[Any, Any, bool]]:
        """name -> (value, preemptionPolicy, globalDefault) of every well-formed stored class
        (one written behind the API server's back with a non-int32 value is ignored)."""
        out = {}
        for pc in self._lister.list("priorityclasses"):
            value, policy = pc.get("value", 0), pc.get("preemptionPolicy")
            if type(value) is not int or not -2**31 <= value < 2**31 or \
                    (policy is not None and not isinstance(policy, str)):
                continue
            out[pc["metadata"]["name"]] = (value, policy, pc.get("globalDefault") is True)
        return out

    @staticmethod
    def _default(classes: dict) -> str | None:
        # admission.go getDefaultPriorityClass: several defaults (a race) -> the lowest value
        best = None
        for name in sorted(classes):
            value, _, is_default = classes[name]
            if is_default and (best is None or _num(classes[best][0]) > _num(value)):
                best = name
        return best

    def admit(self, a: Any) -> str | None:
        if a.resource != "pods" or a.operation != "CREATE" or a.subresource:
            return None
        return self._admit_pod(a.obj)

    def validate(self, a: Any) -> str | None:
        if a.resource != "priorityclasses" or a.subresource:
            return None
        return self._admit_class(a.obj, a.operation == "UPDATE")

    def _admit_pod(self, pod: dict) -> str:
        """admitPod (CREATE only): resolve spec.priority and spec.preemptionPolicy from the
        class, refusing a pod that set a different value itself. Mutates ``pod``."""
        spec = pod["spec"]
        classes = self._classes()
        name = spec.get("priorityClassName")
        if not name:
            default = self._default(classes)
            if default is None:
                value, policy = DEFAULT_PRIORITY_WHEN_NO_DEFAULT_CLASS_EXISTS, PREEMPT_LOWER_PRIORITY
            else:
                value, policy, _ = classes[default]
                spec["priorityClassName"] = name = default
        else:
            found = classes.get(name) if isinstance(name, str) else None
            if found is None:
                raise _forbidden(pod, f"no PriorityClass with name {name} was found")
            value, policy, _ = found
        given = spec.get("priority")
        if given is not None and given != value:
            raise _forbidden(pod, f"the integer value of priority ({given}) must not be provided "
                             f"in pod spec; priority admission controller computed {value} from "
                             f"the given PriorityClass name")
        spec["priority"] = value
        if policy is not None:
            given = spec.get("preemptionPolicy")
            if given is not None and given != policy:
                raise _forbidden(pod, f"the string value of PreemptionPolicy ({given}) must not be "
                                 f"provided in pod spec; priority admission controller computed "
                                 f"{policy} from the given PriorityClass name")
            spec["preemptionPolicy"] = policy
        return f"spec.priority={value}" + (f" from PriorityClass {name}" if name else "")

    def _admit_class(self, pc: dict, update: bool) -> str | None:
        """Only one globalDefault class."""
        if pc.get("globalDefault") is not True:
            return None
        default = self._default(self._classes())
        name = pc["metadata"].get("name") or ""
        if default is not None and (not update or default != name):
            raise ApiError.forbidden("priorityclasses.scheduling.k8s.io", name,
                                     f"PriorityClass {default} is already marked as default. "
                                     f"Only one default can exist")
        return None


def _num(v: Any) -> float:
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


def _forbidden(pod: dict, why: str) -> ApiError:
    return ApiError.forbidden("pods", pod["metadata"].get("name") or "", why)
