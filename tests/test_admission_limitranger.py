"""LimitRanger admission and LimitRange validation.

Upstream: plugin/pkg/admission/limitranger/admission.go (defaults, min/max/ratio messages),
pkg/apis/core/v1/defaults.go SetDefaults_LimitRangeItem, and
pkg/apis/core/validation/validation.go ValidateLimitRange. Worked examples are the
Kubernetes docs' tasks "Configure Default Memory Requests and Limits for a Namespace" and
"Configure Minimum and Maximum CPU Constraints for a Namespace" with their files from
kubernetes/website content/en/examples/admin/resource/ unchanged. (The docs print the
messages of an older release, ending in "."; current upstream has no final period.)
"""

from __future__ import annotations

import pytest

from admission_fakes import DictLister, attrs, context
from k8score.api.errors import ApiError
from k8score.apiserver.admission.limitranger import LimitRanger, limit_range_defaults
from k8score.apiserver.validation.policy import limit_range

MEMORY_DEFAULTS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: mem-limit-range
  namespace: default
spec:
  limits:
  - default:
      memory: 512Mi
    defaultRequest:
      memory: 256Mi
    type: Container
"""
MEMORY_DEFAULTS_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: default-mem-demo
spec:
  containers:
  - name: default-mem-demo-ctr
    image: nginx
"""
CPU_CONSTRAINTS = """
apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-min-max-demo-lr
  namespace: default
spec:
  limits:
  - max:
      cpu: "800m"
    min:
      cpu: "200m"
    type: Container
"""


def cpu_pod(name: str, limit: str | None, request: str | None) -> dict:
    res: dict = {}
    if limit is not None:
        res["limits"] = {"cpu": limit}
    if request is not None:
        res["requests"] = {"cpu": request}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"containers": [{"name": f"{name}-ctr", "image": "nginx", "resources": res}]}}


def run(plugin: LimitRanger, a) -> None:
    """The chain's two phases for one request: mutate, then validate."""
    plugin.admit(a)
    plugin.validate(a)


def refusal(plugin: LimitRanger, a) -> str:
    with pytest.raises(ApiError) as e:
        run(plugin, a)
    assert e.value.code == 403 and e.value.reason == "Forbidden"
    return e.value.message


@pytest.fixture
def lister():
    return DictLister()


def test_memory_defaults_are_applied_and_annotated(lister):
    lister.put("limitranges", MEMORY_DEFAULTS)
    a = attrs("pods", MEMORY_DEFAULTS_POD)
    run(LimitRanger(context(lister)), a)
    [c] = a.obj["spec"]["containers"]
    assert c["resources"] == {"limits": {"memory": "512Mi"}, "requests": {"memory": "256Mi"}}
    assert a.obj["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == (
        "LimitRanger plugin set: memory request for container default-mem-demo-ctr; "
        "memory limit for container default-mem-demo-ctr")


def test_only_missing_values_are_defaulted(lister):
    # docs memory-defaults-pod-2: a limit but no request -> the request is the default request
    lister.put("limitranges", MEMORY_DEFAULTS)
    pod = cpu_pod("p", None, None)
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1Gi"}}
    a = attrs("pods", pod)
    run(LimitRanger(context(lister)), a)
    assert a.obj["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"},
                                                           "requests": {"memory": "256Mi"}}
    assert a.obj["metadata"]["annotations"]["kubernetes.io/limit-ranger"] == \
        "LimitRanger plugin set: memory request for container p-ctr"


def test_no_limit_range_leaves_the_pod_untouched(lister):
    a = attrs("pods", MEMORY_DEFAULTS_POD)
    run(LimitRanger(context(lister)), a)
    assert "annotations" not in a.obj["metadata"]
    assert "resources" not in a.obj["spec"]["containers"][0]


