"""kubectl describe for StatefulSets, DaemonSets, Jobs, CronJobs, Roles and ClusterRoles.

Upstream: staging/src/k8s.io/kubectl/pkg/describe/describe.go (describeStatefulSet,
describeDaemonSet, describeJob, describeCronJob, describeJobTemplate, printActiveJobs,
capIndexesListOrNone, RoleDescriber, CombineResourceGroup, describeContainerEnvVars),
kubectl/pkg/util/rbac/rbac.go (BreakdownRule, CompactRules, SortableRuleSlice) and the
generated PolicyRule.String() of k8s.io/api rbac/v1. Byte-for-byte agreement with the real
binary is checked in tests/test_kubectl_differential.py; these are hand cases of the rules.
"""

from __future__ import annotations

from k8score.kubectl.describe_rbac import (breakdown_rule, combine_resource_group, compact_rules, describe_role,
                                           rule_string, sort_rules)
from k8score.kubectl.describe_workloads import (describe_cronjob, describe_daemonset, describe_job,
                                                describe_statefulset)

TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}}


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.split("\n")]


# -- rbac ------------------------------------------------------------------------------------
def test_breakdown_is_group_by_resource_by_verb_by_name_then_urls():
    rule = {"apiGroups": ["", "apps"], "resources": ["pods"], "verbs": ["get", "list"],
            "resourceNames": ["a", "b"], "nonResourceURLs": ["/x"]}
    out = breakdown_rule(rule)
    assert [(r["apiGroups"][0], r["verbs"][0], r.get("resourceNames", [None])[0]) for r in out[:4]] == \
        [("", "get", "a"), ("", "get", "b"), ("", "list", "a"), ("", "list", "b")]
    assert len(out) == 2 * 1 * 2 * 2 + 2
    assert out[-2:] == [{"nonResourceURLs": ["/x"], "verbs": ["get"]}, {"nonResourceURLs": ["/x"], "verbs": ["list"]}]
    assert breakdown_rule({"apiGroups": [""], "resources": ["pods"], "verbs": []}) == []


def test_compact_merges_verbs_per_resource_and_name_in_first_seen_order():
    broken = [sub for rule in (
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["watch", "get"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
        {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["p1"], "verbs": ["delete"]},
        {"nonResourceURLs": ["/healthz"], "verbs": ["get"]},
        {"nonResourceURLs": ["/healthz"], "verbs": ["get"]}) for sub in breakdown_rule(rule)]
    out = compact_rules(broken)
    # non-resource rules are never simple: kept as they are, duplicates too, ahead of the simple ones
    assert out[:2] == [{"nonResourceURLs": ["/healthz"], "verbs": ["get"]}] * 2
    assert out[2] == {"apiGroups": [""], "resources": ["pods"], "verbs": ["watch", "get", "list"]}
    assert out[3] == {"apiGroups": [""], "resources": ["pods"], "resourceNames": ["p1"], "verbs": ["delete"]}
    assert broken[0]["verbs"] == ["watch"]   # the input is not modified


def test_sort_is_by_go_string_so_verbs_decide_first():
    a = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    b = {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}
    c = {"nonResourceURLs": ["/metrics"], "verbs": ["get"]}
    assert rule_string(a) == "&PolicyRule{Verbs:[get],APIGroups:[],Resources:[pods],ResourceNames:[],NonResourceURLs:[],}"
    # "[get list]" < "[get]" (space before ']'), then APIGroups "[]" < "[apps]"... bytewise
    assert sort_rules([a, c, b]) == [b, c, a]
    assert sort_rules([c, a]) == [c, a] and sort_rules([a, c]) == [c, a]


def test_combine_resource_group():
    assert combine_resource_group(["pods"], [""]) == "pods"
    assert combine_resource_group(["deployments/scale"], ["apps"]) == "deployments.apps/scale"
    assert combine_resource_group([], ["apps"]) == ""
    assert combine_resource_group(["*"], ["*"]) == "*.*"


def test_describe_role_table():
    role = {"metadata": {"name": "mixed", "namespace": "shop", "labels": {"t": "1"}}, "rules": [
        {"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a", "b"], "verbs": ["get"]},
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"]},
        {"nonResourceURLs": ["/api", "/apis/*"], "verbs": ["get"]}]}
    assert _lines(describe_role(role)) == [
        "Name:         mixed",
        "Labels:       t=1",
        "Annotations:  <none>",
        "PolicyRule:",
        "  Resources   Non-Resource URLs  Resource Names  Verbs",
        "  ---------   -----------------  --------------  -----",
        "              [/api]             []              [get]",
        "              [/apis/*]          []              [get]",
        "  configmaps  []                 [a]             [get]",
        "  configmaps  []                 [b]             [get]",
        "  configmaps  []                 []              [list]",
        ""]
    empty = describe_role({"metadata": {"name": "none"}})
    assert empty.endswith("  ---------  -----------------  --------------  -----\n")
    assert "Namespace" not in empty and "Events" not in empty


