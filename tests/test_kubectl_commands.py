"""kubectl commands end to end through a real APIServer (no scheduler or kubelet needed)."""

import json

from apihelpers import default_service_accounts
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from k8score.apiserver import APIServer
from k8score.client import Client
from k8score.etcd import Store
from k8score.kubectl import Kubectl
from k8score.sim import Loop
from k8score.cli import NGINX_DEPLOYMENT

NGINX = NGINX_DEPLOYMENT  # the official example, as `k8score demo` applies it


class Env:
    def __init__(self):
        self.loop = Loop(seed=0)
        self.api = APIServer(self.loop, Store(), seed=0)
        self.api.start()
        default_service_accounts(self.api)
        self.client = Client(self.api, user="kubernetes-admin")
        self.k = Kubectl(self.client, lambda: self.loop.now)

    def run(self, cmd, stdin=None):
        return self.k.run(cmd, stdin=stdin)

    @property
    def rc(self):
        return self.k.last_exit_code

    def node(self, name):
        return self.client.create("nodes", {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}})


@pytest.fixture
def env():
    return Env()


# -- parsing and errors ------------------------------------------------------------------------
def test_get_without_a_type(env):
    assert env.run("get") == (
        'You must specify the type of resource to get. Use "kubectl api-resources" for a complete list of '
        "supported resources.\n\nerror: Required resource not specified.\n"
        'Use "kubectl explain <resource>" for a detailed description of that resource (e.g. kubectl explain pods).\n'
        "See 'kubectl get -h' for help and examples\n")
    assert env.rc == 1


@pytest.mark.parametrize("cmd, expected", [
    ("foo", 'error: unknown command "foo" for "kubectl"\n\nDid you mean this?\n\ttop\n'),
    ("zzzzqq", 'error: unknown command "zzzzqq" for "kubectl"\n'),
    ("get pods --bogus", "error: unknown flag: --bogus\nSee 'kubectl get --help' for usage.\n"),
    ("get pods -n", "error: flag needs an argument: 'n' in -n\nSee 'kubectl get --help' for usage.\n"),
    ("get foo", 'error: the server doesn\'t have a resource type "foo"\n'),
    ("scale deployment web", 'error: required flag(s) "replicas" not set\n'),
    ("scale deployment web --replicas=-1",
     "error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0\n"),
    ("create deployment web", 'error: required flag(s) "image" not set\n'),
    ("apply", "error: must specify one of -f and -k\n"),
    ("cordon", "error: USAGE: cordon NODE [flags]\nSee 'kubectl cordon -h' for help and examples\n"),
    ("label pod web", "error: at least one label update is required\n"),
    ("delete deployments", "error: resource(s) were provided, but no name, label selector, or --all flag specified\n"),
    ("get pods -o foo", 'error: unable to match a printer suitable for the output format "foo", allowed formats '
     "are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,"
     "jsonpath-file,kyaml,name,template,templatefile,wide,yaml\n"),
])
def test_errors_print_like_kubectl(env, cmd, expected):
    assert env.run(cmd) == expected
    assert env.rc == 1


def test_kubectl_prefix_is_optional(env):
    assert env.run("kubectl get ns") == env.run("get ns")
    assert env.run("get ns").splitlines()[0].split() == ["NAME", "STATUS", "AGE"]


def test_not_found_and_partial_results(env):
    env.run("create namespace dev")
    assert env.run("get ns dev nope") == (
        "NAME   STATUS   AGE\ndev    Active   0s\n"
        'Error from server (NotFound): namespaces "nope" not found\n')
    assert env.rc == 1
    assert env.k.last_stderr == 'Error from server (NotFound): namespaces "nope" not found\n'


def test_empty_lists_say_no_resources_found(env):
    assert env.run("get pods") == "No resources found in default namespace.\n"
    assert env.rc == 0
    assert env.run("get deploy -n kube-public") == "No resources found in kube-public namespace.\n"
    assert env.run("get pods -A") == "No resources found\n"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["get", "describe", "delete", "scale", "label", "pods", "deploy/x", "-o",
                                 "yaml", "-l", "a=b", "--replicas=2", "-A", "node", "x=y", "'", "--all",
                                 "-f", "-", "cordon", "nodes", "apply", "--", "po,svc", "=", "-n"]),
                max_size=6))
