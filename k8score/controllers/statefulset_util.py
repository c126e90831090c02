"""A StatefulSet's pod identities, claims and revisions (pure functions).

Upstream pkg/controller/statefulset/stateful_set_utils.go: a pod's name is
``<set>-<ordinal>``; ``initIdentity`` gives it ``hostname`` = its name and ``subdomain`` =
``spec.serviceName`` (so a headless Service of that name answers
``web-0.nginx.<ns>.svc.cluster.local``), and the labels ``statefulset.kubernetes.io/pod-name``
and ``apps.kubernetes.io/pod-index``; ``updateStorage`` mounts claim
``<template>-<set>-<ordinal>`` per volumeClaimTemplate; ``controller-revision-hash`` names
the ControllerRevision the pod was made from.

>>> ordinal_of({"metadata": {"name": "web-12"}}), parent_name({"metadata": {"name": "web-12"}})
(12, 'web')
>>> claim_name("www", "web", 0)
'www-web-0'
"""

from __future__ import annotations

import copy
import re

from ..client.meta import is_pod_ready
from .daemonset_util import is_pod_available
from .history import CONTROLLER_REVISION_HASH, HASH_LABEL, hash_revision_data, new_revision, revision_name
from .history import template_patch
from .podcontrol import pod_from_template

# k8s.io/api/apps/v1 types.go: StatefulSetPodNameLabel, PodIndexLabel
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
# stateful_set_utils.go: statefulPodRegex
_STATEFUL_POD = re.compile(r"^(.*)-([0-9]+)$")


def parent_name(pod: dict) -> str:
    m = _STATEFUL_POD.match(pod["metadata"].get("name", ""))
    return m.group(1) if m else ""


def ordinal_of(pod: dict) -> int:
    """``getOrdinal``: -1 for a name without an ordinal."""
    m = _STATEFUL_POD.match(pod["metadata"].get("name", ""))
    return int(m.group(2)) if m else -1


def start_ordinal(sts: dict) -> int:
    return int(((sts.get("spec") or {}).get("ordinals") or {}).get("start") or 0)


def claim_name(template_name: str, set_name: str, ordinal: int) -> str:
    return f"{template_name}-{set_name}-{ordinal}"


def claims_for(sts: dict, ordinal: int) -> list[dict]:
    """``getPersistentVolumeClaims``: one claim per template, labelled with the selector's labels."""
    out = []
    match_labels = ((sts["spec"].get("selector") or {}).get("matchLabels")) or {}
    for tpl in sts["spec"].get("volumeClaimTemplates") or ():
        meta = copy.deepcopy(tpl.get("metadata") or {})
        name = claim_name(meta.get("name", ""), sts["metadata"]["name"], ordinal)
        labels = dict(meta.get("labels") or {})
        labels.update(match_labels)
        claim_meta = {"name": name, "namespace": sts["metadata"]["namespace"], "labels": labels}
        if meta.get("annotations"):
            claim_meta["annotations"] = meta["annotations"]
        out.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": claim_meta,
                    "spec": copy.deepcopy(tpl.get("spec") or {})})
    return out


def retention_policy(sts: dict) -> tuple[str, str]:
    """``getPersistentVolumeClaimRetentionPolicy``: (whenDeleted, whenScaled), Retain by default."""
    p = (sts.get("spec") or {}).get("persistentVolumeClaimRetentionPolicy") or {}
    return p.get("whenDeleted") or "Retain", p.get("whenScaled") or "Retain"


def _has_ref(claim: dict, owner: dict) -> bool:
    uid = owner["metadata"].get("uid")
    return any(r.get("uid") == uid for r in claim["metadata"].get("ownerReferences") or ())


def _set_ref(claim: dict, owner: dict, api_version: str, kind: str) -> bool:
    if _has_ref(claim, owner):
        return False
    refs = list(claim["metadata"].get("ownerReferences") or ())
    refs.append({"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
                 "uid": owner["metadata"].get("uid")})
    claim["metadata"]["ownerReferences"] = refs
    return True


def _remove_ref(claim: dict, owner: dict) -> bool:
    if not _has_ref(claim, owner):
        return False
    uid = owner["metadata"].get("uid")
    refs = [r for r in claim["metadata"].get("ownerReferences") or () if r.get("uid") != uid]
    if refs:
        claim["metadata"]["ownerReferences"] = refs
    else:
        claim["metadata"].pop("ownerReferences", None)
    return True


