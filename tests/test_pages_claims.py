"""What the content pages say is what their runnable blocks print.

The prose of docs/index.md, flow/create-deployment.md, interview.md and node/kubelet.md makes
claims about the output right next to it ("the events come in this order", "pods stay Pending
without a scheduler", "running containers survive the API server going down"). These tests run
the pages exactly as the site build does and check those claims, so a change in k8score that
would make a page wrong fails here instead of on the site.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_hooks"))

import blocks  # noqa: E402
import native  # noqa: E402

FLOW_ORDER = ["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"]


class Page:
    """A page's runnable blocks and what each printed."""

    def __init__(self, rel: str):
        found = blocks.find_blocks((DOCS / rel).read_text("utf-8"))
        results = native.run_page(found)
        self.blocks = [(b.code, "".join(s.get("text", "") for s in r["segments"] if s["kind"] == "text"))
                       for b, r in zip(found, results)]
        self.diagrams = sum(1 for r in results for s in r["segments"] if s["kind"] == "dot")

    def output(self, code_marker: str) -> str:
        """Output of the (single) block whose code contains ``code_marker``."""
        hits = [out for code, out in self.blocks if code_marker in code]
        assert len(hits) == 1, f"{len(hits)} blocks contain {code_marker!r}"
        return hits[0]


@pytest.fixture(scope="module")
def flow() -> Page:
    return Page("flow/create-deployment.md")


@pytest.fixture(scope="module")
def interview() -> Page:
    return Page("interview.md")


def _reasons(text: str) -> list[str]:
    return re.findall(r"\s(\w+): (?:Deployment|ReplicaSet|Pod)/", text)


def test_flow_first_block_prints_the_seven_step_event_order(flow):
    code, out = flow.blocks[0]
    assert "c.apply(nginx)" in code and "c.run(seconds=30)" in code  # the benchmarked block is the core flow
    reasons = _reasons(out)
    first = [reasons.index(r) for r in FLOW_ORDER]
    assert first == sorted(first), reasons
    assert reasons.count("Started") == 3 and reasons.count("Scheduled") == 3
    assert "Node/" not in out  # node registration noise is filtered out, as the prose says


def test_flow_pods_stay_pending_without_scheduler_then_run(flow):
    stopped = flow.output('c2.stop("kube-scheduler")')
    rows = [l for l in stopped.splitlines() if l.startswith("nginx-deployment-")]
    assert len(rows) == 3 and all("Pending" in r and r.split()[6] == "<none>" for r in rows)
    assert "Scheduled" not in _reasons(stopped) and "SuccessfulCreate" in _reasons(stopped)
    started = flow.output('c2.start("kube-scheduler")')
    rows = [l for l in started.splitlines() if l.startswith("nginx-deployment-")]
    assert len(rows) == 3 and all("Running" in r for r in rows)


def test_flow_watch_trace_shows_bind_then_kubelet(flow):
    trace = flow.output("for t, typ, pod in seen:")
    lines = trace.strip().splitlines()
    assert lines[0].split()[1] == "ADDED" and "node=<none>" in lines[0]
    assert "node=<none>" not in lines[1] and "PodScheduled" in lines[1]
    assert "phase=Running" in lines[-1] and all("phase=Running" not in l for l in lines[:-1])


def test_flow_endpoints_list_the_pod_ips(flow):
    out = flow.output("kind: Service")
    ips = re.findall(r"(10\.244\.\d+\.\d+):80", out)
    assert len(set(ips)) == 3
    assert flow.diagrams == 1


def test_interview_api_server_down(interview):
    down = interview.output('c.stop("kube-apiserver")')
    assert down.count("503 ServiceUnavailable") == 2
    runtime = interview.output("def crictl_ps")
    assert runtime.count("RUNNING") == 3  # every node still runs its container
    back = interview.output('c.start("kube-apiserver")')
    assert re.search(r"another\s+3/3", back)


def test_interview_conflict_and_etcd_bypass(interview):
    assert "409 Conflict" in interview.output('b["spec"]["replicas"] = 2')
    assert "事务成功? False" in interview.output("c.etcd.txn(")
    bypass = interview.output("bad_pod = ")
    assert "422 Invalid" in bypass and "uid = None" in bypass
    assert re.search(r"调度器已经把它绑定到: node-\d", bypass)  # the prose: the scheduler acted on it


def test_index_shows_what_etcd_stores():
    page = Page("index.md")
    keys = page.output('c.etcdctl("get /registry --prefix --keys-only")')
    for key in ("/registry/deployments/default/nginx-deployment", "/registry/leases/kube-node-lease/node-1",
                "/registry/serviceaccounts/default/default", "/registry/minions/node-3"):
        assert key in keys
    assert len(re.findall(r"^/registry/pods/default/nginx-deployment-", keys, re.M)) == 3
    assert page.diagrams == 1


