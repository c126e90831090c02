"""kubectl rollout history (with --revision), rollout status --watch=false, and the pod
``logs TYPE/NAME`` picks.

Upstream: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/history.go (DeploymentHistoryViewer,
DaemonSetHistoryViewer, printHistory, printTemplate, controlledHistory, applyDaemonSetHistory),
pkg/cmd/rollout/rollout_history.go (Run: ``with revision #N``), rollout_status.go (Run: an
informer's initial events even with --watch=false), polymorphichelpers/rollout_status.go, and
pkg/util/podutils/podutils.go (ByLogging). Agreement with real kubectl 1.37:
tests/test_kubectl_differential.py.
"""

from __future__ import annotations

import time

import pytest

from k8score import Cluster
from k8score.kubectl.podcmd import _by_logging

DS = """\
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: "busybox:1.36", command: [sleep, "3600"]}]
"""


@pytest.fixture(scope="module")
def cluster():
    c = Cluster(nodes=1, seed=3)
    c.kubectl("create deployment web --image=nginx:1.26 --replicas=1")
    c.apply(DS)
    c.run(seconds=30)
    c.kubectl("set image deployment/web nginx=nginx:1.27")
    c.kubectl("annotate deployment web kubernetes.io/change-cause='image 1.27'")
    c.api.patch(
        "daemonsets", "agent", {"spec": {"template": {"spec": {"containers": [{"name": "agent", "image": "busybox:1.37"}]}}}},
        patch_type="strategic", namespace="default")
    c.run(seconds=60)
    return c


def _run(c, line):
    out = c.kubectl(line)
    k = c._kubectl
    return out, k.last_stderr, k.last_exit_code


def test_deployment_history_table_and_one_revisions_raw_template(cluster):
    out, err, code = _run(cluster, "rollout history deployment/web")
    assert (out, code) == ("deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         image 1.27\n\n", 0)
    out, _, code = _run(cluster, "rollout history deployment/web --revision=2")
    lines = out.split("\n")
    assert lines[:3] == ["deployment.apps/web with revision #2", "Pod Template:", "  Labels:\tapp=web"]
    assert lines[3].startswith("\tpod-template-hash=")          # printTemplate: no tabwriter
    assert "  Annotations:\tkubernetes.io/change-cause: image 1.27" in lines
    assert "    Image:\tnginx:1.27" in lines and out.endswith("  Tolerations:\t<none>\n\n")
    assert "    Image:\tnginx:1.26" in _run(cluster, "rollout history deployment/web --revision=1")[0]
    assert _run(cluster, "rollout history deployment/web --revision=3")[1:] == \
        ("error: unable to find the specified revision\n", 1)


def test_daemonset_history_applies_the_controller_revision(cluster):
    out, _, code = _run(cluster, "rollout history daemonset/agent")
    assert (out, code) == ("daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n\n", 0)
    first = _run(cluster, "rollout history ds agent --revision=1")[0]
    assert first.startswith("daemonset.apps/agent with revision #1\nPod Template:\n")
    assert "    Image:\tbusybox:1.36\n" in first
    assert "    Image:\tbusybox:1.37\n" in _run(cluster, "rollout history ds agent --revision=2")[0]
    assert _run(cluster, "rollout history job/nope")[1:] == \
        ('error: no history viewer has been implemented for "Job.batch"\n', 1)
    assert "strconv.ParseInt" in _run(cluster, "rollout history ds agent --revision=x")[1]


def _pod(name, node="n1", phase="Running", ready_at=None, restarts=0, created="2026-01-01T00:00:00Z"):
    conditions = [{"type": "Ready", "status": "True", "lastTransitionTime": ready_at}] if ready_at else []
    return {"metadata": {"name": name, "creationTimestamp": created}, "spec": {"nodeName": node},
            "status": {"phase": phase, "conditions": conditions,
                       "containerStatuses": [{"name": "c", "restartCount": restarts}]}}


def test_by_logging_orders_as_upstream():
    pods = [_pod("unassigned", node="", ready_at="2026-01-01T00:00:01Z"),
            _pod("pending", phase="Pending"),
            _pod("not-ready", restarts=9),
            _pod("ready-late", ready_at="2026-01-01T00:00:09Z", restarts=5),
            _pod("ready-early", ready_at="2026-01-01T00:00:02Z"),
            _pod("ready-early-restarted", ready_at="2026-01-01T00:00:02Z", restarts=1),
            _pod("ready-early-restarted-twin", ready_at="2026-01-01T00:00:02Z", restarts=1)]
    # ready the longest first (before restarts count); most restarts next; ties keep list order
    assert [p["metadata"]["name"] for p in sorted(pods, key=_by_logging)] == [
        "ready-early-restarted", "ready-early-restarted-twin", "ready-early", "ready-late",
        "not-ready", "pending", "unassigned"]


def test_rollout_status_watch_false_against_serve_prints_once(tmp_path):
    """rollout_status.go runs an informer even with --watch=false: the served watch must send
    its initial events and the initial-events-end bookmark, then kubectl exits."""
    from serve_helpers import KUBECTL, kubectl, start
    if KUBECTL is None:
        pytest.skip("kubectl not installed")
    served = start(tmp_path, nodes=1, seed=1, speed=1.0)
    try:
        assert kubectl(served, "create", "deployment", "w", "--image=nginx:1.27").returncode == 0
        began = time.monotonic()
        r = kubectl(served, "rollout", "status", "deployment/w", "--watch=false", timeout=20)
        assert r.returncode == 0 and time.monotonic() - began < 10
        assert r.stdout in ('Waiting for deployment "w" rollout to finish: 0 of 1 updated replicas are available...\n',
                            'Waiting for deployment "w" rollout to finish: 0 out of 1 new replicas have been updated...\n',
                            'deployment "w" successfully rolled out\n')
        r = kubectl(served, "rollout", "status", "deployment/w", "--timeout=25s", timeout=40)
        assert r.stdout.endswith('deployment "w" successfully rolled out\n')
        again = kubectl(served, "rollout", "status", "deployment/w", "--watch=false", timeout=20)
        assert again.stdout == 'deployment "w" successfully rolled out\n'
    finally:
        served[0].stop()
