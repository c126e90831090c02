"""``kubectl describe`` for the workload controllers' objects: StatefulSet, DaemonSet, Job and
CronJob, laid out as kubectl/pkg/describe/describe.go does (describeStatefulSet,
describeDaemonSet, describeJob, describeCronJob + describeJobTemplate, printActiveJobs,
describeVolumeClaimTemplates).

The describers are pure: they take the object, the pods its selector lists (StatefulSet and
DaemonSet count the ones they control, getPodStatusForController), the events, and the
virtual ``now``. :func:`describe_workload` fetches those through a client, as the
describers' ``Describe`` methods do, for ``kubectl describe``'s dispatch.

>>> print(describe_job({"metadata": {"name": "once", "namespace": "default"},
...     "spec": {"parallelism": 1, "completions": 1, "backoffLimit": 6,
...              "selector": {"matchLabels": {"job-name": "once"}},
...              "template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}},
...     "status": {"active": 1}}, None, 0.0), end="")
Name:           once
Namespace:      default
Selector:       job-name=once
Labels:         <none>
Annotations:    <none>
Parallelism:    1
Completions:    1
Backoff Limit:  6
Pods Statuses:  1 Active / 0 Succeeded / 0 Failed
Pod Template:
  Labels:  <none>
  Containers:
   c:
    Image:         busybox
    Port:          <none>
    Host Port:     <none>
    Environment:   <none>
    Mounts:        <none>
  Volumes:         <none>
  Node-Selectors:  <none>
  Tolerations:     <none>
"""

from __future__ import annotations

from typing import Any

from ..api.quantity import canonical
from ..api.storagehelpers import claim_class
from .columns import format_labels, selector_string
from .describe import _pod_template, _pods_status
from .describe_blocks import Writer, controller_of, meta_of, write_events, write_header, write_labels
from .timefmt import human_duration, rfc1123z, seconds_of

__all__ = ["describe_statefulset", "describe_daemonset", "describe_job", "describe_cronjob",
           "describe_workload", "DESCRIBED"]


def _go_bool(value: object) -> str:
    """Go's ``%v`` of a bool."""
    return "true" if value else "false"


def _bool_ptr(value: object) -> str:
    """describe.go printBoolPtr: ``True``/``False``, ``<unset>`` for nil."""
    return "<unset>" if value is None else ("True" if value else "False")


def _volume_claim_templates(w: Writer, templates: list | None) -> None:
    """describe.go describeVolumeClaimTemplates: annotations print like labels (``k=v``)."""
    if not templates:
        w.write(0, "Volume Claims:\t<none>\n")
        return
    w.write(0, "Volume Claims:\n")
    for pvc in templates:
        meta, spec = meta_of(pvc), pvc.get("spec") or {}
        w.write(1, f"Name:\t{meta.get('name', '')}\n")
        w.write(1, f"StorageClass:\t{claim_class(pvc)}\n")
        write_labels(w, "Labels", meta.get("labels"), indent="  ")
        write_labels(w, "Annotations", meta.get("annotations"), indent="  ")
        storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage")
        w.write(1, f"Capacity:\t{canonical(storage) if storage is not None else '<default>'}\n")
        # %s of a []PersistentVolumeAccessMode: [ReadWriteOnce ReadOnlyMany]
        w.write(1, f"Access Modes:\t[{' '.join(spec.get('accessModes') or ())}]\n")


