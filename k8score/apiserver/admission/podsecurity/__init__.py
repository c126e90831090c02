"""PodSecurity admission: the Pod Security Standards (privileged, baseline, restricted).

Upstream: staging/src/k8s.io/pod-security-admission (policy/, api/, admission/) and the
in-tree plugin plugin/pkg/admission/security/podsecurity.

- :class:`PodSecurity` — the validating admission plugin (pods, pod templates, namespaces);
- :func:`evaluate` — the pure checks: ``evaluate(level, version, pod_meta, pod_spec)`` returns
  one :class:`CheckResult` per check run; :func:`aggregate` joins them as messages do.

>>> pod = {"containers": [{"name": "nginx", "image": "nginx",
...                        "securityContext": {"privileged": True}}]}
>>> print(aggregate(evaluate("baseline", "latest", {}, pod)).forbidden_detail())
privileged (container "nginx" must not set securityContext.privileged=true)
"""

from ._common import CheckResult
from .levels import BASELINE, PRIVILEGED, RESTRICTED, policy_to_evaluate
from .plugin import PodSecurity
from .registry import AggregateCheckResult, Evaluator, aggregate, evaluate

__all__ = ["PodSecurity", "evaluate", "aggregate", "CheckResult", "AggregateCheckResult",
           "Evaluator", "policy_to_evaluate", "PRIVILEGED", "BASELINE", "RESTRICTED"]