def test_cpu_constraints_docs_walkthrough(lister):
    lister.put("limitranges", CPU_CONSTRAINTS)
    plugin = LimitRanger(context(lister))
    ok = attrs("pods", cpu_pod("constraints-cpu-demo", "800m", "500m"))
    run(plugin, ok)
    assert ok.obj["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "800m"}, "requests": {"cpu": "500m"}}
    assert refusal(plugin, attrs("pods", cpu_pod("constraints-cpu-demo-2", "1.5", "500m"))) == (
        'pods "constraints-cpu-demo-2" is forbidden: maximum cpu usage per Container is 800m, but limit is 1500m')
    assert refusal(plugin, attrs("pods", cpu_pod("constraints-cpu-demo-3", "800m", "100m"))) == (
        'pods "constraints-cpu-demo-3" is forbidden: minimum cpu usage per Container is 200m, but request is 100m')
    # constraints-cpu-demo-4 sets nothing: default and defaultRequest both come from max
    four = attrs("pods", cpu_pod("constraints-cpu-demo-4", None, None))
    run(plugin, four)
    assert four.obj["spec"]["containers"][0]["resources"] == {"limits": {"cpu": "800m"}, "requests": {"cpu": "800m"}}


@pytest.mark.parametrize("limit,req,message", [
    ("800m", "200m", None),                      # both exactly at the bounds
    ("801m", "200m", "maximum cpu usage per Container is 800m, but limit is 801m"),
    ("800m", "199m", "minimum cpu usage per Container is 200m, but request is 199m"),
    ("0.8", "0.2", None),                        # same values, other spelling
])
def test_both_sides_of_min_and_max(lister, limit, req, message):
    lister.put("limitranges", CPU_CONSTRAINTS)
    a = attrs("pods", cpu_pod("p", limit, req))
    if message is None:
        run(LimitRanger(context(lister)), a)
    else:
        assert refusal(LimitRanger(context(lister)), a) == f'pods "p" is forbidden: {message}'


def test_several_violations_of_one_range_are_listed_in_brackets(lister):
    lister.put("limitranges", {"metadata": {"name": "lr", "namespace": "default"}, "spec": {"limits": [
        {"type": "Container", "max": {"cpu": "1"}, "min": {"memory": "100Mi"}}]}})
    pod = cpu_pod("p", "2", "500m")
    pod["spec"]["containers"][0]["resources"]["requests"]["memory"] = "50Mi"
    pod["spec"]["containers"][0]["resources"]["limits"]["memory"] = "200Mi"
    assert refusal(LimitRanger(context(lister)), attrs("pods", pod)) == (
        'pods "p" is forbidden: [minimum memory usage per Container is 100Mi, but request is 50Mi, '
        'maximum cpu usage per Container is 1, but limit is 2]')


def test_missing_values_and_ratio(lister):
    lister.put("limitranges", {"metadata": {"name": "lr", "namespace": "default"}, "spec": {"limits": [
        {"type": "Container", "maxLimitRequestRatio": {"memory": "2"}}]}})
    plugin = LimitRanger(context(lister))
    pod = cpu_pod("p", None, None)
    pod["spec"]["containers"][0]["resources"] = {"limits": {"memory": "1Gi"}, "requests": {"memory": "256Mi"}}
    assert refusal(plugin, attrs("pods", pod)) == (
        'pods "p" is forbidden: memory max limit to request ratio per Container is 2, '
        'but provided ratio is 4.000000')
    pod["spec"]["containers"][0]["resources"]["requests"]["memory"] = "512Mi"   # ratio exactly 2
    run(plugin, attrs("pods", pod))
    assert refusal(plugin, attrs("pods", cpu_pod("q", "1", None))) == (
        'pods "q" is forbidden: memory max limit to request ratio per Container is 2, '
        'but no request is specified or request is 0')


def test_pod_type_bounds_the_sum_of_containers(lister):
    lister.put("limitranges", {"metadata": {"name": "lr", "namespace": "default"}, "spec": {"limits": [
        {"type": "Pod", "max": {"cpu": "1"}}]}})
    pod = cpu_pod("p", "600m", "100m")
    pod["spec"]["containers"].append({"name": "b", "image": "x", "resources": {"limits": {"cpu": "400m"}}})
    run(LimitRanger(context(lister)), attrs("pods", pod))           # 600m + 400m == 1
    pod["spec"]["containers"][1]["resources"]["limits"]["cpu"] = "401m"
    assert refusal(LimitRanger(context(lister)), attrs("pods", pod)) == \
        'pods "p" is forbidden: maximum cpu usage per Pod is 1, but limit is 1001m'


def test_generate_name_names_the_refused_pod_and_updates_are_skipped(lister):
    lister.put("limitranges", CPU_CONSTRAINTS)
    pod = cpu_pod("x", "2", "500m")
    pod["metadata"] = {"generateName": "web-"}
    assert refusal(LimitRanger(context(lister)), attrs("pods", pod)).startswith('pods "web-" is forbidden')
    # containers are immutable after creation: pod updates are not checked
    run(LimitRanger(context(lister)), attrs("pods", cpu_pod("x", "2", "500m"), operation="UPDATE"))


def test_pvc_storage_limits(lister):
    lister.put("limitranges", {"metadata": {"name": "storagelimits", "namespace": "default"}, "spec": {
        "limits": [{"type": "PersistentVolumeClaim", "max": {"storage": "2Gi"}, "min": {"storage": "1Gi"}}]}})
    plugin = LimitRanger(context(lister))

    def pvc(size):
        return {"metadata": {"name": "pvc-limit"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                            "resources": {"requests": {"storage": size}}}}
    plugin.validate(attrs("persistentvolumeclaims", pvc("2Gi")))
    with pytest.raises(ApiError) as e:
        plugin.validate(attrs("persistentvolumeclaims", pvc("3Gi")))
    assert e.value.message == ('persistentvolumeclaims "pvc-limit" is forbidden: maximum storage usage per '
                               'PersistentVolumeClaim is 2Gi, but request is 3Gi')
    with pytest.raises(ApiError) as e:
        plugin.validate(attrs("persistentvolumeclaims", pvc("500Mi"), operation="UPDATE",
                              old=pvc("1Gi")))
    assert e.value.message.endswith("minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi")


def test_limit_range_validation_messages():
    # validation sees the object after registry defaulting (default/defaultRequest from max)
    errs = limit_range(limit_range_defaults({"spec": {"limits": [
        {"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}, "maxLimitRequestRatio": {"cpu": "500m"}},
        {"type": "Pod", "default": {"cpu": "1"}},
        {"type": "Pod"},
        {"type": "Blob"},
        {"type": "PersistentVolumeClaim", "max": {"cpu": "1"}},
    ]}}))
    assert [str(e) for e in errs] == [
        "spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1",
        "spec.limits[0].defaultRequest[cpu]: Invalid value: 1: min value 2 is greater than default request value 1",
        "spec.limits[0].default[cpu]: Invalid value: 2: min value 2 is greater than default value 1",
        "spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: 500m: ratio 500m is less than 1",
        "spec.limits[1].default: Forbidden: may not be specified when `type` is 'Pod'",
        "spec.limits[2].type: Duplicate value: \"Pod\"",
        "spec.limits[3].type: Invalid value: \"Blob\": must be a standard limit type or fully qualified",
        "spec.limits[4].limits: Required value: either minimum or maximum storage value is required, "
        "but neither was provided",
    ]
    assert limit_range({"spec": {"limits": [{"type": "Container", "default": {"cpu": "1"},
                                             "defaultRequest": {"cpu": "1"}, "max": {"cpu": "1"}}]}}) == []