def test_never_raises(env, words):
    out = env.run(" ".join(words), stdin="kind: Pod\n")
    assert isinstance(out, str)
    assert env.rc in (0, 1)
    if env.rc == 1:
        assert out.strip()


# -- apply / get / scale / delete ------------------------------------------------------------------
def test_apply_create_unchanged_configured(env):
    assert env.run("apply -f -", stdin=NGINX) == "deployment.apps/nginx-deployment created\n"
    assert env.run("apply -f -", stdin=NGINX) == "deployment.apps/nginx-deployment unchanged\n"
    assert env.run("apply -f -", stdin=NGINX.replace("replicas: 3", "replicas: 5")) == \
        "deployment.apps/nginx-deployment configured\n"
    d = env.client.get("deployments", "nginx-deployment", namespace="default")
    assert d["spec"]["replicas"] == 5
    applied = json.loads(d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert applied["spec"]["replicas"] == 5 and applied["metadata"]["namespace"] == "default"
    # a label dropped from the manifest is removed from the live object
    env.run("apply -f -", stdin=NGINX.replace("  labels:\n    app: nginx\nspec", "spec"))
    d = env.client.get("deployments", "nginx-deployment", namespace="default")
    assert "labels" not in d["metadata"] or "app" not in d["metadata"]["labels"]


def test_apply_multi_document_manifest(env):
    manifest = NGINX + """---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: nginx
  ports:
  - port: 80
---
apiVersion: v1
kind: Namespace
metadata:
  name: dev
"""
    assert env.run("apply -f -", stdin=manifest) == (
        "deployment.apps/nginx-deployment created\nservice/web created\nnamespace/dev created\n")


def test_apply_rejects_unknown_or_incomplete_objects(env):
    out = env.run("apply -f -", stdin="apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n")
    assert out == ('error: resource mapping not found for name: "w" namespace: "" from "STDIN": no matches for '
                   'kind "Widget" in version "example.com/v1"\nensure CRDs are installed first\n')
    assert env.rc == 1
    assert env.run("apply -f -", stdin="metadata:\n  name: w\n").startswith(
        'error: error validating "STDIN": error validating data: [apiVersion not set, kind not set]')


def test_create_deployment_builds_what_kubectl_builds(env):
    assert env.run("create deployment web --image=registry.k8s.io/nginx:1.14.2 --replicas=2 --port=80") == \
        "deployment.apps/web created\n"
    d = env.client.get("deployments", "web", namespace="default")
    assert d["metadata"]["labels"] == {"app": "web"}
    assert d["spec"]["selector"] == {"matchLabels": {"app": "web"}}
    assert d["spec"]["replicas"] == 2
    c = d["spec"]["template"]["spec"]["containers"]
    assert [(x["name"], x["image"], x["ports"][0]["containerPort"]) for x in c] == \
        [("nginx", "registry.k8s.io/nginx:1.14.2", 80)]
    # create_deployment.go wraps the server's error (checked against kubectl 1.37.1 in the differential test)
    assert env.run("create deployment web --image=nginx") == \
        'error: failed to create deployment: deployments.apps "web" already exists\n'


def test_get_output_formats_round_trip(env):
    env.run("apply -f -", stdin=NGINX)
    live = env.client.get("deployments", "nginx-deployment", namespace="default")
    assert live["metadata"].pop("managedFields")  # stored, but kubectl hides them by default
    assert yaml.safe_load(env.run("get deployment nginx-deployment -o yaml")) == live
    assert json.loads(env.run("get deploy/nginx-deployment -o json")) == live
    assert env.run("get deploy -o name") == "deployment.apps/nginx-deployment\n"
    listed = json.loads(env.run("get deployments -o json"))
    assert listed["kind"] == "List" and listed["items"] == [live]
    assert env.run("get deploy nginx-deployment -o json").startswith('{\n    "apiVersion": "apps/v1",\n')


def test_get_table_and_wide(env):
    env.run("apply -f -", stdin=NGINX)
    env.loop.run(until=env.loop.now + 125)
    assert env.run("get deploy") == (
        "NAME               READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "nginx-deployment   0/3     0            0           2m5s\n")
    assert env.run("get deploy -o wide").splitlines()[1].split()[-3:] == ["nginx", "nginx:1.14.2", "app=nginx"]


def test_get_several_types_prefixes_names_and_separates_tables(env):
    env.run("apply -f -", stdin=NGINX)
    out = env.run("get svc,deploy")
    assert out == (
        "NAME                 TYPE        CLUSTER-IP   EXTERNAL-IP   PORT(S)   AGE\n"
        f"service/kubernetes   ClusterIP   {env.client.get('services', 'kubernetes', 'default')['spec']['clusterIP']}"
        "    <none>        443/TCP   0s\n"
        "\n"
        "NAME                               READY   UP-TO-DATE   AVAILABLE   AGE\n"
        "deployment.apps/nginx-deployment   0/3     0            0           0s\n")


def test_label_selector_and_all_namespaces(env):
    env.run("create namespace dev")
    env.run("create deployment a --image=nginx")
    env.run("create deployment b --image=nginx -n dev")
    assert env.run("get deploy -A -o name") == "deployment.apps/a\ndeployment.apps/b\n"
    assert env.run("get deploy -A").splitlines()[0].split()[:2] == ["NAMESPACE", "NAME"]
    assert env.run("get deploy -n dev -l app=b -o name") == "deployment.apps/b\n"
    assert env.run("get deploy -l app=zzz") == "No resources found in default namespace.\n"


def test_scale_both_spellings(env):
    env.run("apply -f -", stdin=NGINX)
    assert env.run("scale deployment/nginx-deployment --replicas=5") == "deployment.apps/nginx-deployment scaled\n"
    assert env.client.get("deployments", "nginx-deployment", "default")["spec"]["replicas"] == 5
    assert env.run("scale deploy nginx-deployment --replicas 0") == "deployment.apps/nginx-deployment scaled\n"
    assert env.client.get("deployments", "nginx-deployment", "default")["spec"]["replicas"] == 0
    assert env.run("scale deploy nope --replicas=1") == \
        'Error from server (NotFound): deployments.apps "nope" not found\n'


def test_delete_by_name_type_name_and_selector(env):
    for name in ("a", "b", "c"):
        env.run(f"create deployment {name} --image=nginx")
    env.run("label deploy c tier=db")
    assert env.run("delete deployment a") == 'deployment.apps "a" deleted from default namespace\n'
    assert env.run("delete deploy/b") == 'deployment.apps "b" deleted from default namespace\n'
    assert env.run("delete deploy -l tier=db") == 'deployment.apps "c" deleted from default namespace\n'
    assert env.run("delete deploy -l tier=db") == "No resources found\n"
    assert env.run("delete deploy a") == 'Error from server (NotFound): deployments.apps "a" not found\n'
    assert env.rc == 1
    env.run("create namespace dev")
    assert env.run("delete namespace dev") == 'namespace "dev" deleted\n'


def test_label_add_overwrite_remove(env):
    env.run("create deployment web --image=nginx")
    assert env.run("label deployment web tier=frontend") == "deployment.apps/web labeled\n"
    assert env.run("label deployment web tier=backend") == \
        "error: 'tier' already has a value (frontend), and --overwrite is false\n"
    assert env.run("label deployment web tier=backend --overwrite") == "deployment.apps/web labeled\n"
    assert env.run("label deployment web tier-") == "deployment.apps/web unlabeled\n"
    assert env.client.get("deployments", "web", "default")["metadata"]["labels"] == {"app": "web"}
    assert "LABELS" in env.run("get deploy --show-labels")


def test_cordon_and_uncordon(env):
    env.node("node-1")
    assert env.run("cordon node-1") == "node/node-1 cordoned\n"
    assert env.client.get("nodes", "node-1")["spec"]["unschedulable"] is True
    assert env.run("cordon node-1") == "node/node-1 already cordoned\n"
    assert env.run("get nodes").splitlines()[1].split()[:2] == ["node-1", "Unknown,SchedulingDisabled"]
    assert env.run("uncordon node-1") == "node/node-1 uncordoned\n"
    assert not env.client.get("nodes", "node-1").get("spec", {}).get("unschedulable")
    assert env.run("uncordon node-1") == "node/node-1 already uncordoned\n"
    assert env.run("cordon node-9") == 'Error from server (NotFound): nodes "node-9" not found\n'


def test_describe_pod_shows_fields_and_events(env):
    pod = env.client.create("pods", {"apiVersion": "v1", "kind": "Pod",
                                     "metadata": {"name": "web", "labels": {"app": "web", "tier": "fe"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                                              "ports": [{"containerPort": 80}]}]}},
                            namespace="default")
    env.loop.run(until=env.loop.now + 3)
    env.client.create("events", {
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1", "namespace": "default"},
        "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default", "uid": pod["metadata"]["uid"]},
        "reason": "Scheduled", "message": "Successfully assigned default/web to node-1", "type": "Normal",
        "source": {"component": "default-scheduler"}, "firstTimestamp": "2026-01-01T00:00:01Z",
        "lastTimestamp": "2026-01-01T00:00:01Z", "count": 1}, namespace="default")
    out = env.run("describe pod web")
    lines = out.splitlines()
    assert lines[0] == "Name:             web"
    assert lines[1] == "Namespace:        default"
    assert "Node:             <none>" in lines
    assert "Labels:           app=web" in lines and "                  tier=fe" in lines
    assert "Status:           Pending" in lines
    assert "IPs:              <none>" in lines
    assert "    Port:         80/TCP" in lines      # no container status yet: a narrower block
    # the kube-api-access volume's "TokenExpirationSeconds:" widens the block below Volumes,
    # as in real kubectl (describe.go printProjectedVolumeSource)
    assert "    TokenExpirationSeconds:  3607" in lines
    assert "QoS Class:                   BestEffort" in lines
    assert lines[-3:] == [
        "  Type    Reason     Age   From               Message",
        "  ----    ------     ----  ----               -------",
        "  Normal  Scheduled  2s    default-scheduler  Successfully assigned default/web to node-1"]
    assert env.run("describe pod nope") == 'Error from server (NotFound): pods "nope" not found\n'


