"""``kubectl create <generator>``: the objects the emulation builds and the limits it enforces.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create_secret.go, create_secret_tls.go,
create_secret_docker.go, create_configmap.go, create_role.go, create_clusterrole.go,
create_rolebinding.go, create_job.go, create_cronjob.go, create_pdb.go, create_priorityclass.go,
create_quota.go, create_service.go, create_ingress.go, create_token.go; pkg/util/hash/hash.go.
The byte-for-byte comparison with kubectl 1.37 is tests/test_kubectl_differential.py; these
tests check what a reader would rely on: what gets stored, and both sides of each limit.
"""

from __future__ import annotations

import base64
import json
import os

import pytest

from k8score import Cluster

DATA = os.path.join(os.path.dirname(__file__), "data", "kubectl_create")


@pytest.fixture(scope="module")
def c():
    cluster = Cluster(nodes=1, seed=3)
    cluster.kubectl("create namespace shop")
    cluster.kubectl("create serviceaccount robot -n shop")
    cluster.run(seconds=5)
    return cluster


def run(c, line: str) -> tuple[str, str, int]:
    c.kubectl(line)
    k = c._kubectl
    return k.last_stdout, k.last_stderr, k.last_exit_code


def dry_json(c, line: str) -> dict:
    out, err, code = run(c, line + " --dry-run=client -o json")
    assert code == 0, err
    return json.loads(out)


# -- secrets and configmaps ------------------------------------------------------------------
def test_generic_secret_is_stored_base64_and_a_second_create_is_already_exists(c):
    assert run(c, "create secret generic db --from-literal=user=admin --from-literal=pw=a=b -n shop") == \
        ("secret/db created\n", "", 0)
    stored = c.get("secrets", "db", namespace="shop")
    assert stored["type"] == "Opaque"   # defaulted by the server: the generator leaves it empty
    assert {k: base64.b64decode(v).decode() for k, v in stored["data"].items()} == {"user": "admin", "pw": "a=b"}
    assert run(c, "create secret generic db --from-literal=user=x -n shop") == \
        ("", 'error: failed to create secret secrets "db" already exists\n', 1)


def test_literal_sources_need_a_key_and_an_equals_sign_and_keys_are_unique(c):
    for bad in ("novalue", "=x"):
        assert run(c, f"create secret generic s --from-literal={bad} --dry-run=client")[1] == \
            f"error: invalid literal source {bad}, expected key=value\n"
    assert dry_json(c, "create secret generic s --from-literal=k=")["data"] == {"k": ""}   # empty value is fine
    assert run(c, "create secret generic s --from-literal=a=1 --from-literal=a=2 --dry-run=client")[1] == \
        "error: cannot add key a, another key by that name already exists\n"
    assert run(c, "create configmap m --from-literal=a=1 --from-literal=a=2 --dry-run=client")[1] == \
        'error: cannot add key "a", another key by that name already exists in Data for ConfigMap "m"\n'


def test_config_key_length_limit_253(c):
    ok, too_long = "k" * 253, "k" * 254
    assert list(dry_json(c, f"create configmap m --from-literal={ok}=v")["data"]) == [ok]
    err = run(c, f"create configmap m --from-literal={too_long}=v --dry-run=client")[1]
    assert err == f'error: "{too_long}" is not a valid key name for a ConfigMap: must be no more than 253 characters\n'


def test_secret_name_253_characters_is_accepted_254_refused_by_the_server(c):
    assert run(c, f"create secret generic {'s' * 253} --from-literal=a=b")[2] == 0
    out, err, code = run(c, f"create secret generic {'s' * 254} --from-literal=a=b")
    assert code == 1 and err.startswith(f'error: failed to create secret Secret "{"s" * 254}" is invalid: '
                                        "metadata.name: Invalid value")
    assert "must be no more than 253 bytes" in err


def test_files_directories_and_env_files(c):
    cm = dry_json(c, f"create configmap m --from-file={DATA}/dir --from-file=bin={DATA}/blob.bin")
    assert cm["data"] == {"app.yaml": "a: 1\n", "log-level": "debug\n"}
    assert base64.b64decode(cm["binaryData"]["bin"]) == b"\xff\xfe\x00binary"   # not UTF-8
    env = dry_json(c, f"create configmap m --from-env-file={DATA}/app.env")
    assert env["data"] == {"EMPTY": "", "GREETING": "hello world", "LEVEL": "3", "MODE": "fast"}
    assert run(c, f"create configmap m --from-env-file={DATA}/app.env --from-literal=a=b --dry-run=client")[1] == \
        "error: from-env-file cannot be combined with from-file or from-literal\n"
    assert run(c, f"create configmap m --from-file=k={DATA}/dir --dry-run=client")[1] == \
        "error: cannot give a key name for a directory path\n"
    assert run(c, f"create secret generic s --from-file={DATA}/nope --dry-run=client")[1] == \
        f"error: error reading {DATA}/nope: no such file or directory\n"


