"""ServiceAccount admission and the root-ca-cert-publisher, against upstream.

Upstream: plugin/pkg/admission/serviceaccount/admission.go (defaulting, the lookup error,
``TokenVolumeSource``, mounts, mirror pods, mountable secrets), pkg/serviceaccount/claims.go
(``WarnOnlyBoundTokenExpirationSeconds`` = 3607), pkg/controller/certificates/
rootcacertpublisher/publisher.go.

Also the shared helpers of the admission test files: a lister over plain dicts, a plugin
context with a seeded generator, and an AdmissionAttributes builder.
"""

from __future__ import annotations

import copy
import random
import re

import pytest

from k8score.api.errors import ApiError
from k8score.api.resources import resolve
from k8score.apiserver.admission.serviceaccount import ServiceAccount
from k8score.apiserver.request import AdmissionAttributes, PluginContext, UserInfo
from k8score.controllers.rootcacert import CONFIGMAP_NAME, DESCRIPTION, fake_root_ca

ADMIN = UserInfo("kubernetes-admin", ("system:masters", "system:authenticated"))
MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


class Lister:
    """The Lister protocol over a dict of stored objects."""

    def __init__(self, *objs: tuple[str, dict]):
        self.objs: dict[tuple, dict] = {}
        for resource, obj in objs:
            self.add(resource, obj)

    def add(self, resource: str, obj: dict) -> dict:
        meta = obj["metadata"]
        self.objs[(resource, meta.get("namespace"), meta["name"])] = obj
        return obj

    def get(self, resource, name, namespace=None):
        return self.objs.get((resource, namespace, name))

    def list(self, resource, namespace=None):
        return [o for (r, ns, _), o in sorted(self.objs.items(), key=lambda kv: str(kv[0]))
                if r == resource and (namespace is None or ns == namespace)]


def context(lister: Lister, seed: int = 0) -> PluginContext:
    return PluginContext(lister=lister, now=lambda: 0.0, timestamp=lambda offset=0.0: "2024-01-01T00:00:00Z",
                         rng=random.Random(seed), loopback=None)


def attrs(operation: str, resource: str, obj=None, old=None, *, namespace="default", name=None,
          user=ADMIN, subresource=None, dry_run=False) -> AdmissionAttributes:
    return AdmissionAttributes(operation=operation, info=resolve(resource), namespace=namespace,
                               name=name, obj=obj, old=old, user=user, subresource=subresource,
                               dry_run=dry_run)


def sa(name="default", namespace="default", **fields) -> dict:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace}, **fields}


def pod(name="web", **spec) -> dict:
    spec.setdefault("containers", [{"name": "app", "image": "nginx"}])
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "default"},
            "spec": spec}


def expected_volume(name: str) -> dict:
    # admission.go TokenVolumeSource(), as `kubectl get pod -o json` shows it
    return {"name": name, "projected": {
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
        ],
        "defaultMode": 420}}


def admit(plugin, p: dict) -> dict:
    plugin.admit(attrs("CREATE", "pods", p))
    return p


@pytest.fixture
def plugin():
    return ServiceAccount(context(Lister(("serviceaccounts", sa()))))