def test_describe_deployment_and_node(env):
    env.run("apply -f -", stdin=NGINX)
    out = env.run("describe deployment nginx-deployment")
    assert "Replicas:               3 desired | 0 updated | 0 total | 0 available | 0 unavailable" in out
    assert "RollingUpdateStrategy:  25% max unavailable, 25% max surge" in out
    assert out.rstrip().endswith("Events:            <none>")
    env.node("node-1")
    node_out = env.run("describe node node-1")
    assert node_out.startswith("Name:               node-1\nRoles:              <none>\n")
    assert "Non-terminated Pods:" in node_out


def test_api_server_down_is_connection_refused(env):
    env.api.stop()
    out = env.run("get pods")
    assert out == "The connection to the server 172.18.0.2:6443 was refused - did you specify the right host or port?\n"
    assert env.rc == 1


def test_api_resources_and_version(env):
    out = env.run("api-resources").splitlines()
    assert out[0].split() == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in [line.split() for line in out]
    assert ["nodes", "no", "v1", "false", "Node"] in [line.split() for line in out]
    assert env.run("version") == "Client Version: v1.37.1\nKustomize Version: v5.8.1\nServer Version: v1.37.1\n"


def test_jsonpath_and_custom_columns(env):
    env.run("apply -f -", stdin=NGINX)
    env.run("create deployment web --image=nginx")
    assert env.run("get deploy -o jsonpath={.items[*].metadata.name}") == "nginx-deployment web"
    assert env.run("get deploy web -o jsonpath={.spec.replicas}") == "1"
    assert env.run("get deploy -o jsonpath='{range .items[*]}{.metadata.name}{\"\\t\"}"
                   "{.spec.template.spec.containers[0].image}{\"\\n\"}{end}'") == \
        "nginx-deployment\tnginx:1.14.2\nweb\tnginx\n"
    assert env.run("get deploy -o jsonpath='{.items[?(@.spec.replicas>1)].metadata.name}'") == "nginx-deployment"
    assert env.run("get deploy -o custom-columns=NAME:.metadata.name,IMAGE:spec.template.spec.containers[*].image,"
                   "X:.nope") == (
        "NAME               IMAGE          X\n"
        "nginx-deployment   nginx:1.14.2   <none>\n"
        "web                nginx          <none>\n")


