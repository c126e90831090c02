"""The PodSecurity validating admission plugin.

Upstream: plugin/pkg/admission/security/podsecurity/admission.go (the in-tree plugin) and
staging/src/k8s.io/pod-security-admission/admission/admission.go (Validate, ValidatePod,
ValidatePodController, EvaluatePod), admission/response.go.

What it does, per request (CREATE and UPDATE only):

- **pods** — the namespace's policy (labels, see :mod:`.levels`) decides. ``enforce``
  refuses with 403 ``pods "nginx" is forbidden: violates PodSecurity "restricted:latest":
  <reason> (<detail>), ...``; ``warn`` adds ``would violate PodSecurity "baseline:latest":
  ...`` to ``a.warnings`` (not when the request is refused anyway); ``audit`` sets the audit
  annotation ``pod-security.kubernetes.io/audit-violations``. Every evaluated pod also gets
  ``pod-security.kubernetes.io/enforce-policy``. An UPDATE is only checked when it can change
  what the checks see: a container (or init container) added, removed or given another image,
  or an ephemeral container added or changed. The ``exec``, ``attach``, ``binding``,
  ``eviction``, ``log``, ``portforward``, ``proxy`` and ``status`` subresources are ignored.
- **workloads** with a pod template (replicationcontrollers, podtemplates, replicasets,
  deployments, statefulsets, daemonsets, jobs, cronjobs): warn and audit only — the pods they
  create are what enforce refuses. Subresources (scale, status) are ignored.
- **namespaces** — see :mod:`.namespace`.
- **exemptions** (usernames, namespaces, runtimeClasses) skip the checks and annotate
  ``pod-security.kubernetes.io/exempt: user|namespace|runtimeClass``.

>>> from k8score.apiserver.admission.podsecurity import levels
>>> levels.AUDIT_ANNOTATION_PREFIX + levels.AUDIT_VIOLATIONS_ANNOTATION_KEY
'pod-security.kubernetes.io/audit-violations'
"""

from __future__ import annotations

from ....api.errors import ApiError, status
from ...request import AdmissionAttributes, PluginContext
from ._common import mapping, seq
from .levels import (AUDIT_ANNOTATION_PREFIX as _PREFIX, AUDIT_VIOLATIONS_ANNOTATION_KEY,
                     ENFORCED_POLICY_ANNOTATION_KEY, EXEMPTION_REASON_ANNOTATION_KEY, LATEST,
                     PRIVILEGED, LevelVersion, Policy, default_policy, policy_from_config,
                     policy_to_evaluate)
from .namespace import enforce_tightened, evaluate_pods_in_namespace, exempt_namespace_warning
from .registry import Evaluator, aggregate

# admission.go ignoredPodSubresources
IGNORED_POD_SUBRESOURCES = frozenset({"exec", "attach", "binding", "eviction", "log", "portforward",
                                      "proxy", "status"})

# admission.go defaultPodSpecResources: (group, plural) -> path of the pod template.
# An absent optional template (a ReplicationController's) means "nothing to check".
_TEMPLATE_PATHS = {
    ("", "replicationcontrollers"): ("spec", "template"),
    ("", "podtemplates"): ("template",),
    ("apps", "replicasets"): ("spec", "template"),
    ("apps", "deployments"): ("spec", "template"),
    ("apps", "statefulsets"): ("spec", "template"),
    ("apps", "daemonsets"): ("spec", "template"),
    ("batch", "jobs"): ("spec", "template"),
    ("batch", "cronjobs"): ("spec", "jobTemplate", "spec", "template"),
}
_OPTIONAL_TEMPLATES = {("", "replicationcontrollers")}