def test_default_service_account_and_projected_volume_byte_for_byte(plugin):
    p = admit(plugin, pod(initContainers=[{"name": "init", "image": "busybox"}],
                          containers=[{"name": "app", "image": "nginx"},
                                      {"name": "side", "image": "envoy",
                                       "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                          volumes=[{"name": "data", "emptyDir": {}}]))
    spec = p["spec"]
    assert spec["serviceAccountName"] == spec["serviceAccount"] == "default"
    data, token = spec["volumes"]
    assert data == {"name": "data", "emptyDir": {}}
    assert re.fullmatch(r"kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}", token["name"])
    assert token == expected_volume(token["name"])
    mount = {"name": token["name"], "readOnly": True, "mountPath": MOUNT_PATH}
    assert spec["initContainers"][0]["volumeMounts"] == [mount]   # init containers too
    assert spec["containers"][0]["volumeMounts"] == [mount]
    assert spec["containers"][1]["volumeMounts"] == [{"name": "data", "mountPath": "/data"}, mount]
    assert "imagePullSecrets" not in spec  # the ServiceAccount has none to copy


def test_volume_suffix_comes_from_the_seeded_generator():
    def names(seed):
        plugin = ServiceAccount(context(Lister(("serviceaccounts", sa())), seed))
        return [admit(plugin, pod(f"p{i}"))["spec"]["volumes"][0]["name"] for i in range(3)]
    assert names(7) == names(7)            # same seed, same names
    assert len(set(names(7))) == 3         # each pod draws its own suffix
    assert names(7) != names(8)


def test_second_admission_of_the_same_pod_changes_nothing(plugin):
    # reinvocation runs in-tree plugins again: the existing kube-api-access-* volume is reused
    p = admit(plugin, pod())
    once = copy.deepcopy(p)
    assert admit(plugin, p) == once


def test_missing_service_account_is_refused_with_upstreams_message():
    plugin = ServiceAccount(context(Lister(("serviceaccounts", sa()))))
    with pytest.raises(ApiError) as e:
        admit(plugin, pod(serviceAccountName="foo"))
    assert e.value.code == 403 and e.value.reason == "Forbidden"
    assert e.value.message == ('pods "web" is forbidden: error looking up service account default/foo: '
                               'serviceaccount "foo" not found')
    # no ServiceAccount controller yet: even "default" is missing; a generateName pod is named by it
    empty = ServiceAccount(context(Lister()))
    nameless = pod()
    nameless["metadata"] = {"generateName": "web-", "namespace": "default"}
    with pytest.raises(ApiError) as e:
        admit(empty, nameless)
    assert e.value.message == ('pods "web-" is forbidden: error looking up service account default/default: '
                               'serviceaccount "default" not found')
    # the deprecated spec.serviceAccount alone names the account too
    p = admit(plugin, pod(serviceAccount="default"))
    assert p["spec"]["serviceAccountName"] == "default"


@pytest.mark.parametrize("pod_says, sa_says, mounted", [
    (None, None, True),      # default: automount
    (None, False, False),    # the ServiceAccount opts out
    (True, False, True),     # the pod's preference wins...
    (False, True, False),    # ...both ways
    (False, None, False),
])
def test_automount_pod_setting_wins_over_service_account(pod_says, sa_says, mounted):
    account = sa() if sa_says is None else sa(automountServiceAccountToken=sa_says)
    plugin = ServiceAccount(context(Lister(("serviceaccounts", account))))
    spec = {} if pod_says is None else {"automountServiceAccountToken": pod_says}
    p = admit(plugin, pod(**spec))["spec"]
    assert ("volumes" in p) is mounted
    assert bool(p["containers"][0].get("volumeMounts")) is mounted
    assert p["serviceAccountName"] == "default"  # defaulted either way


def test_an_existing_mount_at_the_token_path_is_left_alone(plugin):
    own = {"name": "mine", "mountPath": MOUNT_PATH}
    p = admit(plugin, pod(containers=[{"name": "a", "image": "x", "volumeMounts": [own]},
                                      {"name": "b", "image": "x"}]))["spec"]
    assert p["containers"][0]["volumeMounts"] == [own]
    assert p["containers"][1]["volumeMounts"][0]["mountPath"] == MOUNT_PATH
    assert len(p["volumes"]) == 1
    # every container already mounts something there: no token volume at all
    p = admit(plugin, pod(containers=[{"name": "a", "image": "x", "volumeMounts": [own]}]))["spec"]
    assert "volumes" not in p and p["containers"][0]["volumeMounts"] == [own]


def test_an_existing_kube_api_access_volume_is_reused(plugin):
    mine = {"name": "kube-api-access-mine1", "emptyDir": {}}
    p = admit(plugin, pod(volumes=[mine]))["spec"]
    assert p["volumes"] == [mine]
    assert p["containers"][0]["volumeMounts"] == [
        {"name": "kube-api-access-mine1", "readOnly": True, "mountPath": MOUNT_PATH}]


def test_image_pull_secrets_are_copied_only_when_the_pod_has_none():
    account = sa(imagePullSecrets=[{"name": "regcred"}])
    plugin = ServiceAccount(context(Lister(("serviceaccounts", account))))
    assert admit(plugin, pod())["spec"]["imagePullSecrets"] == [{"name": "regcred"}]
    own = admit(plugin, pod(imagePullSecrets=[{"name": "mine"}]))["spec"]["imagePullSecrets"]
    assert own == [{"name": "mine"}]


def test_mirror_pods_are_not_mutated_and_may_not_use_accounts_or_secrets(plugin):
    def mirror(**spec):
        p = pod(**spec)
        p["metadata"]["annotations"] = {"kubernetes.io/config.mirror": "hash"}
        return p
    p = admit(plugin, mirror())
    assert p == mirror()  # no serviceAccountName, no volume
    cases = [
        (mirror(serviceAccountName="default"), "a mirror pod may not reference service accounts"),
        (mirror(volumes=[{"name": "s", "secret": {"secretName": "db"}}]),
         "a mirror pod may not reference secrets"),
        (mirror(containers=[{"name": "a", "image": "x",
                             "env": [{"name": "P", "valueFrom": {"secretKeyRef": {"name": "db", "key": "p"}}}]}]),
         "a mirror pod may not reference secrets"),
        (mirror(volumes=[{"name": "t", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]),
         "a mirror pod may not use ServiceAccountToken volume projections"),
    ]
    for p, why in cases:
        with pytest.raises(ApiError) as e:
            admit(plugin, p)
        assert e.value.message == f'pods "web" is forbidden: {why}'


def test_enforce_mountable_secrets_annotation_limits_secret_references():
    account = sa(secrets=[{"name": "allowed"}])
    account["metadata"]["annotations"] = {"kubernetes.io/enforce-mountable-secrets": "true"}
    plugin = ServiceAccount(context(Lister(("serviceaccounts", account))))
    admit(plugin, pod(volumes=[{"name": "s", "secret": {"secretName": "allowed"}}]))  # fine
    with pytest.raises(ApiError) as e:
        admit(plugin, pod(volumes=[{"name": "s", "secret": {"secretName": "other"}}]))
    assert e.value.message == ('pods "web" is forbidden: volume with secret.secretName="other" is not allowed '
                               "because service account default does not reference that secret")
    with pytest.raises(ApiError) as e:
        admit(plugin, pod(containers=[{"name": "app", "image": "x",
                                       "envFrom": [{"secretRef": {"name": "other"}}]}]))
    assert e.value.message == ('pods "web" is forbidden: container app with envFrom referencing '
                               'secret.secretName="other" is not allowed because service account default '
                               "does not reference that secret")


def test_only_pod_creation_is_mutated(plugin):
    p = pod()
    plugin.admit(attrs("UPDATE", "pods", p, copy.deepcopy(p), name="web"))
    plugin.admit(attrs("CREATE", "pods", p, subresource="status"))
    plugin.admit(attrs("CREATE", "configmaps", {"metadata": {"name": "web"}}))
    assert p == pod()
    assert plugin.handles("CREATE") and plugin.handles("UPDATE") and not plugin.handles("DELETE")
    # the validating half re-checks the account after later mutating plugins
    plugin.validate(attrs("CREATE", "pods", admit(plugin, pod())))
    changed = admit(plugin, pod())
    changed["spec"]["serviceAccountName"] = "gone"
    with pytest.raises(ApiError, match='serviceaccount "gone" not found'):
        plugin.validate(attrs("CREATE", "pods", changed))


def test_fake_root_ca_is_deterministic_pem_text():
    ca = fake_root_ca(3)
    lines = ca.splitlines()
    assert lines[0] == "-----BEGIN CERTIFICATE-----" and lines[-1] == "-----END CERTIFICATE-----"
    assert all(len(line) <= 64 for line in lines) and ca.endswith("\n")
    assert ca == fake_root_ca(3) != fake_root_ca(4)
    assert CONFIGMAP_NAME == "kube-root-ca.crt" and DESCRIPTION.startswith("Contains a CA bundle")


def test_root_ca_publisher_keeps_kube_root_ca_crt_in_every_namespace():
    from k8score.apiserver import APIServer
    from k8score.controllers import KubeControllerManager
    from k8score.controllers.rootcacert import RootCACertPublisher
    from k8score.etcd import Store
    from k8score.sim import Loop

    loop = Loop(5)
    api = APIServer(loop, Store(), seed=5)
    api.start()
    kcm = KubeControllerManager(loop, api, controllers=["root-ca-cert-publisher"])
    kcm.start()
    assert isinstance(kcm.controllers["root-ca-cert-publisher"], RootCACertPublisher)
    loop.run(until=1)
    api.create("namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}})
    loop.run(until=2)
    namespaces = {n["metadata"]["name"] for n in api.list("namespaces")["items"]}
    cms = {c["metadata"]["namespace"]: c for c in api.list("configmaps")["items"]
           if c["metadata"]["name"] == "kube-root-ca.crt"}
    assert set(cms) == namespaces and "team-a" in cms
    cm = cms["team-a"]
    assert cm["data"] == {"ca.crt": fake_root_ca(5)}
    assert cm["metadata"]["annotations"] == {"kubernetes.io/description": DESCRIPTION}
    # edited or deleted: put back
    api.update("configmaps", {**cm, "data": {"ca.crt": "tampered"}}, namespace="team-a")
    api.delete("configmaps", "kube-root-ca.crt", namespace="default")
    loop.run(until=3)
    assert api.get("configmaps", "kube-root-ca.crt", "team-a")["data"] == {"ca.crt": fake_root_ca(5)}
    assert api.get("configmaps", "kube-root-ca.crt", "default")["data"] == {"ca.crt": fake_root_ca(5)}