def test_append_hash_is_stable_and_follows_the_content(c):
    a = dry_json(c, "create configmap m --from-literal=a=1 --append-hash")["metadata"]["name"]
    again = dry_json(c, "create configmap m --from-literal=a=1 --append-hash")["metadata"]["name"]
    other = dry_json(c, "create configmap m --from-literal=a=2 --append-hash")["metadata"]["name"]
    assert a == again != other and a.startswith("m-") and len(a) == 12
    assert not set(a[2:]) & set("013ae")   # hash.go encodeHash swaps these out


def test_tls_secret_checks_the_key_pair(c):
    secret = dry_json(c, f"create secret tls t --cert={DATA}/tls.crt --key={DATA}/tls.key")
    assert secret["type"] == "kubernetes.io/tls" and list(secret["data"]) == ["tls.crt", "tls.key"]
    assert run(c, f"create secret tls t --cert={DATA}/tls.crt --key={DATA}/other.key --dry-run=client")[1] == \
        "error: tls: private key does not match public key\n"
    assert run(c, f"create secret tls t --cert={DATA}/tls.crt --dry-run=client")[1] == \
        "error: key and cert must be specified\n"


def test_docker_registry_secret_holds_dockerconfigjson(c):
    secret = dry_json(c, "create secret docker-registry reg --docker-username=u --docker-password=p")
    config = json.loads(base64.b64decode(secret["data"][".dockerconfigjson"]))
    assert config == {"auths": {"https://index.docker.io/v1/": {"username": "u", "password": "p",
                                                               "auth": base64.b64encode(b"u:p").decode()}}}
    assert run(c, "create secret docker-registry reg --docker-username=u --dry-run=client")[1].startswith(
        "error: either --from-file or the combination of --docker-username")


