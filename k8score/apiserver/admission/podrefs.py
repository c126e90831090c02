"""Which Secrets and ConfigMaps a pod refers to (pkg/api/pod/util.go ``VisitPodSecretNames``,
``VisitPodConfigmapNames``), for the admission plugins that police references.

Mutating admission runs before validation, so a pod here may hold values of any type:
every walk skips what is not a dict or a list instead of failing.

>>> pod = {"spec": {"containers": [{"env": [{"valueFrom": {"secretKeyRef": {"name": "db"}}}]}],
...                 "volumes": [{"configMap": {"name": "cfg"}}]}}
>>> secret_names(pod), configmap_names(pod)
(['db'], ['cfg'])
"""

from __future__ import annotations

from typing import Iterator

# volume sources whose ``secretRef.name`` names a Secret (VisitPodSecretNames)
_SECRET_REF_SOURCES = ("cephfs", "cinder", "flexVolume", "rbd", "scaleIO", "iscsi", "storageos")


def dicts(value: object) -> Iterator[dict]:
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield item


def get_path(d: object, *path: str) -> object:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def containers(spec: dict) -> Iterator[dict]:
    """podutil.AllContainers: init containers, containers, ephemeral containers."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        yield from dicts(spec.get(key))


def _add(out: list[str], name: object) -> None:
    if isinstance(name, str) and name and name not in out:
        out.append(name)


def secret_names(pod: dict) -> list[str]:
    """Every Secret name the pod refers to, in first-seen order."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    out: list[str] = []
    for ref in dicts(spec.get("imagePullSecrets")):
        _add(out, ref.get("name"))
    for c in containers(spec):
        for src in dicts(c.get("envFrom")):
            _add(out, get_path(src, "secretRef", "name"))
        for env in dicts(c.get("env")):
            _add(out, get_path(env, "valueFrom", "secretKeyRef", "name"))
    for vol in dicts(spec.get("volumes")):
        _add(out, get_path(vol, "secret", "secretName"))
        _add(out, get_path(vol, "azureFile", "secretName"))
        _add(out, get_path(vol, "csi", "nodePublishSecretRef", "name"))
        for source in _SECRET_REF_SOURCES:
            _add(out, get_path(vol, source, "secretRef", "name"))
        for proj in dicts(get_path(vol, "projected", "sources")):
            _add(out, get_path(proj, "secret", "name"))
    return out


def configmap_names(pod: dict) -> list[str]:
    """Every ConfigMap name the pod refers to, in first-seen order."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    out: list[str] = []
    for c in containers(spec):
        for src in dicts(c.get("envFrom")):
            _add(out, get_path(src, "configMapRef", "name"))
        for env in dicts(c.get("env")):
            _add(out, get_path(env, "valueFrom", "configMapKeyRef", "name"))
    for vol in dicts(spec.get("volumes")):
        _add(out, get_path(vol, "configMap", "name"))
        for proj in dicts(get_path(vol, "projected", "sources")):
            _add(out, get_path(proj, "configMap", "name"))
    return out


def projected_sources(pod: dict) -> Iterator[dict]:
    """Every entry of every projected volume's ``sources``."""
    spec = pod.get("spec") if isinstance(pod.get("spec"), dict) else {}
    for vol in dicts(spec.get("volumes")):
        yield from dicts(get_path(vol, "projected", "sources"))
