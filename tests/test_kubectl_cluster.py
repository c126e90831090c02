"""kubectl against a whole simulated cluster: what a reader sees after `kubectl apply`."""

import pytest

from k8score import Cluster
from k8score.cli import NGINX_DEPLOYMENT

NGINX = NGINX_DEPLOYMENT  # the official example, as `k8score demo` applies it


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=2, seed=7)
    assert c.kubectl("apply -f -", stdin=NGINX) == "deployment.apps/nginx-deployment created\n"
    c.run(seconds=30)
    return c


def test_pods_run_on_nodes(cluster):
    lines = cluster.kubectl("get pods -o wide").splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED",
                                "NODE", "READINESS", "GATES"]
    rows = [line.split() for line in lines[1:]]
    assert len(rows) == 3
    assert all(r[1:4] == ["1/1", "Running", "0"] and r[6] in ("node-1", "node-2") for r in rows)
    assert cluster.kubectl("get deploy").splitlines()[1].split()[1:4] == ["3/3", "3", "3"]


def test_describe_pod_tells_the_story_in_events(cluster):
    name = cluster.kubectl("get pods -o name").splitlines()[0].split("/", 1)[1]
    out = cluster.kubectl(f"describe pod {name}")
    assert "Controlled By:  ReplicaSet/nginx-deployment-" in out
    reasons = [line.split()[1] for line in out.split("Events:\n", 1)[1].splitlines()[2:]]
    # oldest first; events of the same second in the order they were recorded
    assert [r for r in reasons if r in ("Scheduled", "Pulling", "Pulled", "Created", "Started")] == \
        ["Scheduled", "Pulling", "Pulled", "Created", "Started"]


def test_cordoned_node_gets_no_new_pods(cluster):
    assert cluster.kubectl("cordon node-1") == "node/node-1 cordoned\n"
    assert "Ready,SchedulingDisabled" in cluster.kubectl("get nodes")
    assert cluster.kubectl("scale deployment nginx-deployment --replicas=6") == \
        "deployment.apps/nginx-deployment scaled\n"
    cluster.run(seconds=30)
    new = cluster.kubectl("get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,AGE:.metadata."
                          "creationTimestamp --sort-by=.metadata.creationTimestamp").splitlines()[-3:]
    assert all(line.split()[1] == "node-2" for line in new)
    assert cluster.kubectl("uncordon node-1") == "node/node-1 uncordoned\n"


def test_rolling_update_shows_old_and_new_replicasets(cluster):
    out = cluster.kubectl("apply -f -", stdin=NGINX.replace("nginx:1.14.2", "nginx:1.16.1").replace(
        "replicas: 3", "replicas: 6"))
    assert out == "deployment.apps/nginx-deployment configured\n"
    cluster.run(seconds=120)
    assert cluster.kubectl("rollout status deployment/nginx-deployment") == \
        'deployment "nginx-deployment" successfully rolled out\n'
    described = cluster.kubectl("describe deployment nginx-deployment")
    old = [line for line in described.splitlines() if line.startswith("OldReplicaSets:")]
    new = [line for line in described.splitlines() if line.startswith("NewReplicaSet:")]
    assert old and old[0].endswith("(0/0 replicas created)")
    assert new and new[0].endswith("(6/6 replicas created)")
    images = cluster.kubectl("get pods -o jsonpath={.items[*].spec.containers[0].image}").split()
    assert images == ["nginx:1.16.1"] * 6


def test_rollout_history_and_undo(cluster):
    assert cluster.kubectl("rollout history deployment/nginx-deployment") == (
        "deployment.apps/nginx-deployment \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n")
    assert cluster.kubectl("rollout undo deployment/nginx-deployment") == "deployment.apps/nginx-deployment rolled back\n"
    cluster.run(seconds=120)
    images = cluster.kubectl("get pods -o jsonpath={.items[*].spec.containers[0].image}").split()
    assert images == ["nginx:1.14.2"] * 6
    # the old template is now the newest revision
    assert cluster.kubectl("rollout history deploy/nginx-deployment").splitlines()[2:] == \
        ["2         <none>", "3         <none>", ""]
    events = cluster.kubectl("events --for deployment/nginx-deployment").splitlines()
    assert events[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert all("ScalingReplicaSet" in line for line in events[1:])