# -- RBAC --------------------------------------------------------------------------------------------
def test_role_maps_short_names_and_groups_one_rule_per_api_group(c):
    role = dry_json(c, "create role r --verb=get,list,get --resource=deploy,pods,rs.apps,pods/log")
    assert role["rules"] == [
        {"verbs": ["get", "list"], "apiGroups": [""], "resources": ["pods", "pods/log"]},
        {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments", "replicasets"]}]
    assert run(c, "create role r --verb=bind --resource=pods --dry-run=client")[1] == \
        "error: can not perform 'bind' on 'pods' in group ''\n"
    assert dry_json(c, "create role r --verb=bind --resource=roles")["rules"][0]["apiGroups"] == \
        ["rbac.authorization.k8s.io"]
    out, err, code = run(c, "create role r --verb=frob --resource=pods --dry-run=client")
    assert (err, code) == ("Warning: 'frob' is not a standard resource verb\n", 0)


def test_clusterrole_urls_and_aggregation(c):
    assert run(c, "create clusterrole x --verb=post --non-resource-url=/logs/* --dry-run=client")[2] == 0
    assert run(c, "create clusterrole x --verb=list --non-resource-url=/logs --dry-run=client")[1] == \
        "error: invalid verb: 'list' for nonResourceURL\n"
    agg = dry_json(c, "create clusterrole x --aggregation-rule=b=2,a=1")
    assert agg["rules"] is None and agg["aggregationRule"] == {"clusterRoleSelectors": [{"matchLabels": {"a": "1", "b": "2"}}]}


def test_rolebinding_subjects_and_created_for_real(c):
    assert run(c, "create rolebinding rb --clusterrole=view --user=alice --serviceaccount=shop:robot -n shop") == \
        ("rolebinding.rbac.authorization.k8s.io/rb created\n", "", 0)
    rb = c.get("rolebindings", "rb", namespace="shop")
    assert [s["kind"] for s in rb["subjects"]] == ["User", "ServiceAccount"]
    assert rb["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}
    assert run(c, "create rolebinding rb2 --clusterrole=view --serviceaccount=robot --dry-run=client")[1] == \
        "error: serviceaccount must be <namespace>:<name>\n"


# -- workloads ------------------------------------------------------------------------------------------
def test_job_command_after_dash_and_name_count(c):
    out, _, _ = run(c, "create job j --image=busybox --dry-run=client -o json -- echo hi --now")
    job = json.loads(out)   # every word after "--" is the command's, flags included
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi", "--now"]
    assert run(c, "create job a b --image=busybox --dry-run=client")[1] == \
        "error: exactly one NAME is required, got 2\nSee 'kubectl create job -h' for help and examples\n"
    assert run(c, "create job j --dry-run=client")[1] == "error: either --image or --from must be specified\n"


def test_job_from_cronjob_is_owned_and_marked_manual(c):
    c.kubectl("create cronjob tick --image=busybox --schedule='*/5 * * * *'")
    cron = c.get("cronjobs", "tick")
    job = json.loads(run(c, "create job manual --from=cronjob/tick -o json")[0])
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["uid"] == cron["metadata"]["uid"]
    assert c.get("jobs", "manual")["spec"]["template"]["spec"]["restartPolicy"] == "OnFailure"
    assert run(c, "create job j --from=cronjob/tick --dry-run=client -- echo")[1] == \
        "error: cannot specify --from and command\n"


# -- policy, scheduling, quota ------------------------------------------------------------------------------
def test_pdb_takes_exactly_one_of_min_available_and_max_unavailable(c):
    assert dry_json(c, "create pdb p --selector=app=web --min-available=2")["spec"]["minAvailable"] == 2
    assert dry_json(c, "create pdb p --selector=app=web --max-unavailable=50%")["spec"]["maxUnavailable"] == "50%"
    assert run(c, "create pdb p --selector=app=web --min-available=1 --max-unavailable=1 --dry-run=client")[1] == \
        "error: min-available and max-unavailable cannot be both specified\n"
    assert run(c, "create pdb p --selector=app=web --dry-run=client")[1] == \
        "error: one of min-available or max-unavailable must be specified\n"
    assert run(c, "create pdb p --selector=app=web --min-available=-1 --dry-run=client")[1] == \
        "error: invalid format specified for min-available\n"


def test_priorityclass_value_is_an_int32(c):
    assert dry_json(c, f"create priorityclass p --value={2**31 - 1}")["value"] == 2**31 - 1
    assert "value out of range" in run(c, f"create priorityclass p --value={2**31} --dry-run=client")[1]
    assert dry_json(c, "create priorityclass p")["preemptionPolicy"] == "PreemptLowerPriority"


def test_quota_quantities_are_canonical(c):
    spec = dry_json(c, "create quota q --hard=memory=1024Mi,cpu=1000m,requests.storage=0.5Gi --scopes=BestEffort")["spec"]
    assert spec == {"hard": {"cpu": "1", "memory": "1Gi", "requests.storage": "512Mi"}, "scopes": ["BestEffort"]}
    assert run(c, "create quota q --hard=cpu --dry-run=client")[1] == \
        "error: Invalid argument syntax cpu, expected <resource>=<value>\n"


# -- services, ingress, tokens ----------------------------------------------------------------------------
def test_services_ports_and_headless(c):
    svc = dry_json(c, "create service nodeport web --tcp=80:http --node-port=30080")
    assert svc["spec"]["ports"] == [{"name": "80-http", "protocol": "TCP", "port": 80, "targetPort": "http",
                                     "nodePort": 30080}]
    assert dry_json(c, "create service clusterip h --clusterip=None")["spec"] == \
        {"selector": {"app": "h"}, "clusterIP": "None", "type": "ClusterIP"}
    assert run(c, "create service clusterip s --tcp=65536 --dry-run=client")[1] == \
        'error: strconv.ParseUint: parsing "65536": value out of range\n'
    assert dry_json(c, "create service clusterip s --tcp=65535")["spec"]["ports"][0]["port"] == 65535
    assert run(c, "create service clusterip web --tcp=80") == ("service/web created\n", "", 0)
    assert c.get("services", "web")["spec"]["clusterIP"]   # allocated by the server


def test_ingress_groups_paths_by_host_and_hosts_by_secret(c):
    spec = dry_json(c, "create ingress i --rule=a.com/=web:80,tls=s --rule=a.com/api*=api:http,tls=s "
                       "--rule=b.com/x=web:80,tls=s")["spec"]
    assert spec["tls"] == [{"hosts": ["a.com", "b.com"], "secretName": "s"}]
    assert [[p["path"], p["pathType"]] for p in spec["rules"][0]["http"]["paths"]] == [["/", "Exact"], ["/api", "Prefix"]]
    assert run(c, "create ingress i --dry-run=client")[1].startswith("error: not enough information provided")


def test_create_token_prints_the_bare_token(c):
    from k8score.apiserver.tokens import TokenSigner
    out, err, code = run(c, "create token robot -n shop --duration=10m")
    assert code == 0 and err == "" and not out.endswith("\n") and out.count(".") == 2
    claims = TokenSigner.peek(out)
    assert claims["sub"] == "system:serviceaccount:shop:robot"
    assert claims["exp"] - claims["iat"] == 600
    assert run(c, "create token nope -n shop")[1] == 'error: failed to create token: serviceaccounts "nope" not found\n'


# -- the command itself ---------------------------------------------------------------------------------
def test_parent_commands_print_help_on_stderr_and_unknown_words_are_errors(c):
    out, err, code = run(c, "create secret")
    assert (out, code) == ("", 1) and err.startswith("Create a secret with specified type.")
    assert run(c, "create frobnicate x")[1] == \
        "error: Unexpected args: [frobnicate x]\nSee 'kubectl create -h' for help and examples\n"


def test_save_config_records_the_object_as_last_applied(c):
    obj = dry_json(c, "create configmap m --from-literal=a=b --save-config")
    applied = json.loads(obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"])
    assert applied == {"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "m"}, "data": {"a": "b"}}