class PodSecurity:
    """ValidatingAdmission ``PodSecurity``.

    ``exemptions``: ``{"usernames": [...], "namespaces": [...], "runtimeClasses": [...]}``
    (PodSecurityConfiguration ``exemptions``). ``defaults``: the policy of a namespace without
    labels, either ``(level, version)`` for all three modes or PodSecurityConfiguration
    ``defaults`` (``{"enforce": "baseline", "enforce-version": "latest", "warn": ...}``).
    ``emulation_version``: what ``latest`` means (default v1.37).
    """

    name = "PodSecurity"

    def __init__(self, ctx: PluginContext, exemptions: dict | None = None,
                 defaults: tuple[str, str] | dict = (PRIVILEGED, "latest"),
                 emulation_version: tuple[int, int] | None = None):
        self.ctx = ctx
        ex = exemptions or {}
        self.exempt_usernames = tuple(ex.get("usernames") or ())
        self.exempt_namespaces = tuple(ex.get("namespaces") or ())
        self.exempt_runtime_classes = tuple(ex.get("runtimeClasses") or ())
        self.defaults: Policy = (policy_from_config(defaults) if isinstance(defaults, dict)
                                 else default_policy(*defaults))
        self.evaluator = Evaluator() if emulation_version is None else Evaluator(
            emulation_version=emulation_version)

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE")

    def validate(self, a: AdmissionAttributes) -> str | None:
        """Raise ApiError (403 for an enforce violation, 422 for bad namespace labels);
        otherwise add warnings/annotations to ``a`` and return a note for the trace."""
        key = (a.info.group, a.info.plural)
        if key == ("", "namespaces"):
            return self._validate_namespace(a)
        if key == ("", "pods"):
            return self._validate_pod(a)
        if key in _TEMPLATE_PATHS:
            return self._validate_workload(a, key)
        return None

    # -- exemptions (admission.go exemptNamespace / exemptUser / exemptRuntimeClass) --------
    def _exempt_namespace(self, ns: str | None) -> bool:
        return bool(ns) and ns in self.exempt_namespaces

    def _exempt_user(self, a: AdmissionAttributes) -> bool:
        user = a.user.name if a.user is not None else ""
        return bool(user) and user in self.exempt_usernames

    def _exempt_runtime_class(self, rc: object) -> bool:
        return isinstance(rc, str) and bool(rc) and rc in self.exempt_runtime_classes

    def _exempt(self, a: AdmissionAttributes, reason: str) -> str:
        a.annotations[_PREFIX + EXEMPTION_REASON_ANNOTATION_KEY] = reason
        return f"exempt ({reason})"

    def _request_exemption(self, a: AdmissionAttributes) -> str | None:
        """Namespace, then user exemption (pods and workloads alike); the trace note or None."""
        if self._exempt_namespace(a.namespace):
            return self._exempt(a, "namespace")
        if self._exempt_user(a):
            return self._exempt(a, "user")
        return None

    # -- namespaces --------------------------------------------------------------------
    def _validate_namespace(self, a: AdmissionAttributes) -> str | None:
        if a.subresource:
            return None
        meta = mapping(mapping(a.obj).get("metadata"))
        labels = mapping(meta.get("labels"))
        name = str(meta.get("name") or a.name or "")
        ns = a.namespace or name  # a namespace request's namespace is the namespace itself
        policy, errs = policy_to_evaluate(labels, self.defaults)
        if a.operation == "CREATE":
            if errs:
                raise ApiError.invalid(a.info.qualified_kind, name, errs)
            return self._exempt_ns_warning(a, ns, name, policy, labels)
        if a.operation != "UPDATE":
            return None
        old_labels = mapping(mapping(mapping(a.old).get("metadata")).get("labels"))
        old_policy, old_errs = policy_to_evaluate(old_labels, self.defaults)
        if errs and (not old_errs or [str(e) for e in errs] != [str(e) for e in old_errs]):
            raise ApiError.invalid(a.info.qualified_kind, name, errs)
        if not enforce_tightened(policy.enforce, old_policy.enforce):
            return None
        if self._exempt_namespace(ns):
            return self._exempt_ns_warning(a, ns, name, policy, labels)
        pods = self.ctx.lister.list("pods", name)
        warnings = evaluate_pods_in_namespace(self.evaluator, name, pods, policy.enforce,
                                              self._exempt_runtime_class)
        a.warnings.extend(warnings)
        return f'checked {len(pods)} existing pods against "{policy.enforce}"'

    def _exempt_ns_warning(self, a, ns, name, policy, labels) -> str | None:
        if self._exempt_namespace(ns):
            warning = exempt_namespace_warning(name, policy, self.defaults, labels)
            if warning:
                a.warnings.append(warning)
        return None

    # -- pods and workloads (admission.go ValidatePod / ValidatePodController) -------------
    def _validate_pod(self, a: AdmissionAttributes) -> str | None:
        if a.subresource in IGNORED_POD_SUBRESOURCES:
            return None
        return self._validate_pod_spec(a, None)

    def _validate_workload(self, a: AdmissionAttributes, key: tuple[str, str]) -> str | None:
        if a.subresource:
            return None
        return self._validate_pod_spec(a, key)

    def _validate_pod_spec(self, a: AdmissionAttributes, workload: tuple[str, str] | None) -> str | None:
        """A pod (``workload`` None: enforce too) or a workload's pod template (warn and audit)."""
        exempt = self._request_exemption(a)
        if exempt:
            return exempt
        ns = a.namespace or ""
        ns_obj = self.ctx.lister.get("namespaces", ns)
        if ns_obj is None:
            message = f'failed to lookup namespace "{ns}"'
            if workload is None:  # a pod fails closed, a workload open
                a.annotations[_PREFIX + "error"] = (f"Internal error occurred: {message}: "
                                                    f'namespaces "{ns}" not found')
                raise ApiError.internal(message)
            a.annotations[_PREFIX + "error"] = f'{message}: namespaces "{ns}" not found'
            return None
        policy, errs = policy_to_evaluate(mapping(mapping(ns_obj.get("metadata")).get("labels")),
                                          self.defaults)
        if workload is None:
            if not errs and policy.fully_privileged():
                a.annotations[_PREFIX + ENFORCED_POLICY_ANNOTATION_KEY] = str(LevelVersion(PRIVILEGED, LATEST))
                return "privileged"
            pod = mapping(a.obj)
            if a.operation == "UPDATE" and not significant_pod_update(pod, mapping(a.old)):
                return None
            return self._evaluate(a, policy, errs, mapping(pod.get("metadata")),
                                  mapping(pod.get("spec")), enforce=True)
        if not errs and policy.warn.level == PRIVILEGED and policy.audit.level == PRIVILEGED:
            return None
        template: object = a.obj
        for step in _TEMPLATE_PATHS[workload]:
            template = mapping(template).get(step)
        if template is None and workload in _OPTIONAL_TEMPLATES:
            return None
        template = mapping(template)
        return self._evaluate(a, policy, errs, mapping(template.get("metadata")),
                              mapping(template.get("spec")), enforce=False)

    # -- evaluation (admission.go EvaluatePod) ----------------------------------------------
    def _evaluate(self, a: AdmissionAttributes, policy: Policy, errs: list, meta: dict, spec: dict,
                  enforce: bool) -> str:
        if self._exempt_runtime_class(spec.get("runtimeClassName")):
            return self._exempt(a, "runtimeClass")
        if errs:
            agg = str(errs[0]) if len(errs) == 1 else "[" + ", ".join(str(e) for e in errs) + "]"
            a.annotations[_PREFIX + "error"] = f"Failed to parse policy: {agg}"
        results: dict[LevelVersion, object] = {}

        def result(lv: LevelVersion):
            if lv not in results:  # audit and warn reuse enforce's evaluation when equal
                results[lv] = aggregate(self.evaluator.evaluate_pod(lv, meta, spec))
            return results[lv]

        refusal = None
        if enforce:
            a.annotations[_PREFIX + ENFORCED_POLICY_ANNOTATION_KEY] = str(policy.enforce)
            r = result(policy.enforce)
            if not r.allowed:
                refusal = f'violates PodSecurity "{policy.enforce}": {r.forbidden_detail()}'
        r = result(policy.audit)
        if not r.allowed:
            a.annotations[_PREFIX + AUDIT_VIOLATIONS_ANNOTATION_KEY] = (
                f'would violate PodSecurity "{policy.audit}": {r.forbidden_detail()}')
        if refusal is not None:
            # no warnings on a request that is refused anyway
            raise _forbidden(a, refusal)
        r = result(policy.warn)
        if not r.allowed:
            a.warnings.append(f'would violate PodSecurity "{policy.warn}": {r.forbidden_detail()}')
        return f'enforce "{policy.enforce}": allowed' if enforce else f'warn "{policy.warn}" checked'


