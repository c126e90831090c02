"""Pod volumes on the node (pkg/kubelet/volumemanager, pkg/volume/{emptydir,configmap,secret,
downwardapi,projected,hostpath}).

Each volume of a pod is a directory on the node's filesystem (``Host.fs``) under the pod's
directory, named after its plugin as upstream lays it out::

    /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>
    /var/lib/kubelet/pods/<uid>/volumes/kubernetes.io~configmap/<name>     (+ ~secret, ~downward-api,
                                                                           ~projected)

``hostPath`` volumes are the host directory itself. The kubelet hands the runtime CRI mounts
``{containerPath, hostPath, readonly}``; the runtime bind-mounts them (``FileSystem.volume_at``),
so two containers mounting one ``emptyDir`` share its files. configMap, secret, downwardAPI and
projected volumes are read-only (upstream mounts them read-only since 1.9.4) and hold one file
per key (``items`` select keys and paths); secret values are base64-decoded. A missing
ConfigMap/Secret that is not ``optional`` fails ``MountVolume.SetUp`` with upstream's message
and the pod stays ``ContainerCreating`` (event ``FailedMount``).

Not modelled: the atomic writer's ``..data`` symlinks, ``defaultMode``, fsGroup ownership,
the ServiceAccount token's real JWT (``token`` holds a stable placeholder), size limits.
"""

from __future__ import annotations

import base64
import hashlib
import posixpath
from typing import Any, Callable

from .envvars import _field, resource_value

PODS_DIR = "/var/lib/kubelet/pods"
_PLUGIN_DIRS = {"emptyDir": "kubernetes.io~empty-dir", "configMap": "kubernetes.io~configmap",
                "secret": "kubernetes.io~secret", "downwardAPI": "kubernetes.io~downward-api",
                "projected": "kubernetes.io~projected"}
_READ_ONLY = ("configMap", "secret", "downwardAPI", "projected")

Getter = Callable[[str, str], dict | None]


class VolumeError(Exception):
    """``MountVolume.SetUp failed for volume "x" : ...`` — the pod cannot start yet."""


def _plugin(volume: dict) -> str | None:
    for key in ("emptyDir", "configMap", "secret", "downwardAPI", "projected", "hostPath"):
        if key in volume:
            return key
    return None


def volume_dir(uid: str, volume: dict) -> str | None:
    plugin = _plugin(volume)
    if plugin == "hostPath":
        return posixpath.normpath((volume.get("hostPath") or {}).get("path") or "/")
    if plugin is None:
        return None
    return f"{PODS_DIR}/{uid}/volumes/{_PLUGIN_DIRS[plugin]}/{volume['name']}"


def _items(data: dict[str, str], items: list[dict] | None) -> dict[str, str]:
    if not items:
        return dict(data)
    return {it.get("path") or it["key"]: data[it["key"]] for it in items if it.get("key") in data}


def _source(kind: str, ref: dict, get: Getter, ns: str, vol: str) -> dict[str, str] | None:
    name = ref.get("name") or ref.get("secretName") or ""
    obj = get(kind, name)
    if obj is None:
        if ref.get("optional"):
            return None
        label = "configmap" if kind == "configmaps" else "secret"
        raise VolumeError(f'MountVolume.SetUp failed for volume "{vol}" : {label} "{name}" not found')
    data = dict(obj.get("data") or {})
    if kind == "secrets":
        data = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in data.items()}
    missing = [it["key"] for it in ref.get("items") or () if it.get("key") not in data]
    if missing and not ref.get("optional"):
        label = "configmap" if kind == "configmaps" else "secret"
        raise VolumeError(f'MountVolume.SetUp failed for volume "{vol}" : configmap references non-existent '
                          f'config key: {missing[0]}' if label == "configmap" else
                          f'MountVolume.SetUp failed for volume "{vol}" : references non-existent secret key: '
                          f'{missing[0]}')
    return _items(data, ref.get("items"))


def _downward(pod: dict, items: list[dict], host_ip: str, pod_ip: str | None,
              allocatable: dict[str, str]) -> dict[str, str]:
    out = {}
    containers = {c["name"]: c for c in (pod.get("spec") or {}).get("containers") or ()}
    for it in items or ():
        if it.get("fieldRef"):
            out[it["path"]] = _field(pod, it["fieldRef"].get("fieldPath", ""), host_ip, pod_ip)
        elif it.get("resourceFieldRef"):
            ref = it["resourceFieldRef"]
            c = containers.get(ref.get("containerName")) or next(iter(containers.values()), {})
            out[it["path"]] = resource_value(c, ref, allocatable)
    return out