# -- workloads ---------------------------------------------------------------------------------
def test_job_fields_appear_only_when_set_and_indexes_are_capped():
    job = {"metadata": {"name": "j", "namespace": "d", "ownerReferences": [
        {"kind": "CronJob", "name": "tick", "controller": True}]},
        "spec": {"completionMode": "Indexed", "completions": 100, "parallelism": 5, "suspend": True,
                 "activeDeadlineSeconds": 60, "ttlSecondsAfterFinished": 0, "template": TEMPLATE},
        "status": {"active": 2, "failed": 1, "startTime": "2026-01-01T00:00:00Z",
                   "completionTime": "2026-01-01T00:02:05Z",
                   "completedIndexes": ",".join(str(i) for i in range(40))}}
    lines = _lines(describe_job(job, None, 0.0))
    text = "\n".join(lines)
    assert "Controlled By:               CronJob/tick" in lines
    assert "Suspend:                     true" in lines            # %v of a bool
    assert "TTL Seconds After Finished:  0" in lines
    assert "Active Deadline Seconds:     60s" in lines
    assert "Duration:                    2m5s" in lines
    assert "Pods Statuses:               2 Active / 0 Succeeded / 1 Failed" in lines   # no status.ready
    capped = ",".join(str(i) for i in range(21)) + ","         # the first comma at index >= 50
    assert f"Completed Indexes:           {capped}..." in lines
    assert "Backoff Limit" not in text and "Events" not in text
    unset = _lines(describe_job({"metadata": {"name": "j"}, "spec": {"template": TEMPLATE},
                                 "status": {"ready": 0}}, [], 0.0))
    assert "Completions:    <unset>" in unset
    assert [line.split() for line in unset if line.startswith("Events:")] == [["Events:", "<none>"]]
    assert "Pods Statuses:  0 Active (0 Ready) / 0 Succeeded / 0 Failed" in unset


def test_cronjob_prints_unset_fields_and_active_jobs():
    cj = {"metadata": {"name": "tick", "namespace": "d"},
          "spec": {"schedule": "*/5 * * * *", "concurrencyPolicy": "Forbid", "suspend": False, "timeZone": "UTC",
                   "startingDeadlineSeconds": 30, "jobTemplate": {"spec": {"activeDeadlineSeconds": 9,
                                                                           "template": TEMPLATE}}},
          "status": {"active": [{"name": "tick-1"}, {"name": "tick-2"}], "lastScheduleTime": "2026-01-01T00:05:00Z"}}
    lines = _lines(describe_cronjob(cj, None, 0.0))
    assert lines[4:14] == [
        "Schedule:                      */5 * * * *",
        "Concurrency Policy:            Forbid",
        "Suspend:                       False",            # printBoolPtr, not %v
        "Time Zone:                     UTC",
        "Successful Job History Limit:  <unset>",
        "Failed Job History Limit:      <unset>",
        "Starting Deadline Seconds:     30s",
        "Selector:                      <unset>",
        "Parallelism:                   <unset>",
        "Completions:                   <unset>"]
    assert "Active Deadline Seconds:       9s" in lines
    assert "Last Schedule Time:  Thu, 01 Jan 2026 00:05:00 +0000" in lines
    assert "Active Jobs:         tick-1, tick-2" in lines


