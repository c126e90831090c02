"""``kubectl rollout status|history|undo`` and ``kubectl set image`` for Deployments.

The simulator cannot block, so ``rollout status`` takes one look (as ``--watch=false``
does) and prints upstream's message for what it sees.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from . import helptext
from .args import Args, CommandError
from .history import HISTORY_KINDS, view_history
from .reads import fetch, targets

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: deploymentutil.RevisionAnnotation / corev1 change-cause annotation
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
_TEMPLATE_HASH = "pod-template-hash"


def rollout(k: "Kubectl", args: Args, stdin: str | None) -> None:
    sub = args.args[0] if args.args else ""
    if not sub:  # rollout.go: DefaultSubCommandRun prints the help, exit 1
        k.out(helptext.ROLLOUT)
        k.last_exit_code = 1
        return
    handlers = {"status": _status, "history": None, "undo": _undo}   # history: per kind, below
    if sub not in handlers:
        raise CommandError(f'error: "kubectl rollout {sub}" is not available in this simulated cluster '
                           "(supported: rollout status, history, undo)")
    if len(args.args) < 2:
        raise CommandError(f"error: required resource not specified\nSee 'kubectl rollout {sub} -h' "
                           "for help and examples")
    revision = _revision_flag(args) if sub == "history" else 0
    for info, wanted in targets(k, args.args[1:]):
        if sub == "status" and info.plural in _STATUS_VIEWERS:
            for obj in fetch(k, info, wanted, args):
                k.out(_STATUS_VIEWERS[info.plural](obj))
            continue
        if sub == "history":
            if info.plural not in HISTORY_KINDS:   # history.go HistoryViewerFor: GroupKind.String()
                raise CommandError(f'error: no history viewer has been implemented for "{info.kind}'
                                   f'{"." + info.group if info.group else ""}"')
            for obj in fetch(k, info, wanted, args):
                _history(k, info, obj, revision)
            continue
        if info.plural != "deployments":
            raise CommandError(f"error: no {'status viewer' if sub == 'status' else 'history viewer'} "
                               f"has been implemented for {info.kind}")
        for d in fetch(k, info, wanted, args):
            handlers[sub](k, d, args)


def _rolling_only(obj: dict) -> None:
    strategy = (obj.get("spec") or {}).get("updateStrategy") or {}
    if strategy.get("type") == "OnDelete":
        raise CommandError("error: rollout status is only available for RollingUpdate strategy type")


def daemonset_status(ds: dict) -> str:
    """polymorphichelpers/rollout_status.go DaemonSetStatusViewer.Status."""
    _rolling_only(ds)
    meta, st = ds.get("metadata") or {}, ds.get("status") or {}
    name = meta.get("name", "")
    if meta.get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for daemon set spec update to be observed..."
    desired = st.get("desiredNumberScheduled", 0)
    if st.get("updatedNumberScheduled", 0) < desired:
        return (f'Waiting for daemon set "{name}" rollout to finish: {st.get("updatedNumberScheduled", 0)} '
                f"out of {desired} new pods have been updated...")
    if st.get("numberAvailable", 0) < desired:
        return (f'Waiting for daemon set "{name}" rollout to finish: {st.get("numberAvailable", 0)} of '
                f"{desired} updated pods are available...")
    return f'daemon set "{name}" successfully rolled out'


def statefulset_status(sts: dict) -> str:
    """polymorphichelpers/rollout_status.go StatefulSetStatusViewer.Status."""
    _rolling_only(sts)
    meta, spec, st = sts.get("metadata") or {}, sts.get("spec") or {}, sts.get("status") or {}
    if not st.get("observedGeneration") or meta.get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for statefulset spec update to be observed..."
    replicas = spec.get("replicas", 1)
    if st.get("readyReplicas", 0) < replicas:
        return f"Waiting for {replicas - st.get('readyReplicas', 0)} pods to be ready..."
    rolling = (spec.get("updateStrategy") or {}).get("rollingUpdate")
    if rolling is not None:
        # any rollingUpdate (the API server defaults one, partition 0) takes this branch upstream
        partition = rolling.get("partition")
        if partition is not None and st.get("updatedReplicas", 0) < replicas - partition:
            return (f"Waiting for partitioned roll out to finish: {st.get('updatedReplicas', 0)} out of "
                    f"{replicas - partition} new pods have been updated...")
        return f"partitioned roll out complete: {st.get('updatedReplicas', 0)} new pods have been updated..."
    if st.get("updateRevision") != st.get("currentRevision"):
        return (f"waiting for statefulset rolling update to complete {st.get('updatedReplicas', 0)} pods at "
                f"revision {st.get('updateRevision')}...")
    return (f"statefulset rolling update complete {st.get('currentReplicas', 0)} pods at revision "
            f"{st.get('currentRevision')}...")


_STATUS_VIEWERS = {"daemonsets": daemonset_status, "statefulsets": statefulset_status}


def rollout_status(d: dict) -> str:
    """polymorphichelpers/rollout_status.go DeploymentStatusViewer.Status."""
    meta, spec, st = d.get("metadata") or {}, d.get("spec") or {}, d.get("status") or {}
    name = meta.get("name", "")
    if meta.get("generation", 0) > st.get("observedGeneration", 0):
        return "Waiting for deployment spec update to be observed..."
    for c in st.get("conditions") or ():
        if c.get("type") == "Progressing" and c.get("reason") == "ProgressDeadlineExceeded":
            raise CommandError(f'error: deployment "{name}" exceeded its progress deadline')
    replicas, updated = spec.get("replicas", 1), st.get("updatedReplicas", 0)
    if updated < replicas:
        return (f'Waiting for deployment "{name}" rollout to finish: {updated} out of {replicas} new replicas '
                "have been updated...")
    if st.get("replicas", 0) > updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {st["replicas"] - updated} old replicas '
                "are pending termination...")
    if st.get("availableReplicas", 0) < updated:
        return (f'Waiting for deployment "{name}" rollout to finish: {st.get("availableReplicas", 0)} of '
                f"{updated} updated replicas are available...")
    return f'deployment "{name}" successfully rolled out'


def _status(k: "Kubectl", d: dict, args: Args) -> None:
    k.out(rollout_status(d))


def _owned(k: "Kubectl", d: dict) -> list[dict]:
    uid = (d.get("metadata") or {}).get("uid")
    rss = k.client.list("replicasets", namespace=d["metadata"].get("namespace"))["items"]
    return [rs for rs in rss if any(r.get("uid") == uid and r.get("controller")
                                    for r in (rs.get("metadata") or {}).get("ownerReferences") or ())]


def _revision(rs: dict) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, 0))
    except ValueError:
        return 0


def _revision_flag(args: Args) -> int:
    """rollout_history.go --revision (int64; 0: the whole table)."""
    value = args.get("revision", 0)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CommandError(f'error: invalid argument "{value}" for "--revision" flag: strconv.ParseInt: '
                           f'parsing "{value}": invalid syntax\nSee \'kubectl rollout history --help\' '
                           "for usage.") from None


def _history(k: "Kubectl", info, obj: dict, revision: int) -> None:
    """rollout_history.go Run: the viewer's text through a name printer whose operation is
    ``with revision #N`` (or empty) + newline + the text: ``<kind>.<group>/<name> <op>\n<text>\n``."""
    text = view_history(k.client, info.plural, obj, revision)
    operation = f"with revision #{revision}" if revision > 0 else ""
    kind = info.kind.lower() + (f".{info.group}" if info.group else "")
    k.out_raw(f"{kind}/{obj['metadata']['name']} {operation}\n{text}\n")