def files_for(pod: dict, volume: dict, get: Getter, host_ip: str = "", pod_ip: str | None = None,
              allocatable: dict[str, str] | None = None) -> dict[str, str]:
    """The files a configMap/secret/downwardAPI/projected volume holds (path -> text)."""
    ns = (pod.get("metadata") or {}).get("namespace", "default")
    name, alloc = volume["name"], allocatable or {}
    if "configMap" in volume:
        return _source("configmaps", volume["configMap"], get, ns, name) or {}
    if "secret" in volume:
        return _source("secrets", volume["secret"], get, ns, name) or {}
    if "downwardAPI" in volume:
        return _downward(pod, volume["downwardAPI"].get("items") or [], host_ip, pod_ip, alloc)
    out: dict[str, str] = {}
    for src in (volume.get("projected") or {}).get("sources") or ():
        if "configMap" in src:
            out.update(_source("configmaps", src["configMap"], get, ns, name) or {})
        elif "secret" in src:
            out.update(_source("secrets", src["secret"], get, ns, name) or {})
        elif "downwardAPI" in src:
            out.update(_downward(pod, src["downwardAPI"].get("items") or [], host_ip, pod_ip, alloc))
        elif "serviceAccountToken" in src:
            uid = (pod.get("metadata") or {}).get("uid", "")
            out[src["serviceAccountToken"].get("path") or "token"] = \
                "eyJhbGciOiJSUzI1NiJ9." + hashlib.sha256(f"token/{uid}".encode()).hexdigest()
    return out


def setup(fs: Any, pod: dict, get: Getter, host_ip: str = "", pod_ip: str | None = None,
          allocatable: dict[str, str] | None = None) -> dict[str, str]:
    """Create every volume of ``pod`` on ``fs``; returns ``{volume name: host directory}``.

    Raises :class:`VolumeError` for the first volume that cannot be set up. Idempotent:
    emptyDir contents survive (container restarts keep them); file volumes are rewritten.
    """
    uid = (pod.get("metadata") or {}).get("uid", "")
    paths: dict[str, str] = {}
    for vol in (pod.get("spec") or {}).get("volumes") or ():
        path = volume_dir(uid, vol)
        if path is None:
            continue
        plugin = _plugin(vol)
        if plugin == "hostPath":
            htype = (vol.get("hostPath") or {}).get("type") or ""
            if htype in ("DirectoryOrCreate", "") and not fs.exists(path):
                if htype == "DirectoryOrCreate":
                    fs.mkdir(path, parents=True)
            elif htype == "Directory" and not fs.isdir(path):
                raise VolumeError(f'MountVolume.SetUp failed for volume "{vol["name"]}" : hostPath type check '
                                  f'failed: {path} is not a directory')
            elif htype == "FileOrCreate" and not fs.exists(path):
                fs.write(path, "")
            paths[vol["name"]] = path
            continue
        if plugin in _READ_ONLY:
            files = files_for(pod, vol, get, host_ip, pod_ip, allocatable)
            if fs.exists(path):
                fs.remove(path, recursive=True)
            fs.mkdir(path, parents=True)
            for rel, text in sorted(files.items()):
                full = posixpath.join(path, rel)
                fs.mkdir(posixpath.dirname(full), parents=True)
                fs.write(full, text)
        else:
            fs.mkdir(path, parents=True)
        paths[vol["name"]] = path
    return paths


def mounts(pod: dict, container: dict, paths: dict[str, str]) -> list[dict]:
    """CRI mounts for ``container``: ``volumeMounts`` (``subPath`` inside the volume)."""
    kinds = {v["name"]: _plugin(v) for v in (pod.get("spec") or {}).get("volumes") or ()}
    # a persistentVolumeClaim source with readOnly: true mounts read-only in every container
    ro_claims = {v["name"] for v in (pod.get("spec") or {}).get("volumes") or ()
                 if (v.get("persistentVolumeClaim") or {}).get("readOnly")}
    out = []
    for m in container.get("volumeMounts") or ():
        host = paths.get(m.get("name"))
        if host is None:
            continue
        if m.get("subPath"):
            host = posixpath.join(host, m["subPath"])
        out.append({"containerPath": m.get("mountPath"), "hostPath": host,
                    "readonly": bool(m.get("readOnly")) or kinds.get(m.get("name")) in _READ_ONLY
                    or m.get("name") in ro_claims})
    return out


def teardown(fs: Any, pod: dict) -> None:
    """Remove the pod's directory (volumes and all) once the pod is gone."""
    uid = (pod.get("metadata") or {}).get("uid", "")
    path = f"{PODS_DIR}/{uid}"
    if uid and fs.exists(path):
        fs.remove(path, recursive=True)


__all__ = ["VolumeError", "setup", "mounts", "teardown", "files_for", "volume_dir", "PODS_DIR"]
