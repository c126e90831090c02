"""More describers, laid out as kubectl/pkg/describe/describe.go does: Secret
(describeSecret), PodDisruptionBudget (describePodDisruptionBudgetV1), RoleBinding and
ClusterRoleBinding (RoleBindingDescriber, ClusterRoleBindingDescriber), StorageClass
(describeStorageClass)."""

from __future__ import annotations

import base64
import binascii

from .columns import format_labels, format_selector
from .describe_blocks import Writer, meta_of, write_events, write_header

# storage/util: the annotations that mark the default StorageClass (IsDefaultAnnotationText)
_DEFAULT_CLASS = ("storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class")


def _length(value: str) -> int:
    try:
        return len(base64.b64decode(value or ""))
    except (binascii.Error, ValueError):
        return len(value or "")


def describe_secret(secret: dict) -> str:
    """Values are never shown: their length in bytes (a service account token excepted)."""
    meta, data = meta_of(secret), secret.get("data") or {}
    w = Writer()
    write_header(w, meta)
    kind = secret.get("type", "")
    w.write(0, f"\nType:\t{kind}\n")
    w.write(0, "\nData\n====\n")
    for key in sorted(data):
        if key == "token" and kind == "kubernetes.io/service-account-token":
            w.write(0, f"{key}:\t{base64.b64decode(data[key]).decode(errors='replace')}\n")
        else:
            w.write(0, f"{key}:\t{_length(data[key])} bytes\n")
    return w.text()


def describe_pdb(pdb: dict, events: list[dict] | None, now: float) -> str:
    meta, spec, st = meta_of(pdb), pdb.get("spec") or {}, pdb.get("status") or {}
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")   # describePodDisruptionBudgetV1: no labels
    w.write(0, f"Namespace:\t{meta.get('namespace', '')}\n")
    if spec.get("minAvailable") is not None:
        w.write(0, f"Min available:\t{spec['minAvailable']}\n")
    elif spec.get("maxUnavailable") is not None:
        w.write(0, f"Max unavailable:\t{spec['maxUnavailable']}\n")
    if spec.get("selector") is not None:
        w.write(0, f"Selector:\t{format_selector(spec['selector'])}\n")
    else:
        w.write(0, "Selector:\t<unset>\n")
    w.write(0, "Status:\n")
    w.write(2, f"Allowed disruptions:\t{st.get('disruptionsAllowed', 0)}\n")
    w.write(2, f"Current:\t{st.get('currentHealthy', 0)}\n")
    w.write(2, f"Desired:\t{st.get('desiredHealthy', 0)}\n")
    w.write(2, f"Total:\t{st.get('expectedPods', 0)}\n")
    write_events(w, events, now)
    return w.text()


def describe_binding(binding: dict) -> str:
    """RoleBinding and ClusterRoleBinding alike (no namespace line, no events)."""
    meta, ref = meta_of(binding), binding.get("roleRef") or {}
    w = Writer()
    write_header(w, meta, namespaced=False)
    w.write(0, "Role:\n")
    w.write(1, f"Kind:\t{ref.get('kind', '')}\n")
    w.write(1, f"Name:\t{ref.get('name', '')}\n")
    w.write(0, "Subjects:\n")
    w.write(1, "Kind\tName\tNamespace\n")
    w.write(1, "----\t----\t---------\n")
    for s in binding.get("subjects") or ():
        w.write(1, f"{s.get('kind', '')}\t{s.get('name', '')}\t{s.get('namespace', '')}\n")
    return w.text()


def describe_storageclass(sc: dict, events: list[dict] | None, now: float) -> str:
    meta = meta_of(sc)
    annotations = meta.get("annotations") or {}
    w = Writer()
    w.write(0, f"Name:\t{meta.get('name', '')}\n")
    default = any(annotations.get(a) == "true" for a in _DEFAULT_CLASS)
    w.write(0, f"IsDefaultClass:\t{'Yes' if default else 'No'}\n")
    w.write(0, f"Annotations:\t{format_labels(annotations)}\n")
    w.write(0, f"Provisioner:\t{sc.get('provisioner', '')}\n")
    w.write(0, f"Parameters:\t{format_labels(sc.get('parameters'))}\n")
    expansion = sc.get("allowVolumeExpansion")
    w.write(0, f"AllowVolumeExpansion:\t{'<unset>' if expansion is None else str(bool(expansion))}\n")
    if not sc.get("mountOptions"):
        w.write(0, "MountOptions:\t<none>\n")
    else:
        w.write(0, "MountOptions:\n")
        for option in sc["mountOptions"]:
            w.write(1, f"{option}\n")
    if sc.get("reclaimPolicy"):
        w.write(0, f"ReclaimPolicy:\t{sc['reclaimPolicy']}\n")
    if sc.get("volumeBindingMode"):
        w.write(0, f"VolumeBindingMode:\t{sc['volumeBindingMode']}\n")
    write_events(w, events, now)
    return w.text()
