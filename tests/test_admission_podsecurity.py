"""PodSecurity admission: the Pod Security Standards checks and the plugin around them.

Upstream: kubernetes/kubernetes staging/src/k8s.io/pod-security-admission —
policy/check_*.go (messages), policy/registry.go (which checks, in which order),
api/helpers.go (labels -> policy), admission/admission.go (pods, workloads, namespaces),
and plugin/pkg/admission/security/podsecurity/admission.go. Worked cases from the docs:
kubernetes/website content/en/docs/tutorials/security/ns-level-pss.md,
tutorials/security/cluster-level-pss.md, tasks/configure-pod-container/
enforce-standards-namespace-labels.md; manifests content/en/examples/security/*.yaml and
content/en/examples/pods/security/*.yaml, quoted unchanged.
"""

import copy
import random

import pytest
import yaml

from k8score.api.errors import ApiError
from k8score.api.resources import ResourceInfo, resolve
from k8score.apiserver.admission.podsecurity import PodSecurity, aggregate, evaluate
from k8score.apiserver.request import AdmissionAttributes, PluginContext, UserInfo

# content/en/examples/security/example-baseline-pod.yaml
EXAMPLE_BASELINE_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
    - image: nginx
      name: nginx
      ports:
        - containerPort: 80
"""
# content/en/examples/security/podsecurity-restricted.yaml
PODSECURITY_RESTRICTED_NS = """\
---
{
  apiVersion: "v1",
  kind: "Namespace",
  metadata: {
    name: "my-restricted-namespace",
    labels: {
      pod-security.kubernetes.io/enforce: "restricted",
      pod-security.kubernetes.io/enforce-version: "latest",
      pod-security.kubernetes.io/warn: "restricted",
      pod-security.kubernetes.io/warn-version: "latest",
    },
  },
}
"""
# content/en/examples/security/podsecurity-baseline.yaml
PODSECURITY_BASELINE_NS = PODSECURITY_RESTRICTED_NS.replace("restricted", "baseline")
# content/en/examples/pods/security/security-context-4.yaml
SECURITY_CONTEXT_4 = """\
---
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "security-context-demo-4",
  },
  spec: {
    containers: [{
      name: "sec-ctx-4",
      image: "gcr.io/google-samples/hello-app:2.0",
      securityContext: {
        capabilities: {
          add: [
            "NET_ADMIN",
            "SYS_TIME",
          ],
        },
      },
    }],
  },
}
"""
# ns-level-pss.md: `kubectl label --overwrite ns example ...`
EXAMPLE_NS_LABELS = {
    "pod-security.kubernetes.io/enforce": "baseline",
    "pod-security.kubernetes.io/enforce-version": "latest",
    "pod-security.kubernetes.io/warn": "restricted",
    "pod-security.kubernetes.io/warn-version": "latest",
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/audit-version": "latest",
}
# the warning the tutorial prints for example-baseline-pod.yaml
RESTRICTED_NGINX = (
    'allowPrivilegeEscalation != false (container "nginx" must set securityContext.allowPrivilegeEscalation=false), '
    'unrestricted capabilities (container "nginx" must set securityContext.capabilities.drop=["ALL"]), '
    'runAsNonRoot != true (pod or container "nginx" must set securityContext.runAsNonRoot=true), '
    'seccompProfile (pod or container "nginx" must set securityContext.seccompProfile.type to '
    '"RuntimeDefault" or "Localhost")')
PRIVILEGED_NGINX = 'privileged (container "nginx" must not set securityContext.privileged=true)'

CRONJOBS = ResourceInfo("cronjobs", "cronjob", "CronJob", "batch", "v1", True)
ALICE = UserInfo("alice", ("system:authenticated",))


class DictLister:
    """The Lister protocol over a dict: (resource, namespace, name) -> object."""

    def __init__(self):
        self.objects = {}

    def add(self, resource, obj):
        meta = obj["metadata"]
        self.objects[(resource, meta.get("namespace"), meta["name"])] = obj

    def get(self, resource, name, namespace=None):
        return self.objects.get((resource, namespace, name))

    def list(self, resource, namespace=None):
        return [o for (r, ns, _), o in sorted(self.objects.items())
                if r == resource and (namespace is None or ns == namespace)]


@pytest.fixture
def lister():
    lst = DictLister()
    lst.add("namespaces", {"metadata": {"name": "default"}})
    lst.add("namespaces", {"metadata": {"name": "example", "labels": dict(EXAMPLE_NS_LABELS)}})
    for text in (PODSECURITY_RESTRICTED_NS, PODSECURITY_BASELINE_NS):
        lst.add("namespaces", yaml.safe_load(text))
    return lst


def plugin(lister, **kw):
    ctx = PluginContext(lister=lister, now=lambda: 0.0, timestamp=lambda offset=0.0: "2026-01-01T00:00:00Z",
                        rng=random.Random(0), loopback=lambda request: None)
    return PodSecurity(ctx, **kw)


def ns_labels(lister, name, labels):
    lister.add("namespaces", {"metadata": {"name": name, "labels": labels}})


def attrs(obj, namespace, op="CREATE", resource="pods", old=None, user=ALICE, subresource=None):
    info = resource if isinstance(resource, ResourceInfo) else resolve(resource)
    return AdmissionAttributes(op, info, namespace, obj.get("metadata", {}).get("name"), obj, old, user,
                               subresource=subresource)


def pod(**spec_changes):
    p = yaml.safe_load(EXAMPLE_BASELINE_POD)
    p["spec"].update(spec_changes)
    return p


def privileged_nginx():
    p = pod()
    p["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    return p


def restricted_pod(name="app", **container):
    """A pod that passes restricted (policy test fixtures: GetMinimalValidPod)."""
    c = {"name": name, "image": "nginx", "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}
    c.update(container)
    return {"metadata": {"name": "ok"}, "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [c]}}


def detail(level, p, version="latest"):
    return aggregate(evaluate(level, version, p["metadata"], p["spec"])).forbidden_detail()


# --- the docs' worked examples ------------------------------------------------------------
def test_ns_level_tutorial_baseline_pod_warns_and_audits_under_restricted(lister):
    a = attrs(pod(), "example")
    plugin(lister).validate(a)
    assert a.warnings == [f'would violate PodSecurity "restricted:latest": {RESTRICTED_NGINX}']
    assert a.annotations == {
        "pod-security.kubernetes.io/enforce-policy": "baseline:latest",
        "pod-security.kubernetes.io/audit-violations":
            f'would violate PodSecurity "restricted:latest": {RESTRICTED_NGINX}'}
    # "You could create the same Pod in the default namespace with no warnings."
    b = attrs(pod(), "default")
    plugin(lister).validate(b)
    assert b.warnings == []
    assert b.annotations == {"pod-security.kubernetes.io/enforce-policy": "privileged:latest"}


def test_privileged_nginx_refused_in_restricted_namespace(lister):
    a = attrs(privileged_nginx(), "my-restricted-namespace")
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(a)
    assert e.value.code == 403 and e.value.reason == "Forbidden"
    assert e.value.message == (
        'pods "nginx" is forbidden: violates PodSecurity "restricted:latest": '
        f"{PRIVILEGED_NGINX}, {RESTRICTED_NGINX}")
    assert e.value.status["details"] == {"name": "nginx", "kind": "pods"}
    assert a.warnings == []  # no warnings on a refused request
    assert a.annotations["pod-security.kubernetes.io/enforce-policy"] == "restricted:latest"


def test_privileged_nginx_refused_in_baseline_namespace_and_plain_nginx_allowed(lister):
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(attrs(privileged_nginx(), "my-baseline-namespace"))
    assert e.value.message == ('pods "nginx" is forbidden: violates PodSecurity "baseline:latest": '
                               + PRIVILEGED_NGINX)
    a = attrs(pod(), "my-baseline-namespace")
    assert plugin(lister).validate(a) == 'enforce "baseline:latest": allowed'
    assert a.warnings == []


def test_security_context_4_adds_non_default_capabilities(lister):
    p = yaml.safe_load(SECURITY_CONTEXT_4)
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(attrs(p, "my-baseline-namespace"))
    assert e.value.message == (
        'pods "security-context-demo-4" is forbidden: violates PodSecurity "baseline:latest": '
        'non-default capabilities (container "sec-ctx-4" must not include "NET_ADMIN", "SYS_TIME" '
        "in securityContext.capabilities.add)")


def test_restricted_pod_passes_with_nothing_to_say(lister):
    a = attrs(restricted_pod(), "my-restricted-namespace")
    plugin(lister).validate(a)
    assert a.warnings == [] and "pod-security.kubernetes.io/audit-violations" not in a.annotations
    assert evaluate("restricted", "latest", {}, restricted_pod()["spec"])  # every check ran...
    assert all(r.allowed for r in evaluate("restricted", "latest", {}, restricted_pod()["spec"]))


# --- each check, both sides ------------------------------------------------------------------
def test_run_as_user_zero_refused_non_zero_allowed():
    root = restricted_pod(securityContext={**restricted_pod()["spec"]["containers"][0]["securityContext"],
                                           "runAsUser": 0})
    assert detail("restricted", root) == 'runAsUser=0 (container "app" must not set runAsUser=0)'
    root["spec"]["containers"][0]["securityContext"]["runAsUser"] = 1
    assert detail("restricted", root) == ""
    root["spec"]["securityContext"]["runAsUser"] = 0
    assert detail("restricted", root) == "runAsUser=0 (pod must not set runAsUser=0)"
    assert detail("baseline", root) == ""  # runAsUser is a restricted rule


@pytest.mark.parametrize("add, expected", [
    (["NET_BIND_SERVICE"], ""),
    (["NET_ADMIN"], 'unrestricted capabilities (container "app" must not include "NET_ADMIN" '
                    "in securityContext.capabilities.add)"),
])
def test_restricted_capabilities_only_net_bind_service_may_be_added(add, expected):
    p = restricted_pod()
    p["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] = add
    assert detail("restricted", p) == expected


def test_restricted_capabilities_must_drop_upper_case_all():
    p = restricted_pod()
    p["spec"]["containers"][0]["securityContext"]["capabilities"] = {"drop": ["all"]}  # as coredns does
    assert detail("restricted", p) == ('unrestricted capabilities (container "app" must set '
                                       'securityContext.capabilities.drop=["ALL"])')


@pytest.mark.parametrize("host_port, expected", [
    (0, ""),
    (80, 'hostPort (container "nginx" uses hostPort 80)'),
])
def test_baseline_host_port(host_port, expected):
    p = pod()
    p["spec"]["containers"][0]["ports"][0]["hostPort"] = host_port
    assert detail("baseline", p) == expected


def test_plural_forms_and_string_sorted_host_ports():
    p = {"metadata": {}, "spec": {"containers": [
        {"name": "a", "ports": [{"containerPort": 1, "hostPort": 80}]},
        {"name": "b", "ports": [{"containerPort": 2, "hostPort": 443}, {"containerPort": 3, "hostPort": 0}]}]}}
    assert detail("baseline", p) == 'hostPort (containers "a", "b" use hostPorts 443, 80)'


@pytest.mark.parametrize("spec, level, expected", [
    ({"hostNetwork": True, "hostIPC": True}, "baseline", "host namespaces (hostNetwork=true, hostIPC=true)"),
    ({"hostNetwork": False}, "baseline", ""),
    ({"volumes": [{"name": "etc", "hostPath": {"path": "/etc"}}]}, "baseline",
     'hostPath volumes (volume "etc")'),
    ({"volumes": [{"name": "etc", "hostPath": {"path": "/etc"}}, {"name": "cache", "emptyDir": {}}]},
     "restricted", 'restricted volume types (volume "etc" uses restricted volume type "hostPath")'),
    ({"volumes": [{"name": "n", "nfs": {"server": "s", "path": "/"}}]}, "baseline", ""),
    ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, "baseline",
     'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'),
    ({"securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}},
     "baseline", ""),
    ({"securityContext": {"appArmorProfile": {"type": "Unconfined"}}}, "baseline",
     'forbidden AppArmor profile (pod must not set AppArmor profile type to "Unconfined")'),
    ({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}, "baseline",
     'seLinuxOptions (pod set forbidden securityContext.seLinuxOptions: type "spc_t")'),
    ({"securityContext": {"seLinuxOptions": {"type": "container_t"}}}, "baseline", ""),
    ({"securityContext": {"sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"},
                                      {"name": "kernel.msgmax", "value": "1"}]}}, "baseline",
     "forbidden sysctls (kernel.msgmax)"),
    ({"securityContext": {"windowsOptions": {"hostProcess": True}}}, "baseline",
     "hostProcess (pod must not set securityContext.windowsOptions.hostProcess=true)"),
    ({"securityContext": {"runAsNonRoot": False}}, "baseline", ""),
])
def test_pod_level_checks(spec, level, expected):
    p = restricted_pod()
    p["spec"]["securityContext"].update(spec.pop("securityContext", {}))
    p["spec"].update(spec)
    assert detail(level, p) == expected


@pytest.mark.parametrize("sc, level, expected", [
    ({"allowPrivilegeEscalation": True}, "restricted",
     'allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false)'),
    ({"runAsNonRoot": False}, "restricted",
     'runAsNonRoot != true (container "app" must not set securityContext.runAsNonRoot=false)'),
    ({"procMount": "Unmasked"}, "baseline",
     'procMount (container "app" must not set securityContext.procMount to "Unmasked")'),
    ({"procMount": "Default"}, "baseline", ""),
    ({"seccompProfile": {"type": "Unconfined"}}, "restricted",
     'seccompProfile (container "app" must not set securityContext.seccompProfile.type to "Unconfined")'),
])
def test_container_level_checks(sc, level, expected):
    p = restricted_pod()
    p["spec"]["containers"][0]["securityContext"].update(sc)
    assert detail(level, p) == expected


def test_probe_host_forbidden_from_v1_34():
    p = restricted_pod(livenessProbe={"httpGet": {"host": "10.0.0.1", "port": 80}})
    expected = 'probe or lifecycle host (container "app" uses probe or lifecycle host "10.0.0.1")'
    assert detail("baseline", p) == expected
    assert detail("baseline", p, "v1.33") == ""


def test_user_namespace_relaxes_proc_mount_under_baseline_only():
    p = restricted_pod()
    p["spec"]["hostUsers"] = False
    p["spec"]["containers"][0]["securityContext"]["procMount"] = "Unmasked"
    assert detail("baseline", p) == ""
    assert detail("baseline", p, "v1.34") == ('procMount (container "app" must not set '
                                              'securityContext.procMount to "Unmasked")')
    assert detail("restricted", p) == ('procMount (container "app" must not set '
                                       'securityContext.procMount to "Unmasked")')


def test_several_violations_in_upstream_order():
    p = {"metadata": {"name": "bad"}, "spec": {
        "hostNetwork": True,
        "securityContext": {"runAsUser": 0, "sysctls": [{"name": "kernel.msgmax", "value": "1"}]},
        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
        "initContainers": [{"name": "init", "image": "busybox", "securityContext": {"privileged": True}}],
        "containers": [{"name": "a", "image": "nginx", "securityContext": {"privileged": True}},
                       {"name": "b", "image": "nginx", "ports": [{"containerPort": 1, "hostPort": 8080}]}]}}
    result = aggregate(evaluate("restricted", "latest", p["metadata"], p["spec"]))
    assert result.forbidden_reason() == (
        "host namespaces, hostPort, privileged, forbidden sysctls, allowPrivilegeEscalation != false, "
        "unrestricted capabilities, restricted volume types, runAsNonRoot != true, runAsUser=0, "
        "seccompProfile")
    assert result.forbidden_detail() == (
        'host namespaces (hostNetwork=true), hostPort (container "b" uses hostPort 8080), '
        'privileged (containers "init", "a" must not set securityContext.privileged=true), '
        "forbidden sysctls (kernel.msgmax), "
        'allowPrivilegeEscalation != false (containers "init", "a", "b" must set '
        "securityContext.allowPrivilegeEscalation=false), "
        'unrestricted capabilities (containers "init", "a", "b" must set securityContext.capabilities.drop=["ALL"]), '
        'restricted volume types (volume "root" uses restricted volume type "hostPath"), '
        'runAsNonRoot != true (pod or containers "init", "a", "b" must set securityContext.runAsNonRoot=true), '
        "runAsUser=0 (pod must not set runAsUser=0), "
        'seccompProfile (pod or containers "init", "a", "b" must set securityContext.seccompProfile.type to '
        '"RuntimeDefault" or "Localhost")')


# --- versions ------------------------------------------------------------------------------
def test_version_pin_v1_24_gives_the_same_checks_as_latest(lister):
    ns_labels(lister, "pinned", {"pod-security.kubernetes.io/enforce": "restricted",
                                 "pod-security.kubernetes.io/enforce-version": "v1.24"})
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(attrs(privileged_nginx(), "pinned"))
    assert e.value.message == ('pods "nginx" is forbidden: violates PodSecurity "restricted:v1.24": '
                               f"{PRIVILEGED_NGINX}, {RESTRICTED_NGINX}")


def test_versions_where_checks_changed():
    root = restricted_pod()
    root["spec"]["securityContext"]["runAsUser"] = 0
    assert detail("restricted", root, "v1.22") == ""  # runAsUser joined restricted in v1.23
    assert detail("restricted", root, "v1.23") == "runAsUser=0 (pod must not set runAsUser=0)"
    reserved = {"metadata": {}, "spec": {"securityContext": {"sysctls": [
        {"name": "net.ipv4.ip_local_reserved_ports", "value": "30000"}]}, "containers": []}}
    assert detail("baseline", reserved, "v1.26") == "forbidden sysctls (net.ipv4.ip_local_reserved_ports)"
    assert detail("baseline", reserved, "latest") == ""
    # safe from v1.37, the emulated release: "latest" and any newer pin evaluate as v1.37
    lowat = {"metadata": {}, "spec": {"securityContext": {"sysctls": [
        {"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}, "containers": []}}
    assert detail("baseline", lowat, "v1.36") == "forbidden sysctls (net.ipv4.tcp_notsent_lowat)"
    assert detail("baseline", lowat, "latest") == detail("baseline", lowat, "v1.37") == \
        detail("baseline", lowat, "v1.40") == ""
    with pytest.raises(ValueError):
        evaluate("restricted", "v2.0", {}, {})


# --- workloads: warn and audit, never enforce --------------------------------------------------
def test_deployment_in_restricted_namespace_warns_but_is_not_refused(lister):
    template = privileged_nginx()
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
              "spec": {"replicas": 1, "template": {"metadata": {"labels": {"app": "web"}},
                                                   "spec": template["spec"]}}}
    a = attrs(deploy, "my-restricted-namespace", resource="deployments")
    plugin(lister).validate(a)
    assert a.warnings == [f'would violate PodSecurity "restricted:latest": {PRIVILEGED_NGINX}, {RESTRICTED_NGINX}']
    assert a.annotations == {}  # audit is privileged there; no enforce-policy on workloads
    # a CronJob's template is two levels down; the example namespace also audits
    cron = {"metadata": {"name": "nightly"}, "spec": {"schedule": "@daily", "jobTemplate": {"spec": {
        "template": {"spec": pod()["spec"]}}}}}
    b = attrs(cron, "example", resource=CRONJOBS)
    plugin(lister).validate(b)
    assert b.warnings == [f'would violate PodSecurity "restricted:latest": {RESTRICTED_NGINX}']
    assert b.annotations["pod-security.kubernetes.io/audit-violations"].endswith(RESTRICTED_NGINX)
    scale = attrs(deploy, "my-restricted-namespace", op="UPDATE", resource="deployments", subresource="scale")
    assert plugin(lister).validate(scale) is None and scale.warnings == []


def test_enforce_label_raises_warn_to_the_same_level_and_version(lister):
    ns_labels(lister, "only-enforce", {"pod-security.kubernetes.io/enforce": "restricted",
                                       "pod-security.kubernetes.io/enforce-version": "v1.24"})
    deploy = {"metadata": {"name": "web"}, "spec": {"template": {"spec": pod()["spec"]}}}
    a = attrs(deploy, "only-enforce", resource="deployments")
    plugin(lister).validate(a)
    assert a.warnings == [f'would violate PodSecurity "restricted:v1.24": {RESTRICTED_NGINX}']


# --- exemptions ---------------------------------------------------------------------------------
def test_exempt_namespace_user_and_runtime_class(lister):
    ns_labels(lister, "kube-system", {"pod-security.kubernetes.io/enforce": "restricted"})
    ps = plugin(lister, exemptions={"namespaces": ["kube-system"], "usernames": ["system:serviceaccount:ci:deployer"],
                                    "runtimeClasses": ["kata"]})
    a = attrs(privileged_nginx(), "kube-system")
    assert ps.validate(a) == "exempt (namespace)"
    assert a.annotations == {"pod-security.kubernetes.io/exempt": "namespace"}
    b = attrs(privileged_nginx(), "my-restricted-namespace", user=UserInfo("system:serviceaccount:ci:deployer"))
    ps.validate(b)
    assert b.annotations == {"pod-security.kubernetes.io/exempt": "user"}
    c = attrs(pod(runtimeClassName="kata", **privileged_nginx()["spec"]), "my-restricted-namespace")
    ps.validate(c)
    assert c.annotations == {"pod-security.kubernetes.io/exempt": "runtimeClass"}
    with pytest.raises(ApiError):  # the same pod without the exempt runtime class
        ps.validate(attrs(privileged_nginx(), "my-restricted-namespace"))


def test_cluster_level_defaults_apply_to_unlabelled_namespaces(lister):
    # cluster-level-pss.md AdmissionConfiguration: enforce baseline, audit+warn restricted
    ps = plugin(lister, defaults={"enforce": "baseline", "enforce-version": "latest", "audit": "restricted",
                                  "audit-version": "latest", "warn": "restricted", "warn-version": "latest"})
    a = attrs(pod(), "default")
    ps.validate(a)
    assert a.warnings == [f'would violate PodSecurity "restricted:latest": {RESTRICTED_NGINX}']
    with pytest.raises(ApiError):
        ps.validate(attrs(privileged_nginx(), "default"))


# --- pod updates and subresources ---------------------------------------------------------------
def test_pod_update_checked_only_when_an_image_changes(lister):
    ps = plugin(lister)
    old = privileged_nginx()
    relabelled = copy.deepcopy(old)
    relabelled["metadata"]["labels"] = {"tier": "web"}
    assert ps.validate(attrs(relabelled, "my-restricted-namespace", op="UPDATE", old=old)) is None
    new_image = copy.deepcopy(old)
    new_image["spec"]["containers"][0]["image"] = "nginx:1.27"
    with pytest.raises(ApiError) as e:
        ps.validate(attrs(new_image, "my-restricted-namespace", op="UPDATE", old=old))
    assert e.value.code == 403
    status = attrs(old, "my-restricted-namespace", op="UPDATE", old=old, subresource="status")
    assert ps.validate(status) is None
    debug = copy.deepcopy(old)
    debug["spec"]["ephemeralContainers"] = [{"name": "debugger", "image": "busybox"}]
    with pytest.raises(ApiError):
        ps.validate(attrs(debug, "my-restricted-namespace", op="UPDATE", old=old, subresource="ephemeralcontainers"))
    assert ps.handles("CREATE") and ps.handles("UPDATE") and not ps.handles("DELETE")


def test_generate_name_pod_and_second_call(lister):
    p = privileged_nginx()
    p["metadata"] = {"generateName": "web-"}
    ps = plugin(lister)
    for _ in range(2):  # the evaluator caches its check list; the answer must not change
        with pytest.raises(ApiError) as e:
            ps.validate(attrs(p, "my-baseline-namespace"))
        assert e.value.message == f'pods is forbidden: violates PodSecurity "baseline:latest": {PRIVILEGED_NGINX}'


def test_bad_enforce_label_fails_closed_for_pods(lister):
    ns_labels(lister, "typo", {"pod-security.kubernetes.io/enforce": "foo"})
    a = attrs(pod(), "typo")
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(a)
    assert e.value.message == f'pods "nginx" is forbidden: violates PodSecurity "restricted:latest": {RESTRICTED_NGINX}'
    assert a.annotations["pod-security.kubernetes.io/error"] == (
        'Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": '
        "must be one of privileged, baseline, restricted")


# --- namespaces -----------------------------------------------------------------------------------
@pytest.mark.parametrize("labels, message", [
    ({"pod-security.kubernetes.io/enforce": "foo"},
     'Namespace "x" is invalid: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "foo": '
     "must be one of privileged, baseline, restricted"),
    ({"pod-security.kubernetes.io/warn": "baseline", "pod-security.kubernetes.io/warn-version": "1.24",
      "pod-security.kubernetes.io/audit-version": "v1.024"},
     'Namespace "x" is invalid: [metadata.labels[pod-security.kubernetes.io/audit-version]: Invalid value: '
     '"v1.024": must be "latest" or "v1.x", metadata.labels[pod-security.kubernetes.io/warn-version]: '
     'Invalid value: "1.24": must be "latest" or "v1.x"]'),
])
def test_namespace_with_bad_labels_is_invalid(lister, labels, message):
    ns = {"metadata": {"name": "x", "labels": labels}}
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(attrs(ns, None, resource="namespaces"))
    assert e.value.code == 422 and e.value.message == message
    # an update that keeps the same bad labels is allowed; one that adds them is not
    plugin(lister).validate(attrs(ns, "x", op="UPDATE", resource="namespaces", old=copy.deepcopy(ns)))
    with pytest.raises(ApiError):
        plugin(lister).validate(attrs(ns, "x", op="UPDATE", resource="namespaces", old={"metadata": {"name": "x"}}))


def _kube_system_pods():
    """Pods shaped like a kind control plane's (cluster-level-pss.md)."""
    def host_pod(name, pod_sc, **extra):
        return {"metadata": {"name": name, "namespace": "kube-system"}, "spec": {
            "hostNetwork": True, "securityContext": pod_sc,
            "volumes": [{"name": "k8s-certs", "hostPath": {"path": "/etc/kubernetes/pki"}}],
            "containers": [{"name": name.split("-psa")[0], "image": "registry.k8s.io/x", **extra}]}}
    # kubeadm's static pods set seccompProfile RuntimeDefault; the DaemonSets' pods do not
    plane = [host_pod(f"{c}-psa-wo-cluster-pss-control-plane", {"seccompProfile": {"type": "RuntimeDefault"}})
             for c in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")]
    kindnet = host_pod("kindnet-vzj42", {}, securityContext={"capabilities": {"add": ["NET_RAW", "NET_ADMIN"]}})
    proxy = host_pod("kube-proxy-m6hwf", {}, securityContext={"privileged": True})
    coredns = [{"metadata": {"name": f"coredns-7bb9c7b568-{s}", "namespace": "kube-system",
                             "ownerReferences": [{"kind": "ReplicaSet", "uid": "rs-1", "controller": True}]},
                "spec": {"containers": [{"name": "coredns", "image": "registry.k8s.io/coredns", "securityContext": {
                    "allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["all"]}}}]}}
               for s in ("hsptc", "s8jxq")]
    return plane + [kindnet, proxy] + coredns


def test_tightening_enforce_warns_about_existing_pods(lister):
    ns_labels(lister, "kube-system", {})
    for p in _kube_system_pods():
        lister.add("pods", p)
    old = {"metadata": {"name": "kube-system"}}
    new = {"metadata": {"name": "kube-system", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}
    a = attrs(new, "kube-system", op="UPDATE", resource="namespaces", old=old)
    plugin(lister).validate(a)
    assert a.warnings == [  # word for word the tutorial's baseline dry run
        'existing pods in namespace "kube-system" violate the new PodSecurity enforce level "baseline:latest"',
        "etcd-psa-wo-cluster-pss-control-plane (and 3 other pods): host namespaces, hostPath volumes",
        "kindnet-vzj42: non-default capabilities, host namespaces, hostPath volumes",
        "kube-proxy-m6hwf: host namespaces, hostPath volumes, privileged",
    ]
    new["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"
    b = attrs(new, "kube-system", op="UPDATE", resource="namespaces", old=old)
    plugin(lister).validate(b)
    # since v1.25 restricted overrides baseline's duplicate rules (the v1.24 output in the
    # tutorial still lists "hostPath volumes" and "non-default capabilities" twice over)
    assert b.warnings == [
        'existing pods in namespace "kube-system" violate the new PodSecurity enforce level "restricted:latest"',
        "coredns-7bb9c7b568-hsptc (and 1 other pod): unrestricted capabilities, runAsNonRoot != true, seccompProfile",
        "etcd-psa-wo-cluster-pss-control-plane (and 3 other pods): host namespaces, allowPrivilegeEscalation != false, "
        "unrestricted capabilities, restricted volume types, runAsNonRoot != true",
        "kindnet-vzj42: host namespaces, allowPrivilegeEscalation != false, unrestricted capabilities, "
        "restricted volume types, runAsNonRoot != true, seccompProfile",
        "kube-proxy-m6hwf: host namespaces, privileged, allowPrivilegeEscalation != false, "
        "unrestricted capabilities, restricted volume types, runAsNonRoot != true, seccompProfile",
    ]
    # relaxing the level at the same version, or going privileged, checks nothing
    for old_labels, new_level in (({"pod-security.kubernetes.io/enforce": "restricted"}, "baseline"),
                                  ({"pod-security.kubernetes.io/enforce": "restricted"}, "privileged")):
        c = attrs({"metadata": {"name": "kube-system", "labels": {"pod-security.kubernetes.io/enforce": new_level}}},
                  "kube-system", op="UPDATE", resource="namespaces",
                  old={"metadata": {"name": "kube-system", "labels": old_labels}})
        assert plugin(lister).validate(c) is None and c.warnings == []


def test_labels_on_an_exempt_namespace_are_ignored_with_a_warning(lister):
    ps = plugin(lister, exemptions={"namespaces": ["test"]})
    ns = {"metadata": {"name": "test", "labels": {"pod-security.kubernetes.io/enforce": "restricted",
                                                  "pod-security.kubernetes.io/enforce-version": "v1.0",
                                                  "pod-security.kubernetes.io/audit": "restricted",
                                                  "pod-security.kubernetes.io/warn": "baseline"}}}
    a = attrs(ns, None, resource="namespaces")
    ps.validate(a)
    assert a.warnings == ['namespace "test" is exempt from Pod Security, and the policy '
                          "(enforce=restricted:v1.0, audit=restricted:latest, warn=baseline:latest) will be ignored"]
    b = attrs({"metadata": {"name": "other", "labels": ns["metadata"]["labels"]}}, None, resource="namespaces")
    ps.validate(b)
    assert b.warnings == []


def test_missing_namespace_fails_pods_closed_and_workloads_open(lister):
    with pytest.raises(ApiError) as e:
        plugin(lister).validate(attrs(pod(), "ghost"))
    assert (e.value.code, e.value.message) == (500, 'Internal error occurred: failed to lookup namespace "ghost"')
    deploy = {"metadata": {"name": "web"}, "spec": {"template": {"spec": privileged_nginx()["spec"]}}}
    a = attrs(deploy, "ghost", resource="deployments")
    assert plugin(lister).validate(a) is None and a.warnings == []
    assert a.annotations == {"pod-security.kubernetes.io/error":
                             'failed to lookup namespace "ghost": namespaces "ghost" not found'}


def test_other_resources_are_not_looked_at(lister):
    svc = {"metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}
    assert plugin(lister).validate(attrs(svc, "my-restricted-namespace", resource="services")) is None
