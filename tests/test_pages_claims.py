"""What the content pages say is what their runnable blocks print.

The prose of docs/index.md, flow/create-deployment.md, interview.md and node/kubelet.md makes
claims about the output right next to it ("the events come in this order", "pods stay Pending
without a scheduler", "running containers survive the API server going down"). These tests run
the pages exactly as the site build does and check those claims, so a change in k8score that
would make a page wrong fails here instead of on the site.

The kube-apiserver page's claims are upstream's texts, checked against:
k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go (the 403 message),
k8s.io/apiserver/pkg/admission/plugin/webhook/errors/statuserror.go (webhook denials),
k8s.io/pod-security-admission/admission/admission.go (PodSecurity errors and warnings),
plugin/pkg/admission/resourcequota/controller.go (``exceeded quota: ...``),
k8s.io/apiserver/pkg/endpoints/handlers/fieldmanager + kubectl/pkg/cmd/apply/apply.go
(server-side apply conflicts), k8s.io/apiextensions-apiserver/pkg/apiserver/schema (CRD
validation and pruning), pkg/kubeapiserver/default_storage_factory_builder.go
(``SpecialDefaultResourcePrefixes``: minions, services/specs, services/endpoints) and
k8s.io/apiserver/pkg/storage/cacher (watch cache, ``too old resource version``).
"""

from __future__ import annotations

import re

import pytest

from pagehelpers import DOCS, ROOT, Page

FLOW_ORDER = ["ScalingReplicaSet", "SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"]


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
    # every container still runs: the 3 nginx, the 2 coredns pods (the cluster DNS addon) and
    # the kube-proxy DaemonSet's pod on each of the 3 nodes (kubeadm's proxy addon)
    assert runtime.count("RUNNING") == 8 and "EXITED" not in runtime
    assert runtime.count("kube-proxy-") == 3
    assert len(re.findall(r"RUNNING\s+nginx\s+nginx-deployment-", runtime)) == 3
    assert len(re.findall(r"RUNNING\s+coredns\s+coredns-", runtime)) == 2
    back = interview.output('c.start("kube-apiserver")')
    assert re.search(r"another\s+3/3", back)


def test_interview_conflict_and_etcd_bypass(interview):
    assert "409 Conflict" in interview.output('b["spec"]["replicas"] = 2')
    assert "事务成功? False" in interview.output("c.etcd.txn(")
    bypass = interview.output("bad_pod = ")
    assert "422 Invalid" in bypass and "uid = None" in bypass
    assert re.search(r"调度器已经把它绑定到: node-\d", bypass)  # the prose: the scheduler acted on it


@pytest.fixture(scope="module")
def apiserver() -> Page:
    return Page("control-plane/kube-apiserver.md")


def _flat(text: str) -> str:
    """Whitespace collapsed: claims about wrapped messages do not depend on where they wrap."""
    return " ".join(text.split())


def _load_diagram():
    from k8score.diagramgen import load
    return load(ROOT / "diagrams" / "apiserver_pipeline.py")


def test_apiserver_pipeline_diagram_is_the_chain_the_server_runs():
    from k8score import Cluster
    chain = _load_diagram().pipeline()
    api = Cluster(nodes=1, seed=0).apiserver
    plugins = api.admission.plugins
    assert chain["mutating"] == [p.name for p in plugins if hasattr(p, "admit")]
    assert chain["validating"] == [p.name for p in plugins if hasattr(p, "validate")]
    assert chain["authorizers"] == [a.name for a in api.authorizers] == ["PrivilegedGroups", "Node", "RBAC"]
    # upstream's order (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins)
    assert chain["mutating"][0] == "NamespaceLifecycle" and chain["mutating"][-1] == "MutatingAdmissionWebhook"
    assert chain["validating"][-2:] == ["ValidatingAdmissionWebhook", "ResourceQuota"]
    text = (DOCS / "control-plane/kube-apiserver.md").read_text("utf-8")
    assert "](../assets/diagrams/apiserver_pipeline.svg)" in text