def describe_statefulset(sts: dict, pods: list[dict], events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(sts), sts.get("spec") or {}, sts.get("status") or {}
    w = Writer()
    write_header(w, meta, [("CreationTimestamp", rfc1123z(meta.get("creationTimestamp"))),
                           ("Selector", selector_string(spec.get("selector")))])
    if spec.get("serviceName"):
        w.write(0, f"Service Name:\t{spec['serviceName']}\n")
    if spec.get("podManagementPolicy"):
        w.write(0, f"Pod Management Policy:\t{spec['podManagementPolicy']}\n")
    w.write(0, f"Replicas:\t{spec.get('replicas', 1)} desired | {st.get('replicas', 0)} total\n")
    strategy = spec.get("updateStrategy") or {}
    w.write(0, f"Update Strategy:\t{strategy.get('type', '')}\n")
    ru = strategy.get("rollingUpdate")
    if ru and ru.get("partition") is not None:   # MaxUnavailable is shown only with a partition
        w.write(1, f"Partition:\t{ru['partition']}\n")
        if ru.get("maxUnavailable") is not None:
            w.write(1, f"MaxUnavailable:\t{ru['maxUnavailable']}\n")
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        w.write(0, "Persistent Volume Claim Retention Policy:\n")
        w.write(1, f"WhenDeleted:\t{retention.get('whenDeleted', '')}\n")
        w.write(1, f"WhenScaled:\t{retention.get('whenScaled', '')}\n")
    w.write(0, f"Pods Status:\t{_pods_status(pods, meta.get('uid', ''))}\n")
    _pod_template(w, spec.get("template"))
    _volume_claim_templates(w, spec.get("volumeClaimTemplates"))
    write_events(w, events, now)
    return w.text()


def describe_daemonset(ds: dict, pods: list[dict], events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(ds), ds.get("spec") or {}, ds.get("status") or {}
    template = spec.get("template") or {}
    w = Writer()
    write_header(w, meta, [("Selector", selector_string(spec.get("selector"))),
                           ("Node-Selector", format_labels((template.get("spec") or {}).get("nodeSelector")))])
    # no tabs: these five lines end the column block (upstream writes them so)
    w.write(0, f"Desired Number of Nodes Scheduled: {st.get('desiredNumberScheduled', 0)}\n")
    w.write(0, f"Current Number of Nodes Scheduled: {st.get('currentNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Up-to-date Pods: {st.get('updatedNumberScheduled', 0)}\n")
    w.write(0, f"Number of Nodes Scheduled with Available Pods: {st.get('numberAvailable', 0)}\n")
    w.write(0, f"Number of Nodes Misscheduled: {st.get('numberMisscheduled', 0)}\n")
    w.write(0, f"Pods Status:\t{_pods_status(pods, meta.get('uid', ''))}\n")
    _pod_template(w, template)
    write_events(w, events, now)
    return w.text()


def _completed_indexes(indexes: str, soft_limit: int = 50) -> str:
    """describe.go capIndexesListOrNone: cut after the first comma at or past ``soft_limit``."""
    if not indexes:
        return "<none>"
    cut = indexes.find(",", soft_limit)
    return indexes if cut < 0 else indexes[:cut + 1] + "..."


def describe_job(job: dict, events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(job), job.get("spec") or {}, job.get("status") or {}
    w = Writer()
    write_header(w, meta, [("Selector", selector_string(spec.get("selector")))])
    if controller_of(job):
        w.write(0, f"Controlled By:\t{controller_of(job)}\n")
    if spec.get("parallelism") is not None:
        w.write(0, f"Parallelism:\t{spec['parallelism']}\n")
    w.write(0, f"Completions:\t{spec['completions'] if spec.get('completions') is not None else '<unset>'}\n")
    if spec.get("completionMode") is not None:
        w.write(0, f"Completion Mode:\t{spec['completionMode']}\n")
    if spec.get("suspend") is not None:
        w.write(0, f"Suspend:\t{_go_bool(spec['suspend'])}\n")
    if spec.get("backoffLimit") is not None:
        w.write(0, f"Backoff Limit:\t{spec['backoffLimit']}\n")
    if spec.get("ttlSecondsAfterFinished") is not None:
        w.write(0, f"TTL Seconds After Finished:\t{spec['ttlSecondsAfterFinished']}\n")
    start, done = st.get("startTime"), st.get("completionTime")
    if start:
        w.write(0, f"Start Time:\t{rfc1123z(start)}\n")
    if done:
        w.write(0, f"Completed At:\t{rfc1123z(done)}\n")
    if start and done:
        t0, t1 = seconds_of(start), seconds_of(done)
        if t0 is not None and t1 is not None:
            w.write(0, f"Duration:\t{human_duration(t1 - t0)}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    counts = f"{st.get('succeeded', 0)} Succeeded / {st.get('failed', 0)} Failed"
    if st.get("ready") is None:
        w.write(0, f"Pods Statuses:\t{st.get('active', 0)} Active / {counts}\n")
    else:
        w.write(0, f"Pods Statuses:\t{st.get('active', 0)} Active ({st['ready']} Ready) / {counts}\n")
    if spec.get("completionMode") == "Indexed":
        w.write(0, f"Completed Indexes:\t{_completed_indexes(st.get('completedIndexes') or '')}\n")
    _pod_template(w, spec.get("template"))
    write_events(w, events, now)
    return w.text()


def _job_template(w: Writer, template: dict | None) -> None:
    """describe.go describeJobTemplate: unset fields print ``<unset>``."""
    spec = (template or {}).get("spec") or {}
    w.write(0, f"Selector:\t{selector_string(spec['selector']) if spec.get('selector') is not None else '<unset>'}\n")
    for title, key in (("Parallelism", "parallelism"), ("Completions", "completions")):
        w.write(0, f"{title}:\t{spec[key] if spec.get(key) is not None else '<unset>'}\n")
    if spec.get("activeDeadlineSeconds") is not None:
        w.write(0, f"Active Deadline Seconds:\t{spec['activeDeadlineSeconds']}s\n")
    _pod_template(w, spec.get("template"))


def describe_cronjob(cj: dict, events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(cj), cj.get("spec") or {}, cj.get("status") or {}
    w = Writer()
    write_header(w, meta)
    w.write(0, f"Schedule:\t{spec.get('schedule', '')}\n")
    w.write(0, f"Concurrency Policy:\t{spec.get('concurrencyPolicy', '')}\n")
    w.write(0, f"Suspend:\t{_bool_ptr(spec.get('suspend'))}\n")

    def unset(key: str, suffix: str = "") -> str:
        return "<unset>" if spec.get(key) is None else f"{spec[key]}{suffix}"
    w.write(0, f"Time Zone:\t{unset('timeZone')}\n")
    w.write(0, f"Successful Job History Limit:\t{unset('successfulJobsHistoryLimit')}\n")
    w.write(0, f"Failed Job History Limit:\t{unset('failedJobsHistoryLimit')}\n")
    w.write(0, f"Starting Deadline Seconds:\t{unset('startingDeadlineSeconds', 's')}\n")
    _job_template(w, spec.get("jobTemplate"))
    last = st.get("lastScheduleTime")
    w.write(0, f"Last Schedule Time:\t{rfc1123z(last) if last else '<unset>'}\n")
    # printActiveJobs: the names, comma-separated, in status order
    active = [ref.get("name", "") for ref in st.get("active") or ()]
    w.write(0, f"Active Jobs:\t{', '.join(active) if active else '<none>'}\n")
    write_events(w, events, now)
    return w.text()


#: the plurals :func:`describe_workload` handles
DESCRIBED = ("statefulsets", "daemonsets", "jobs", "cronjobs")


def describe_workload(client: Any, plural: str, obj: dict, events: list[dict] | None, now: float) -> str:
    """The describers' ``Describe``: StatefulSets and DaemonSets list their selector's pods in
    their namespace (getPodStatusForController keeps the ones they control)."""
    if plural in ("statefulsets", "daemonsets"):
        selector = selector_string((obj.get("spec") or {}).get("selector"))
        pods = client.list("pods", namespace=meta_of(obj).get("namespace"), label_selector=selector)["items"]
        if plural == "statefulsets":
            return describe_statefulset(obj, pods, events, now)
        return describe_daemonset(obj, pods, events, now)
    if plural == "jobs":
        return describe_job(obj, events, now)
    if plural == "cronjobs":
        return describe_cronjob(obj, events, now)
    raise ValueError(f"no workload describer for {plural}")