def test_kubelet_page_node_loss_then_eviction():
    page = Page("node/kubelet.md")
    lost = page.output('c3.stop("kubelet/node-2")')
    assert re.search(r"node-2\s+NotReady", lost) and "NodeStatusUnknown" in lost
    assert "RUNNING" in lost  # the container outlives its kubelet
    evicted = page.output("c3.run(seconds=305)")
    assert "TaintManagerEviction" in evicted and "Terminating" in evicted


# (page, a snippet of the block's code, a pattern its output must contain) -- each is a sentence
# of the page's prose about that output.
CLAIMS = [
    ("control-plane/kube-apiserver.md", 'c.get("deployment", "no-such-thing")', r"404 NotFound"),
    ("control-plane/kube-apiserver.md", "c.api.create(\"deployments\", c.get(", r"409 AlreadyExists"),
    ("control-plane/kube-apiserver.md", '"metadata": {"name": "Bad_Name"}', r"422 Invalid[\s\S]*`selector` does not match"),
    ("control-plane/kube-apiserver.md", 'a["spec"]["replicas"] = 3', r"B 更新失败: 409 Conflict"),
    ("control-plane/kube-apiserver.md", "for attempt in range", r"第 1 次尝试成功"),
    ("control-plane/kube-apiserver.md", "before = c.etcd.revision", r"503 ServiceUnavailable[\s\S]*revision 变化: 0"),
    ("control-plane/kube-apiserver.md", "spec = pod[\"spec\"]", r"serviceAccountName:\s+default[\s\S]*unreachable"),
    ("control-plane/etcd.md", "c.etcd.compact(rev_now)", r"compacted"),
    ("control-plane/kube-apiserver.md", 'resource_version="20"', r"ERROR 410 Expired - too old resource version"),
    ("control-plane/etcd.md", "ttl = c.etcd.lease_timetolive", r"授予 TTL = 36\d\d 秒"),
    ("control-plane/kube-scheduler.md", 'c.kubectl("cordon node-1")',
     r"NodeUnschedulable[\s\S]*TaintToleration: node\(s\) had untolerated taint"),
    ("control-plane/kube-scheduler.md", "replicas=8",
     r"0/3 nodes are available: 1 Insufficient cpu, 1 node\(s\) had untolerated taint \{dedicated: gpu\}, "
     r"1 node\(s\) were unschedulable"),
    ("control-plane/kube-controller-manager.md", 'nginx:1.16.1', r"Scaled down replica set \S+ from 1 to 0"),
    ("control-plane/kube-controller-manager.md", 'c.delete("deployment", "web")',
     r"Terminating[\s\S]*5 秒后:\nNo resources found"),
    ("control-plane/cloud-controller-manager.md", "type: LoadBalancer", r"LoadBalancer\s+\S+\s+<pending>"),
    ("node/kube-proxy.md", "--replicas=1", r"nginx\s+10\.244\.\d+\.\d+:80\s"),
    ("node/container-runtime.md", "--replicas=6", r"already present on machine"),
    ("node/container-runtime.md", "nginx:1.14.2-doesnotexist", r"ImagePullBackOff[\s\S]*\(x2 over"),
    ("advantages.md", "my_scheduler_step()", r"Pending[\s\S]*my-scheduler: \S+ -> node-3[\s\S]*Running"),
    ("node/kube-proxy.md", 'if "default/nginx" in line', r"(--probability 0\.3333333333[\s\S]*--probability 0\.5000000000)"),
    ("node/kube-proxy.md", "hits = Counter", r"^(10\.244\.\d+\.\d+:80\s+\d+\s+3\d\.\d%\n){3}$"),
    ("node/kube-proxy.md", 'c.stop("kube-proxy/node-1")',
     r"node-1: 1 个后端规则, 300 个新连接去了 \['[\d.:]+'\]\nnode-2: 3 个后端规则"),
    ("flow/create-deployment.md", "proxy.trace(", r"KUBE-SVC-2CMXP7HKUVJN7L6M -> nat/KUBE-SEP-[\s\S]*被改写为 10\.244\."),
    ("interview.md", "proxy.trace(", r"node-3: 30 个发往 [\d.]+:80 的新连接 -> \{'10\.244\."),
]


_RUN_PAGES: dict[str, Page] = {}  # each page runs once for all its claims


@pytest.mark.parametrize("rel,marker,pattern", CLAIMS, ids=[f"{c[0]}:{c[1][:24]}" for c in CLAIMS])
def test_page_prose_matches_block_output(rel, marker, pattern):
    if rel not in _RUN_PAGES:
        _RUN_PAGES[rel] = Page(rel)
    out = _RUN_PAGES[rel].output(marker)
    assert re.search(pattern, out), out