def test_apiserver_trace_walks_the_pipeline_in_order(apiserver):
    out = apiserver.output('print(c.kubectl("run web --image=nginx"))')
    stages = [line.split()[0] for line in out.splitlines()
              if line.startswith("  ") and not line.startswith("      ")]  # not wrapped details
    assert stages[:4] == ["authentication", "authorization", "defaulting", "mutating"]
    assert stages[-2:] == ["storage", "=>"] and stages.index("validation") > stages.index("mutating")
    assert stages.index("validating") > stages.index("validation")
    assert re.search(r"mutating admission: ServiceAccount\s+ok\s+serviceAccountName=default, "
                     r"volume kube-api-access-[a-z0-9]{5}\n", out)
    # the mutating plugins the trace names run in the diagram's (the chain's) order
    chain = _load_diagram().pipeline()["mutating"]
    ran = re.findall(r"mutating admission: (\w+)", out)
    assert ran == sorted(ran, key=chain.index) and {"ServiceAccount", "Priority"} <= set(ran)
    assert re.search(r"validating admission: PodSecurity\s+ok", out)
    assert re.search(r"storage\s+written\s+etcd txn put /registry/pods/default/web at revision \d+", out)
    assert out.rstrip().endswith("=> 201")
    stored = apiserver.output('pod = c.get("pod", "web")')
    assert re.search(r"volume:\s+kube-api-access-[a-z0-9]{5} -> "
                     r"\['serviceAccountToken', 'configMap', 'downwardAPI'\]", stored)
    assert "/var/run/secrets/kubernetes.io/serviceaccount" in stored
    assert stored.count("NoExecute 300 秒") == 2


def test_apiserver_every_component_has_its_identity(apiserver):
    assert re.search(r"Username\s+kubernetes-admin\nGroups\s+\[system:masters system:authenticated\]",
                     apiserver.output('c.kubectl("auth whoami")'))
    users = {line.split()[0] for line in apiserver.output("for user in sorted(writes)").splitlines()}
    assert {"system:kube-scheduler", "system:node:node-1", "system:node:node-3",
            "system:serviceaccount:kube-system:node-controller"} <= users
    assert "system:kube-controller-manager" not in users  # each controller writes as its own ServiceAccount


def test_apiserver_rbac_allows_and_denies(apiserver):
    assert apiserver.output('AS_READER = "') == "list pods:   yes\ndelete pods: no\nlist pods -n kube-system: no\n"
    out = apiserver.output('print(c.kubectl(f"delete pod web {AS_READER}"))')
    assert re.search(r"^web\s+1/1\s+Running", out, re.M)  # reading is allowed
    assert ('Error from server (Forbidden): pods "web" is forbidden: User "system:serviceaccount:default:reader" '
            'cannot delete resource "pods" in API group "" in the namespace "default"\n') in out
    assert re.search(r"authorization\s+denied", out) and out.rstrip().endswith("=> 403")
    listing = apiserver.output("auth can-i --list")
    assert re.search(r"^pods\s+\[\]\s+\[\]\s+\[get list watch\]$", listing, re.M)
    assert re.search(r"以及 \d+ 条非资源 URL", listing)


def test_apiserver_pod_security_enforce_refuses_and_warn_warns(apiserver):
    refused = _flat(apiserver.output("privileged = "))
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "priv" is forbidden: '
            'violates PodSecurity "restricted:latest": privileged (container "c" must not set '
            'securityContext.privileged=true), allowPrivilegeEscalation != false') in refused
    warned = _flat(apiserver.output('c.kubectl("apply -n my-warned -f -"'))
    assert warned.startswith('Warning: would violate PodSecurity "restricted:latest": privileged '
                             '(container "c" must not set securityContext.privileged=true)')
    assert warned.endswith("pod/priv created")


def test_apiserver_resource_quota_counts_and_refuses(apiserver):
    first = apiserver.output('quota_pod("quota-mem-cpu-demo", "600Mi", "800Mi")')
    assert "pod/quota-mem-cpu-demo created" in first
    used = first[first.index("  used:"):]
    for line in ('limits.cpu: 800m', 'limits.memory: 800Mi', 'requests.cpu: 400m', 'requests.memory: 600Mi'):
        assert f"    {line}\n" in used
    second = apiserver.output('quota_pod("quota-mem-cpu-demo-2"')
    assert ('Error from server (Forbidden): error when creating "STDIN": pods "quota-mem-cpu-demo-2" is forbidden: '
            'exceeded quota: mem-cpu-demo, requested: requests.memory=700Mi, used: requests.memory=600Mi, '
            'limited: requests.memory=1Gi\n') in second
    assert re.search(r"requests\.memory\s+600Mi\s+1Gi", second)  # describe: used and hard, the first pod only


def test_apiserver_webhooks_mutate_then_reject(apiserver):
    out = apiserver.output("def require_team(review)")
    assert out.startswith('Error from server: admission webhook "team.pod-policy.example.com" denied the request: '
                          'every pod needs a team label\n')
    assert re.search(r"mutating admission: MutatingAdmissionWebhook\s+ok\n"
                     r"validating admission: ValidatingAdmissionWebhook\s+denied", out)
    ok = apiserver.output("name: with-team")
    assert "pod/with-team created" in ok and re.search(r"with-team .* policy=checked,team=web$", ok, re.M)