def _undo(k: "Kubectl", d: dict, args: Args) -> None:
    """polymorphichelpers/rollback.go DeploymentRollbacker: copy an older ReplicaSet's template back."""
    name = d["metadata"]["name"]
    rss = sorted(_owned(k, d), key=_revision)
    current = max((_revision(r) for r in rss), default=0)
    older = [r for r in rss if 0 < _revision(r) < current]
    if not older:
        raise CommandError(f'error: no rollout history found for deployment "{name}"')
    target = older[-1]
    template = copy.deepcopy((target.get("spec") or {}).get("template") or {})
    labels = (template.get("metadata") or {}).get("labels") or {}
    labels.pop(_TEMPLATE_HASH, None)
    k.client.patch("deployments", name, [{"op": "replace", "path": "/spec/template", "value": template}],
                   patch_type="json", namespace=d["metadata"].get("namespace"))
    k.out(f"deployment.apps/{name} rolled back")


def set_image(k: "Kubectl", args: Args, stdin: str | None) -> None:
    """``kubectl set image deployment/web nginx=nginx:1.16.1`` (``*=`` sets every container)."""
    if not args.args or args.args[0] != "image":
        sub = args.args[0] if args.args else ""
        raise CommandError(f'error: "kubectl set {sub}" is not available in this simulated cluster '
                           "(supported: set image)")
    rest = args.args[1:]
    pairs = [a for a in rest if "=" in a]
    resources = [a for a in rest if "=" not in a]
    if not pairs:
        raise CommandError("error: at least one image update is required")
    if not resources:
        raise CommandError("error: one or more resources must be specified as <resource> <name> or "
                           "<resource>/<name>")
    images = dict(p.split("=", 1) for p in pairs)
    for info, wanted in targets(k, resources):
        if info.plural not in ("deployments", "replicasets", "pods"):
            raise CommandError(f"error: cannot set image on {info.plural}")
        for obj in fetch(k, info, wanted, args):
            spec = obj["spec"]["template"]["spec"] if info.plural != "pods" else obj["spec"]
            containers = spec.get("containers") or []
            names = {c["name"] for c in containers}
            for cname in images:
                if cname != "*" and cname not in names:
                    raise CommandError(f'error: unable to find container named "{cname}"')
            wanted_images = [(c, images.get(c["name"], images.get("*"))) for c in containers
                             if c["name"] in images or "*" in images]
            if all(c.get("image") == image for c, image in wanted_images):
                continue
            patch = [{"name": c["name"], "image": image} for c, image in wanted_images]
            body = {"spec": {"containers": patch}} if info.plural == "pods" else \
                {"spec": {"template": {"spec": {"containers": patch}}}}
            k.client.patch(info.plural, obj["metadata"]["name"], body, patch_type="strategic",
                           namespace=obj["metadata"].get("namespace"))
            group = f".{info.group}" if info.group else ""
            k.out(f"{info.kind.lower()}{group}/{obj['metadata']['name']} image updated")