def _forbidden(a: AdmissionAttributes, why: str) -> ApiError:
    """admission.NewForbidden / apierrors.NewForbidden: an unnamed object (generateName)
    reads ``pods is forbidden: ...``."""
    meta = mapping(mapping(a.obj).get("metadata"))
    name = a.name or meta.get("name") or ""
    if name:
        return ApiError.forbidden(a.info.group_resource, str(name), why)
    details = {"group": a.info.group, "kind": a.info.plural} if a.info.group else {"kind": a.info.plural}
    return ApiError(status(403, "Forbidden", f"{a.info.group_resource} is forbidden: {why}", details))


def _images_differ(new: object, old: object) -> bool:
    return mapping(new).get("image") != mapping(old).get("image")


def significant_pod_update(pod: dict, old: dict) -> bool:
    """isSignificantPodUpdate: only container images (and new ephemeral containers) can change
    on a pod update in ways the checks see; everything else is immutable or irrelevant."""
    spec, old_spec = mapping(pod.get("spec")), mapping(old.get("spec"))
    for key in ("containers", "initContainers"):
        new_c, old_c = seq(spec.get(key)), seq(old_spec.get(key))
        if len(new_c) != len(old_c) or any(_images_differ(n, o) for n, o in zip(new_c, old_c)):
            return True
    old_ephemeral = seq(old_spec.get("ephemeralContainers"))
    for c in seq(spec.get("ephemeralContainers")):
        name = mapping(c).get("name")
        match = next((o for o in old_ephemeral if mapping(o).get("name") == name), None)
        if match is None or _images_differ(c, match):
            return True
    return False