def test_apiserver_dry_run_writes_nothing(apiserver):
    out = apiserver.output("import difflib")
    assert out.startswith("之前: (没有 Deployment)\n") and out.rstrip().endswith("之后: (没有 Deployment)")
    assert re.search(r"^\+  uid: [0-9a-f-]{36}$", out, re.M)
    assert "+  revisionHistoryLimit: 10" in out and "+      schedulerName: default-scheduler" in out
    assert "deployment.apps/preview created (server dry run)" in out


def test_apiserver_server_side_apply_conflict_then_force(apiserver):
    out = apiserver.output('print(c.kubectl("scale deployment web --replicas=4"))\nprint(c.kubectl("apply --server')
    assert out.startswith("deployment.apps/web serverside-applied\n\ndeployment.apps/web scaled\n")
    # kubectl scale writes through the scale subresource upstream, which the manager names
    assert re.search(r'error: Apply failed with 1 conflict: conflict with "kubectl"( with subresource "scale")? '
                     r'using apps/v1: \.spec\.replicas\nPlease review the fields above', out)
    forced = apiserver.output("--force-conflicts")
    assert forced.startswith("deployment.apps/web serverside-applied")
    assert "    manager: kubectl\n    operation: Apply\n" in forced and "        f:replicas: {}" in forced
    assert forced.count("manager:") == 1 and forced.rstrip().endswith("replicas = 2")


def test_apiserver_bad_input_is_a_status(apiserver):
    out = _flat(apiserver.output("def attempt(what, call)"))
    assert "kind: None: 400 BadRequest error validating \"STDIN\": error validating data: " \
           "[apiVersion not set, kind not set]" in out
    assert ('containerPort: "80": 400 BadRequest Pod in version "v1" cannot be handled as a Pod: json: cannot '
            'unmarshal string into Go struct field ContainerPort.spec.containers.ports.containerPort of type int32') in out
    assert "json: cannot unmarshal number 2147483648 into Go struct field ContainerPort" in out
    assert ("replicas: 2**31: 400 BadRequest Deployment in version \"v1\" cannot be handled as a Deployment: json: "
            "cannot unmarshal number 2147483648 into Go struct field DeploymentSpec.spec.replicas of type int32") in out
    assert "接受了" not in out
    evil = apiserver.output('c.etcd.put("/registry/pods/default/evil"')
    assert evil.startswith("Error from server (InternalError): ") and "/registry/pods/default/evil" in evil
    assert re.search(r"^web\s+1/1\s+Running", evil, re.M)  # the other pods are listed as before


def test_apiserver_watch_cache_serves_lists_and_routes_by_node(apiserver):
    out = apiserver.output("pods = c.apiserver.cachers")
    assert re.search(r"\('watch cache', 'read', '\d+ pods at resourceVersion \d+'\)", out)
    per_node = {m[0]: int(m[1]) for m in re.findall(r"spec\.nodeName=(node-\d)\s+收到\s+(\d+) 个事件", out)}
    everything = [int(n) for n in re.findall(r"所有 Pod\s+收到\s+(\d+) 个事件", out)]
    assert sorted(per_node) == ["node-1", "node-2", "node-3"] and everything
    # each kubelet sees only its node's pods: together about what one all-pods watcher sees, each less
    assert all(0 < n < min(everything) for n in per_node.values())
    assert re.search(r"^\d+ 个事件补发，从 ADDED web 开始$", apiserver.output("replayed = []"), re.M)


def test_apiserver_custom_resource_definition(apiserver):
    out = apiserver.output("kind: CustomResourceDefinition")
    assert "customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created" in out
    assert 'strict decoding error: unknown field "spec.someRandomField"' in out
    assert "crontab.stable.example.com/my-new-cron-object created" in out
    assert re.search(r"^NAME\s+AGE\nmy-new-cron-object\s+\d+s$", out, re.M)
    assert out.rstrip().endswith('{"cronSpec":"* * * * */5","image":"my-awesome-cron-image"}')  # pruned
    bad = apiserver.output('replicas: "three"')
    assert ('The CronTab "my-new-cron-object" is invalid: spec.replicas: Invalid value: "string": '
            'spec.replicas in body must be of type integer: "string"') in bad
    assert "/registry/stable.example.com/crontabs/default/my-new-cron-object" in bad


def test_apiserver_etcd_keys_as_upstream(apiserver):
    out = apiserver.output('c.etcdctl("get /registry/minions --prefix --keys-only")')
    for key in ("/registry/minions/node-1", "/registry/minions/node-3",
                "/registry/services/specs/default/kubernetes", "/registry/services/endpoints/default/kubernetes"):
        assert re.search(f"^{key}$", out, re.M)
    assert "/registry/nodes 下: 什么都没有" in out
    down = apiserver.output("before = c.etcd.revision")
    assert "503 ServiceUnavailable" in down and "revision 变化: 0" in down
    assert re.search(r"^web\s+4/4\s+4\s+4\s", down, re.M)  # back up, the Deployment converged
    assert re.search(r"^ERROR 410 Expired - too old resource version: 20 \(\d+\)$",
                     apiserver.output('resource_version="20")\nc.run(seconds=1)\nfor ev'), re.M)