def test_describe_falls_back_to_name_prefix(env):
    for name in ("web-1", "web-2", "db"):
        env.client.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                                   "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, namespace="default")
    out = env.run("describe pod web")
    assert [line for line in out.splitlines() if line.startswith("Name:")] == \
        ["Name:             web-1", "Name:             web-2"]
    # each report of a name-prefix match is followed by a blank line; no events are looked up
    assert "300s\n\nName:             web-2" in out and out.endswith("\n\n") and "Events:" not in out
    assert env.run("describe pod zzz") == 'Error from server (NotFound): pods "zzz" not found\n'
    # several objects: two blank lines between reports, and events only when asked for
    out = env.run("describe pod web-1 db")
    assert "\n\n\nName:             db" in out and "Events:" not in out
    assert env.run("describe pod web-1 db --show-events").count("Events:") == 2
    assert env.run("describe pod db").count("Events:") == 1


def test_rollout_status_reads_the_deployment_status(env):
    from k8score.kubectl.rollout import rollout_status

    def d(generation=1, observed=1, want=3, **status):
        return {"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": want},
                "status": {"observedGeneration": observed, **status}}
    assert rollout_status(d(generation=2)) == "Waiting for deployment spec update to be observed..."
    assert rollout_status(d(updatedReplicas=1)) == \
        'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...'
    assert rollout_status(d(updatedReplicas=3, replicas=4)) == \
        'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...'
    assert rollout_status(d(updatedReplicas=3, availableReplicas=2)) == \
        'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...'
    assert rollout_status(d(updatedReplicas=3, availableReplicas=3)) == 'deployment "web" successfully rolled out'
    env.run("apply -f -", stdin=NGINX)
    assert env.run("rollout status deployment/nginx-deployment") == \
        "Waiting for deployment spec update to be observed...\n"