def _owned(uid: str, phase: str) -> dict:
    return {"metadata": {"ownerReferences": [{"uid": uid, "controller": True}]}, "status": {"phase": phase}}


def test_statefulset_counts_only_its_pods_and_shows_partition_and_claims():
    sts = {"metadata": {"name": "db", "namespace": "data", "uid": "u1", "creationTimestamp": "2026-01-01T00:00:00Z"},
           "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "db"}}, "serviceName": "db",
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1, "maxUnavailable": 2}},
                    "template": TEMPLATE, "volumeClaimTemplates": [
                        {"metadata": {"name": "data", "annotations": {"volume.beta.kubernetes.io/storage-class": "fast"}},
                         "spec": {"accessModes": ["ReadWriteOnce", "ReadOnlyMany"], "storageClassName": "slow"}}]},
           "status": {"replicas": 2}}
    pods = [_owned("u1", "Running"), _owned("u1", "Pending"), _owned("other", "Running"), {"status": {"phase": "Running"}}]
    lines = _lines(describe_statefulset(sts, pods, None, 0.0))
    assert "Replicas:           3 desired | 2 total" in lines
    assert lines[lines.index("Update Strategy:    RollingUpdate") + 1:][:2] == [
        "  Partition:        1", "  MaxUnavailable:   2"]
    assert "Pods Status:        1 Running / 1 Waiting / 0 Succeeded / 0 Failed" in lines
    claims = lines[lines.index("Volume Claims:") + 1:]
    assert claims[:6] == ["  Name:          data", "  StorageClass:  fast",   # the beta annotation wins
                          "  Labels:        <none>",
                          "  Annotations:   volume.beta.kubernetes.io/storage-class=fast",   # k=v, like labels
                          "  Capacity:      <default>", "  Access Modes:  [ReadWriteOnce ReadOnlyMany]"]
    # no partition: MaxUnavailable is not shown either
    sts["spec"]["updateStrategy"]["rollingUpdate"] = {"maxUnavailable": 2}
    assert "MaxUnavailable" not in describe_statefulset(sts, pods, None, 0.0)


def test_daemonset_counters_are_untabbed_lines_and_template_env_is_unresolved():
    template = {"spec": {"nodeSelector": {"os": "linux"}, "containers": [{"name": "c", "image": "i", "env": [
        {"name": "NODE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
        {"name": "CPU", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "requests.memory", "divisor": "1Mi"}}},
        {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "pw", "optional": True}}},
        {"name": "MULTI", "value": "a\nb"}],
        "resources": {"requests": {"memory": "1537Ki"}}}]}}
    ds = {"metadata": {"name": "agent", "namespace": "d", "uid": "u"}, "spec": {"template": template},
          "status": {"desiredNumberScheduled": 3, "numberMisscheduled": 1}}
    lines = _lines(describe_daemonset(ds, [_owned("u", "Failed")], None, 0.0))
    assert "Node-Selector:  os=linux" in lines
    assert "Desired Number of Nodes Scheduled: 3" in lines and "Number of Nodes Misscheduled: 1" in lines
    assert "Pods Status:  0 Running / 0 Waiting / 0 Succeeded / 1 Failed" in lines
    env = lines[lines.index("    Environment:") + 1:][:6]
    # one column block down to Tolerations: the cells pad to "  Node-Selectors:"
    assert env == ["      NODE:         (v1:spec.nodeName)",    # no pod: the value prints empty
                   "      CPU:         node allocatable (limits.cpu)",
                   "      MEM:         2 (requests.memory)",   # ceil(1537Ki / 1Mi)
                   "      PW:          <set to the key 'pw' in secret 'creds'>  Optional: true",
                   "      MULTI:       a",
                   "                   b"]