def test_interview_request_steps_and_rbac(interview):
    steps = interview.output('c.kubectl("run demo --image=nginx")')
    stages = [line.split()[0] for line in steps.splitlines()[2:]]
    assert stages == ["authentication", "authorization", "defaulting", "mutating", "mutating", "validation",
                      "validating", "storage", "=>"]
    assert steps.rstrip().endswith("=> 201")
    answers = [line.split()[0] for line in interview.output("for who, what in [").splitlines()]
    assert answers == ["yes", "no", "yes", "no", "no"]
    garbage = interview.output('c.etcd.put("/registry/pods/default/garbage"')
    assert garbage.startswith("Error from server (InternalError): ") and "其他 Pod 照常列出" in garbage


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
    lost = page.output('c3.stop("kubelet/node-3")')
    assert re.search(r"node-3\s+NotReady", lost) and "NodeStatusUnknown" in lost
    assert re.search(r"nginx:1\.14\.2\s+About a minute ago\s+Running", lost)  # crictl: the container outlives its kubelet
    evicted = page.output("c3.run(seconds=320)")
    assert evicted.count("TaintManagerEviction") == 1 and evicted.count("Terminating") == 1  # node-3's web pod
    assert len(re.findall(r"web-\S+\s+1/1\s+Running", evicted)) == 3  # and its replacement already runs