def test_cluster_info(env):
    assert env.run("cluster-info") == (
        "Kubernetes control plane is running at https://172.18.0.2:6443\n\n"
        "To further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.\n")


def test_delete_from_manifest_and_force_warning_first(env):
    env.run("apply -f -", stdin=NGINX)
    assert env.run("delete -f -", stdin=NGINX) == 'deployment.apps "nginx-deployment" deleted from default namespace\n'
    env.client.create("pods", {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                               "spec": {"containers": [{"name": "c", "image": "nginx"}]}}, namespace="default")
    assert env.run("delete pod p --grace-period=0 --force") == (
        "warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. "
        "The resource may continue to run on the cluster indefinitely.\n"
        'pod "p" force deleted from default namespace\n')
    assert env.rc == 0


def test_set_image_patch_and_events(env):
    env.run("create deployment web --image=nginx:1.14.2")
    assert env.run("set image deployment/web nginx=nginx:1.16.1") == "deployment.apps/web image updated\n"
    assert env.client.get("deployments", "web", "default")["spec"]["template"]["spec"]["containers"][0]["image"] \
        == "nginx:1.16.1"
    assert env.run("set image deployment/web nginx=nginx:1.16.1") == ""        # nothing to change
    assert env.run("set image deployment/web nope=x") == 'error: unable to find container named "nope"\n'
    assert env.run("patch deployment web -p '{\"spec\":{\"replicas\":4}}'") == "deployment.apps/web patched\n"
    assert env.run("patch deployment web -p '{\"spec\":{\"replicas\":4}}'") == \
        "deployment.apps/web patched (no change)\n"
    assert env.run("patch deploy web --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":2}]'") \
        == "deployment.apps/web patched\n"
    assert env.client.get("deployments", "web", "default")["spec"]["replicas"] == 2
    assert env.run("events") == "No events found in default namespace.\n"   # cmd/events/events.go