def pod_in_ordinal_range(pod: dict, sts: dict) -> bool:
    o, start = ordinal_of(pod), start_ordinal(sts)
    return start <= o < start + int(sts["spec"].get("replicas", 1))


def update_claim_owner_refs(claim: dict, sts: dict, pod: dict) -> bool:
    """``updateClaimOwnerRefForSetAndPod`` (mutates ``claim``; True when it changed): with
    ``whenDeleted: Delete`` the claim is owned by the set (the garbage collector deletes it
    after the set), with ``whenScaled: Delete`` a claim of a scaled-down pod is owned by that
    pod (deleted after the pod); Retain removes those references. A pod without a uid (not
    created yet) gets no reference."""
    when_deleted, when_scaled = retention_policy(sts)
    changed = False
    scaled_down = not pod_in_ordinal_range(pod, sts)
    set_owned = when_deleted == "Delete" and not (when_scaled == "Delete" and scaled_down)
    pod_owned = when_scaled == "Delete" and scaled_down and bool(pod["metadata"].get("uid"))
    if set_owned:
        changed = _set_ref(claim, sts, "apps/v1", "StatefulSet") or changed
    else:
        changed = _remove_ref(claim, sts) or changed
    if pod_owned:
        changed = _set_ref(claim, pod, "v1", "Pod") or changed
    elif pod["metadata"].get("uid"):
        changed = _remove_ref(claim, pod) or changed
    return changed


def new_pod(sts: dict, template: dict, ordinal: int, revision: str) -> dict:
    """``newStatefulSetPod`` + ``setPodRevision``: ``template`` is the revision's pod template."""
    pod = pod_from_template(template, sts)
    name = f"{sts['metadata']['name']}-{ordinal}"
    meta = pod["metadata"]
    meta["name"] = name
    labels = meta.setdefault("labels", {})
    labels[POD_NAME_LABEL] = name
    labels[POD_INDEX_LABEL] = str(ordinal)
    labels[CONTROLLER_REVISION_HASH] = revision
    spec = pod["spec"]
    spec["hostname"] = name
    if sts["spec"].get("serviceName"):
        spec["subdomain"] = sts["spec"]["serviceName"]
    templates = [t.get("metadata", {}).get("name") for t in sts["spec"].get("volumeClaimTemplates") or ()]
    if templates:
        volumes = [v for v in spec.get("volumes") or () if v.get("name") not in templates]
        for t in templates:
            volumes.append({"name": t, "persistentVolumeClaim": {
                "claimName": claim_name(t, sts["metadata"]["name"], ordinal)}})
        spec["volumes"] = volumes
    return pod


def identity_matches(sts: dict, pod: dict) -> bool:
    """``identityMatches``: name, namespace, pod-name label, hostname/subdomain."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    return (parent_name(pod) == sts["metadata"]["name"] and ordinal_of(pod) >= 0
            and meta.get("namespace") == sts["metadata"]["namespace"]
            and (meta.get("labels") or {}).get(POD_NAME_LABEL) == meta["name"])


def pod_revision(pod: dict) -> str:
    return ((pod.get("metadata") or {}).get("labels") or {}).get(CONTROLLER_REVISION_HASH, "")


def is_terminating(pod: dict) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: dict) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_ready(pod)


def is_running_and_available(pod: dict, min_ready: int, now: float) -> bool:
    return (pod.get("status") or {}).get("phase") == "Running" and is_pod_available(pod, min_ready, now)


def is_healthy(pod: dict) -> bool:
    return is_running_and_ready(pod) and not is_terminating(pod)


def build_revision(sts: dict, number: int, collision_count: int | None) -> dict:
    """``newRevision``: the set's template as a ControllerRevision (name from the data's hash)."""
    data = template_patch(sts)
    hash_ = hash_revision_data(data, collision_count)
    labels = dict(((sts["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {})
    labels[HASH_LABEL] = hash_
    return new_revision(sts, data, number, revision_name(sts["metadata"]["name"], hash_), labels)


def revision_template(revision: dict) -> dict:
    """``ApplyRevision``: the pod template a revision restores."""
    template = copy.deepcopy(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template