# (page, a snippet of the block's code, a pattern its output must contain) -- each is a sentence
# of the page's prose about that output.
CLAIMS = [
    ("control-plane/kube-apiserver.md", 'c.get("deployment", "no-such-thing")',
     r'404 NotFound\nError from server \(NotFound\): deployments.apps "no-such-thing" not found'),
    ("control-plane/kube-apiserver.md", "c.api.create(\"deployments\", c.get(",
     r'409 AlreadyExists\nError from server \(AlreadyExists\): deployments.apps "web" already exists'),
    ("control-plane/kube-apiserver.md", '"metadata": {"name": "Bad_Name"}',
     r'422 Invalid\n- metadata.name: Invalid value: "Bad_Name"[\s\S]*`selector` does not match'),
    ("control-plane/kube-apiserver.md", 'a["spec"]["replicas"] = 3',
     r'B 更新失败: 409 Conflict\nOperation cannot be fulfilled on deployments.apps "web":\n  the object has been modified'),
    ("control-plane/kube-apiserver.md", "for attempt in range", r"^第 1 次尝试成功, replicas = 5$"),
    ("control-plane/kube-apiserver.md", "ev[\"object\"][\"spec\"][\"replicas\"]",
     r"^deployment.apps/web scaled\n\n(MODIFIED  web rv=\d+\s+spec.replicas=4 readyReplicas=\d\n)+$"),
    ("control-plane/etcd.md", "c.etcd.compact(rev_now)", r"compacted"),
    ("control-plane/etcd.md", "c.stop(old)",
     r"stopped  etcd-\d: Follower \(term 1\)[\s\S]*PreCandidate \(term 1\)[\s\S]*Leader \(term 2\)"
     r"[\s\S]*新 leader: etcd-\d\n[\s\S]*web\s+2/2"),
    ("control-plane/etcd.md", "c.partition([minority], majority)",
     r"\(少数派\): Error: etcdserver: (no leader|request timed out)\n.*\(多数派\):\s+OK"),
    ("control-plane/etcd.md", "c.heal()",
     r"etcd-1: \w+, term (\d+), applied (\d+), revision (\d+)\netcd-2: \w+, term \1, applied \2, revision \3\n"
     r"etcd-3: \w+, term \1, applied \2, revision \3\n/demo\nfrom-majority"),
    ("control-plane/etcd.md", "ttl = c.etcd.lease_timetolive", r"授予 TTL = 36\d\d 秒"),
    ("control-plane/kube-scheduler.md", 'c.kubectl("cordon node-1")',
     r"NodeUnschedulable[\s\S]*TaintToleration: node\(s\) had untolerated taint"),
    ("control-plane/kube-scheduler.md", "replicas=8",
     r"0/3 nodes are available: 1 Insufficient cpu, 1 node\(s\) had untolerated taint \{dedicated: gpu\}, "
     r"1 node\(s\) were unschedulable"),
    # kube-scheduler: anti-affinity, spreading + affinity scores, preemption with a PDB, a second
    # profile, a reader's plugin (upstream messages: interpodaffinity/filtering.go,
    # podtopologyspread/filtering.go, preemption.go prepareCandidate)
    ("control-plane/kube-scheduler.md", 'explain_text(f"default/{order[0]}")',
     r"\*node-3\s+passed\s+0→100\s+78→78\s+6→100[\s\S]*node-3\s+passed\s+0→100\s+59→59\s+9→66"),
    ("control-plane/kube-scheduler.md", "name: cache",
     r"<Pending>\n  0/3 nodes are available: 3 node\(s\) didn't match pod anti-affinity rules\."),
    ("control-plane/kube-scheduler.md", "whenUnsatisfiable: DoNotSchedule",
     r"\*node-2\s+passed\s+0→100\s+\d+→\d+\s+100→100[\s\S]*"
     r"node-3\s+PodTopologySpread: node\(s\) didn't match pod topology spread constraints"),
    ("control-plane/kube-scheduler.md", "maxUnavailable: 0", r"db\s+N/A\s+0\s+0\s"),
    ("control-plane/kube-scheduler.md", "name: urgent",
     r"^(?![\s\S]*Preempted db)Preempted web-\S+\n[\s\S]*DisruptionTarget PreemptionByScheduler\n"
     r"  default-scheduler: preempting to accommodate a higher priority pod\n"
     r"urgent nominatedNodeName: node-2\nweb-\S+\s+<Pending>[\s\S]*urgent node-2"),
    ("control-plane/kube-scheduler.md", "type: MostAllocated",
     r"(packed-\S+\s+node-2\n){3}(?![\s\S]*spread-\S+\s+node-2)[\s\S]*\*node-2\s+passed\s+60→60\s+300"),
    ("control-plane/kube-scheduler.md", "class PreferLabel",
     r"(db-\S+\s+node-3\n){2}[\s\S]*\*node-3\s+passed.*9→66.*100→100\s+901"),
    ("control-plane/kube-controller-manager.md", 'nginx:1.16.1', r"Scaled down replica set \S+ from 1 to 0"),
    ("control-plane/kube-controller-manager.md", 'c.delete("deployment", "web")',
     r"Terminating[\s\S]*5 秒后:\nNo resources found"),
    ("control-plane/kube-controller-manager.md", 'w.add_node("node-3")',
     r"fluentd-elasticsearch\s+2\s+2\s+2\s+2\s+2\s[\s\S]*-> node-3 Running[\s\S]*'not-ready', 'unreachable'"),
    ("control-plane/kube-controller-manager.md", 'storage: 1Gi',
     r"create Pod web-0 in StatefulSet web successful\n(?:(?!web-1).*\n)*.*Pod/web-0\s+Started container"
     r"[\s\S]*create Pod web-1[\s\S]*www-web-0\s+Bound[\s\S]*www-web-1\s+Bound"),
    ("control-plane/kube-controller-manager.md", 'delete pod web-0', r"web-0\s+1/1\s+Running[\s\S]*hello from web-0"),
    ("control-plane/kube-controller-manager.md", 'minAvailable: 2',
     r"web-pdb\s+2\s+N/A\s+0\s[\s\S]*Cannot evict pod as it would violate the pod's disruption budget"
     r"[\s\S]*global timeout reached: 20s"),
    ("control-plane/kube-controller-manager.md", 'autoscale deployment php-apache',
     r"cpu: \d+%/50%\s+1\s+10\s+1\s[\s\S]*cpu: \d+%/50%\s+1\s+10\s+4\s"),
    ("control-plane/kube-controller-manager.md", 'delete pod load-generator',
     r"New size: 4; reason: cpu resource utilization \(percentage of request\) above target[\s\S]*"
     r"\+(3[3-9]\d|4\d\d)\.\ds  New size: \d; reason: All metrics below target[\s\S]*cpu: 0%/50%\s+1\s+10\s+1\s"),
    ("control-plane/kube-controller-manager.md", 'delete namespace shop',
     r"Terminating  pods=0  \['NamespaceContentRemaining', 'NamespaceFinalizersRemaining'\][\s\S]*"
     r"example.com/backup in 1 resource instances\nError from server \(Forbidden\)[\s\S]*"
     r"unable to create new content in namespace shop because it is being terminated"),
    ("control-plane/kube-controller-manager.md", 'finalizers":null', r'namespaces "shop" not found'),
    ("control-plane/kube-controller-manager.md", 'r.stop("kube-controller-manager")',
     r"重启 30 秒后:\nNAME.*\n(web-\S+\s+4\s+4\s+4\s.*\nweb-\S+\s+0\s+0\s+0\s|web-\S+\s+0\s+0\s+0\s.*\nweb-\S+\s+4\s+4\s+4\s)"),
    ("control-plane/cloud-controller-manager.md", "cloud=False", r"LoadBalancer\s+\S+\s+<pending>"),
    ("control-plane/cloud-controller-manager.md", "c.run(seconds=10)",
     r"LoadBalancer\s+\S+\s+192\.0\.2\.10\s[\s\S]*EnsuringLoadBalancer[\s\S]*EnsuredLoadBalancer"),
    ("control-plane/cloud-controller-manager.md", 'c.remove_node("node-3")',
     r"NodeNotReady[\s\S]*DeletingNode: Node/node-3: Deleting node node-3 because it does not exist in the "
     r"cloud provider[\s\S]*UpdatedLoadBalancer[\s\S]*SuccessfulCreate"),
    ("control-plane/cloud-controller-manager.md", 'for m in c.cloud.list_machines()',
     r"providerID: k8score://k8score-1/k8score-1b/i-[0-9a-f]{17}\n[\s\S]*topology.kubernetes.io/zone=k8score-1b"
     r"\ntaints: \[\]"),
    ("node/container-runtime.md", "--replicas=6", r"already present on machine"),
    ("node/container-runtime.md", "nginx:1.14.2-doesnotexist", r"ImagePullBackOff[\s\S]*\(x2 over"),
    ("node/container-runtime.md", 'HELPERS = {"forbid_image"',
     r"RuntimeService（\d+ 个）:\n(?=(?:  .*\n)*  .*RunPodSandbox)(?=(?:  .*\n)*  .*GetContainerEvents)(?:  .*\n)+"
     r"ImageService（5 个）:\n  .*PullImage"),
    ("node/container-runtime.md", 'print("Version():"',
     r"RunPodSandbox[\s\S]*PullImage[\s\S]*CreateContainer[\s\S]*StartContainer[\s\S]*Version\(\): containerd "),
    ("node/container-runtime.md", 'crictl pods"), "POD ID"',
     r"(?m)^POD ID\s+CREATED\s+STATE\s+NAME\s+NAMESPACE\n[0-9a-f]{13}\s.*\sReady\s+web-"),
    ("node/container-runtime.md", 'crictl pods"), "POD ID"', r"(?m)^registry\.k8s\.io/pause\s+3\.10\s"),
    ("node/container-runtime.md", 'crictl pods"), "POD ID"', r"沙箱的 IP: (10\.244\.\d+\.\d+)\s+Pod 的 podIP: \1\n"),
    ("node/container-runtime.md", "victim = ",
     r"\+0\.00s  StopContainer\s+\S+ timeout=30\n[\s\S]*\+0\.[0-4]\ds  StopPodSandbox[\s\S]*RemoveContainer[\s\S]*"
     r"RemovePodSandbox"),
    ("node/container-runtime.md", "pod_dir = [d for d",
     r"(?m)^0\.log\n[\s\S]*^2026-01-01T[\d:.]+Z stdout F 0: Thu Jan  1 [\s\S]*nameserver 10\.96\.0\.10\n"
     r"options ndots:5"),
    ("node/container-runtime.md", 'c.stop(f"kubelet/{node}")',
     r"(?m)^2026-01-01T\d\d:\d\d:\d\d\.\d{9}Z \d+: [\s\S]*:10250: connect: connection refused\n"
     r"\$ crictl logs[^\n]*\n\d+: Thu Jan [\s\S]*\n\d+: Thu Jan "),
    ("node/container-runtime.md", "for flavour in",
     r"containerd://\d[\s\S]*0\.log: 2026-01-01T[\d:.]+Z stdout F hello\n[\s\S]*hello\s+0/1\s+Error\n"
     r"nocmd\s+0/1\s+StartError\n[\s\S]*exitCode=128[\s\S]*runc create failed[\s\S]*cri-o://\d[\s\S]*"
     r"0\.log: 2026-01-01T\d\d:\d\d:\d\d\.\d{9}\+00:00 stdout F hello\n[\s\S]*hello\s+0/1\s+Error\n"
     r"nocmd\s+0/1\s+CreateContainerError\n"),
    ("node/container-runtime.md", "for flavour in",
     r"^(?:[\s\S]*pause: registry\.k8s\.io/pause:3\.10   cgroupDriver: SYSTEMD\n){2}"),
    ("node/container-runtime.md", "example.com/my-app:v1",
     r"(?m)^busybox:1\.36\s+sh\s[\s\S]*^nginx:doesnotexist\s+（仓库里没有"),
    ("node/container-runtime.md", "name: once",
     r"once\s+0/1\s+Error\s[\s\S]*hello from once\n[\s\S]*something went wrong\n[\s\S]*exitCode=3 reason=Error"),
    ("node/container-runtime.md", "while [ $i -lt 1000 ]",
     r"<title>Welcome to nginx!</title>[\s\S]*\"GET / HTTP/1\.1\" 200 [\s\S]*1000 次循环用了 (1\.9|2\.[01]) 秒"),
    ("node/container-runtime.md", "def on_event(ev)",
     r"\+\s*0\.\ds\s+nginx\s+exitCode=0\s+Completed\n\+\s*(29|30|31)\.\ds\s+count\s+exitCode=137\s+Error"),
    ("node/container-runtime.md", "memory-demo-2-ctr",
     r"OOMKilled[\s\S]*CrashLoopBackOff\s+RESTARTS [2-9][\s\S]*Reason:\s+OOMKilled\n\s+Exit Code:\s+137"),
    ("node/kubelet.md", 'print("once 的 phase:"',
     r"once\s+0/1\s+Error\s+0[\s\S]*crash\s+0/1\s+CrashLoopBackOff[\s\S]*once 的 phase: Failed\nworking"),
    ("node/kubelet.md", "c.run(seconds=370)",
     r"（距上次启动\s+2\.\d 秒）[\s\S]*\s12\.\d 秒[\s\S]*\s22\.\d 秒[\s\S]*\s42\.\d 秒[\s\S]*\s82\.\d 秒"
     r"[\s\S]*162\.\d 秒[\s\S]*CrashLoopBackOff"),
    ("node/kubelet.md", 'print("Events:" + events)',
     r"RESTARTS[\s\S]*liveness-exec\s+1/1\s+Running\s+1 \(\d+s ago\)[\s\S]*Unhealthy\s+\S+ \(x3 over \S+\)\s+kubelet\s+"
     r"\S+ Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory[\s\S]*Killing"),
    ("node/kubelet.md", 'desc.index("    State:")', r"Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+137"),
    ("node/kubelet.md", "registry.k8s.io/e2e-test-images/agnhost:2.40",
     r"HTTP probe failed with statuscode: 500 \(x3\)\n\s*[\d.]+s  Killing"),
    ("node/kubelet.md", "name: goproxy",
     r"Running 之后\s+0\.0s: goproxy\s+0/1\s+Running[\s\S]*Running 之后 (1[5-9]|2[0-4])\.\ds: goproxy\s+1/1\s+Running"),
    ("node/kubelet.md", 'c.kubectl(f"exec {first} -- touch /tmp/ready")',
     r"shop\s+<none>[\s\S]*1/1\s+Running[\s\S]*shop\s+10\.244\.\d+\.\d+:80\s"),
    ("node/kubelet.md", 'wget -qO- shop', r'<title>Welcome to nginx!</title>\n\S+ - - \[[^\]]+\] "GET / HTTP/1\.1" 200 615[\s\S]*shop\s+<none>'),
    ("node/kubelet.md", "name: myapp-pod", r"myapp-pod\s+0/1\s+Init:0/2[\s\S]*waiting for myservice"),
    ("node/kubelet.md", "targetPort: 9377", r"myapp-pod\s+1/1\s+Running[\s\S]*The app is running!"),
    ("node/kubelet.md", 'c.api.watch("pods", on_event',
     r"sleeper\s+删除后 3\d\.\d 秒消失；退出码 137（Error）\nwebserver\s+删除后\s+[0-2]\.\d 秒消失；退出码 0（Completed）"),
    ("node/kubelet.md", 'delete pod static-web-node-1',
     r'deleted[\s\S]*static-web-node-1\s+1/1\s+Running[\s\S]*NotFound\): pods "static-web-node-1" not found'),
    ("node/kubelet.md", 'c2.stop("kube-apiserver")',
     r"was refused[\s\S]*Running\s+app\s+[1-9][\s\S]*flaky\s+0/1\s+\S+\s+[1-9]"),
    ("control-plane/kube-controller-manager.md", "print bpi(2000)",
     r"pi\s+Complete\s+1/1[\s\S]*3\.141592653589793238462643383279502884197169399375… （共 2000 位）"),
    ("control-plane/kube-controller-manager.md", "kind: CronJob",
     r"hello\s+\* \* \* \* \*[\s\S]*(Created job hello-\d+[\s\S]*){5}"),
    ("advantages.md", "my_scheduler_step()", r"Pending[\s\S]*my-scheduler: \S+ -> node-3[\s\S]*Running"),
    ("flow/create-deployment.md", "proxy.trace(",
     r"KUBE-SVC-2CMXP7HKUVJN7L6M\n  -> nat/KUBE-SEP-[\s\S]*被改写为 10\.244\."),
    ("interview.md", "proxy.trace(", r"node-3: 30 个发往 [\d.]+:80 的新连接 -> \{'10\.244\."),
    # the HA control plane (k8score.ha, k8score.leaderelection: client-go leaderelection's 15/10/2 s)
    ("advantages.md", "ha = Cluster(nodes=2, seed=0, control_planes=3)",
     r"控制平面 1: kube-apiserver-1  etcd-1  kube-scheduler-1  kube-controller-manager-1\n[\s\S]*"
     r"kube-controller-manager\s+control-plane-1_[0-9a-f-]{36}\s[\s\S]*kube-scheduler\s+control-plane-1_[0-9a-f-]{36}\s"),
    ("advantages.md", 'ha.stop("kube-apiserver-1")',
     r"node-1\s+Ready[\s\S]*负载均衡器转到: kube-apiserver-2[\s\S]*10 秒后:\nNAME.*\nweb\s+0/3[\s\S]*25 秒后:\nNAME.*\n"
     r"web\s+3/3[\s\S]*1[3-9]\.\ds  LeaderElection: Lease/kube-scheduler: control-plane-[23]_\S+ became leader\n"
     r"\s*1[3-9]\.\ds  LeaderElection: Lease/kube-controller-manager: control-plane-[23]_\S+ became leader"),
    ("advantages.md", "ha.stop(old)",
     r"停止 kube-controller-manager-\d，(1[3-9]|2[0-4])\.\d 秒后 kube-controller-manager-\d 接任[\s\S]*"
     r"holderIdentity: control-plane-\d_[\s\S]*leaseDurationSeconds: 15\n  leaseTransitions: 2\n"),
    ("advantages.md", "ha.stop(lead)",
     r"停止 etcd leader etcd-\d 后立刻: Error from server: etcdserver: request timed out\n[01]\.\d\d 秒后选出新 leader:\n"
     r"[\s\S]*leader\s+term 2[\s\S]*deployment.apps/web scaled\nNAME.*\nweb\s+4/4"),
    ("advantages.md", "ha.partition(",
     r"刚隔离，经 kube-apiserver-3 写入: Error from server: etcdserver: request timed out\n"
     r"2 秒后，经 kube-apiserver-3 写入: Error from server: etcdserver: no leader\n经负载均衡器写入: NAME\s+DATA\s+AGE\nmajority"
     r"[\s\S]*etcd-3\s+follower\s+term \d+\s+认为的 leader: 无[\s\S]*愈合 1 秒后，kube-apiserver-3 也读得到: \{'k': 'v'\}\n"
     r"各成员的 revision: \{'etcd-1': (\d+), 'etcd-2': \1, 'etcd-3': \1\}"),
    ("interview.md", "ha = Cluster(nodes=1, seed=0, control_planes=3)",
     r"^NAME\s+STATUS[\s\S]*负载均衡器转到: kube-apiserver-2\nThe connection to the server 192\.168\.0\.9:6443 was refused"
     r"[\s\S]*\nnode-1\s+Ready"),
    ("interview.md", "second = next(",
     r"停止 etcd-\d 后立刻: Error from server: etcdserver: request timed out\n[01]\.\d\d 秒后: [\s\S]*node-1\s+Ready[\s\S]*"
     r"(  立刻 kube-apiserver-\d: Error from server: etcdserver: request timed out\n){3}"
     r"(  2\.5 秒后 kube-apiserver-\d: Error from server: etcdserver: no leader\n){3}两个成员回来后:[\s\S]*node-1\s+Ready"),
    ("interview.md", 'ha.replicas["kube-scheduler"]',
     r"leaseDurationSeconds: 15\n  leaseTransitions: 0[\s\S]*\('kube-scheduler-1', 'leader'\), \('kube-scheduler-2', 'standby'\), "
     r"\('kube-scheduler-3', 'standby'\)\]\n停止 kube-scheduler-1，(1[3-9]|2[0-4])\.\d 秒后 kube-scheduler-[23] 接任\n"
     r"\s*(\S+)s  default-scheduler\s+LeaderElection: Lease/kube-scheduler: control-plane-[23]_\S+ became leader\n"
     r"\s*\2s  default-scheduler\s+Scheduled: Pod/waiting[\s\S]*leaseTransitions: 1"),
]


_RUN_PAGES: dict[str, Page] = {}  # each page runs once for all its claims


@pytest.mark.parametrize("rel,marker,pattern", CLAIMS, ids=[f"{c[0]}:{c[1][:24]}" for c in CLAIMS])
def test_page_prose_matches_block_output(rel, marker, pattern):
    if rel not in _RUN_PAGES:
        _RUN_PAGES[rel] = Page(rel)
    out = _RUN_PAGES[rel].output(marker)
    assert re.search(pattern, out), out
