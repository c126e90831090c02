"""Static pods: the kubelet runs what ``/etc/kubernetes/manifests`` holds, and mirrors it in the API.

**Source** (pkg/kubelet/config/file.go, file_linux.go, common.go): :class:`StaticPodSource` reads
every regular, non-hidden file of the manifest directory in name order, each holding one Pod
(YAML or JSON). Defaults as ``applyDefaults`` sets them:

- ``metadata.name`` becomes ``<name>-<node name lowercased>`` (``generatePodName``);
- the namespace defaults to ``default``; ``spec.nodeName`` is the node;
- ``metadata.uid`` is a hash of ``host:<node>``, ``file:<path>`` and the pod as written — so the
  same file gives the same pod, an edited file a new one (upstream: md5 + ``DeepHashObject``;
  k8score hashes the canonical JSON instead, same 32 hex digits);
- annotations ``kubernetes.io/config.hash`` (the uid), ``kubernetes.io/config.source: file``
  and ``kubernetes.io/config.seen`` (when the kubelet first saw it, pkg/kubelet/config/config.go);
- a toleration ``{operator: Exists, effect: NoExecute}`` so node problems never evict it;
- ``status.phase: Pending``.

A file that is not one valid Pod is skipped with the kubelet's journal line ``"Could not process
manifest file"``; the others still run. The directory is re-read every 20 s
(``fileCheckFrequency``) and, as inotify does on Linux, right after a change to it is reported
through :meth:`k8score.node.Host.notify` (``c.ssh`` writes do).

**Mirror pods** (pkg/kubelet/pod/mirror_client.go, kubelet.go ``SyncPod``,
kubelet_pods.go ``deleteOrphanedMirrorPods``): for each static pod the API gets a *mirror* —
the same pod plus the annotation ``kubernetes.io/config.mirror: <hash>`` and a controller
ownerReference to the Node (KEP-1314; the NodeRestriction admission insists). A mirror that
is being deleted, or whose hash no longer matches its static pod, is deleted at once (grace 0)
and created again; a mirror with no static pod is deleted. Deleting a mirror pod therefore
never stops the static pod: it comes back with a new uid.

>>> is_mirror_pod({"metadata": {"annotations": {"kubernetes.io/config.mirror": "ab"}}})
True
>>> static_pod_name("static-web", "Node-1")
'static-web-node-1'
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from typing import Any, Callable

from ..api.schema.yamlload import YAMLError, load_yaml_documents
from ..client.errors import ApiError
from ..sim.clock import micro_time

# pkg/kubelet/types/pod_update.go
CONFIG_SOURCE_ANNOTATION = "kubernetes.io/config.source"
CONFIG_MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
CONFIG_FIRST_SEEN_ANNOTATION = "kubernetes.io/config.seen"
CONFIG_HASH_ANNOTATION = "kubernetes.io/config.hash"
FILE_SOURCE = "file"
# pkg/kubelet/apis/config/v1beta1/defaults.go: FileCheckFrequency 20s
FILE_CHECK_FREQUENCY = 20.0
# cmd/kubeadm/app/constants: KubernetesDir + ManifestsSubDirName (the kubelet's staticPodPath)
MANIFESTS_DIR = "/etc/kubernetes/manifests"


def static_pod_name(name: str, node_name: str) -> str:
    """common.go generatePodName: ``<name>-<lowercased node name>``."""
    return f"{name}-{node_name.lower()}"


def _annotations(pod: dict | None) -> dict:
    meta = (pod or {}).get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    return ann if isinstance(ann, dict) else {}


def is_mirror_pod(pod: dict | None) -> bool:
    """mirror_client.go IsMirrorPod: the API object standing for a static pod."""
    return CONFIG_MIRROR_ANNOTATION in _annotations(pod)


def is_static_pod(pod: dict | None) -> bool:
    """mirror_client.go IsStaticPod: a pod from a source other than the API server."""
    source = _annotations(pod).get(CONFIG_SOURCE_ANNOTATION)
    return bool(source) and source != "api"


def pod_full_name(pod: dict) -> str:
    """kubecontainer.GetPodFullName: ``<name>_<namespace>``."""
    return f"{pod['metadata']['name']}_{pod['metadata']['namespace']}"


def is_mirror_pod_of(mirror: dict, pod: dict) -> bool:
    """pod_manager.go IsMirrorPodOf: same full name and the mirror's hash is the pod's."""
    if pod_full_name(mirror) != pod_full_name(pod):
        return False
    return _annotations(mirror).get(CONFIG_MIRROR_ANNOTATION) == _annotations(pod).get(CONFIG_HASH_ANNOTATION)


class ManifestError(ValueError):
    """A manifest file that is not one valid Pod (the text is the kubelet's)."""


def decode_manifest(text: str, path: str, node_name: str, seen_at: float) -> dict:
    """The static pod a manifest file describes (common.go ``tryDecodeSinglePod`` + ``applyDefaults``)."""
    try:
        docs = [d for d in load_yaml_documents(text) if d is not None]
    except YAMLError as e:
        raise ManifestError(f"{path}: couldn't parse as pod({e}), please check config file") from None
    if len(docs) != 1 or not isinstance(docs[0], dict) or docs[0].get("kind") != "Pod":
        kind = docs[0].get("kind") if docs and isinstance(docs[0], dict) else None
        why = f'invalid pod: kind "{kind}"' if kind else "Object 'Kind' is missing"
        raise ManifestError(f"{path}: couldn't parse as pod({why}), please check config file")
    pod = json.loads(json.dumps(docs[0]))
    meta = pod.get("metadata")
    spec = pod.get("spec")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str) or not meta["name"]:
        raise ManifestError('invalid pod: [metadata.name: Required value: name or generateName is required]')
    if not isinstance(spec, dict) or not isinstance(spec.get("containers"), list) or not spec["containers"]:
        raise ManifestError("invalid pod: [spec.containers: Required value]")
    digest = hashlib.md5()
    digest.update(f"host:{node_name}".encode())
    digest.update(f"file:{path}".encode())
    digest.update(json.dumps(pod, sort_keys=True, separators=(",", ":")).encode())
    uid = meta.get("uid") or digest.hexdigest()
    meta["uid"] = uid
    meta["name"] = static_pod_name(meta["name"], node_name)
    meta["namespace"] = meta.get("namespace") or "default"
    spec["nodeName"] = node_name
    ann = meta.get("annotations") if isinstance(meta.get("annotations"), dict) else {}
    meta["annotations"] = {**ann, CONFIG_HASH_ANNOTATION: uid, CONFIG_SOURCE_ANNOTATION: FILE_SOURCE,
                           CONFIG_FIRST_SEEN_ANNOTATION: _seen_stamp(seen_at)}
    tolerations = spec.get("tolerations") if isinstance(spec.get("tolerations"), list) else []
    noexecute = {"operator": "Exists", "effect": "NoExecute"}
    if noexecute not in tolerations:   # helper.AddOrUpdateTolerationInPod
        tolerations = tolerations + [noexecute]
    spec["tolerations"] = tolerations
    pod["status"] = {"phase": "Pending"}
    return pod


def _seen_stamp(t: float) -> str:
    # config.go: time.Now().Format(time.RFC3339Nano) — nanoseconds, trailing zeros dropped
    stamp = micro_time(t)
    head, frac = stamp[:-1].split(".")
    frac = frac.rstrip("0")
    return f"{head}.{frac}Z" if frac else f"{head}Z"


class MirrorClient:
    """mirror_client.go basicMirrorClient: create and delete mirror pods as the node."""

    def __init__(self, client: Any, node_name: str, node_uid: Callable[[], str | None]):
        self.client = client
        self.node_name = node_name
        self.node_uid = node_uid

    def create_mirror_pod(self, pod: dict) -> dict | None:
        """Create the mirror of static ``pod``; an existing mirror with the same hash is fine.

        Raises :class:`ApiError` (e.g. the NodeRestriction refusal) and ``RuntimeError`` when the
        node is not registered yet (``failed to get node UID``).
        """
        uid = self.node_uid()
        if not uid:
            raise RuntimeError("failed to get node UID: node not registered")
        mirror = json.loads(json.dumps(pod))
        meta = mirror["metadata"]
        h = _annotations(pod).get(CONFIG_HASH_ANNOTATION, "")
        meta["annotations"] = {**_annotations(pod), CONFIG_MIRROR_ANNOTATION: h}
        meta["ownerReferences"] = [{"apiVersion": "v1", "kind": "Node", "name": self.node_name,
                                    "uid": uid, "controller": True}]
        for k in ("uid", "resourceVersion", "creationTimestamp"):
            meta.pop(k, None)   # the API server gives the mirror its own identity
        mirror.pop("status", None)
        try:
            return self.client.create("pods", mirror, namespace=meta["namespace"])
        except ApiError as err:
            if err.reason == "AlreadyExists":
                try:
                    existing = self.client.get("pods", meta["name"], namespace=meta["namespace"])
                except ApiError:
                    raise err from None
                if _annotations(existing).get(CONFIG_MIRROR_ANNOTATION) == h:
                    return existing
            raise

    def delete_mirror_pod(self, full_name: str, uid: str | None = None) -> bool:
        """Delete ``<name>_<namespace>`` with grace 0; False when it was already gone (or another
        object now has the name: the uid precondition fails)."""
        name, _, namespace = full_name.rpartition("_")
        try:
            if uid is not None:
                current = self.client.get("pods", name, namespace=namespace)
                if current["metadata"].get("uid") != uid:
                    return False
            self.client.delete("pods", name, namespace=namespace, grace_period_seconds=0)
        except ApiError as err:
            if err.code == 404:
                return False
            raise
        return True


class StaticPodSource:
    """The file source of one kubelet plus its mirror pods.

    ``kubelet`` must offer ``host`` (a :class:`k8score.node.Host`), ``node_name``, ``loop``,
    ``every``/``call_soon`` (a :class:`k8score.sim.Component`: timers die with the kubelet) and,
    for mirror pods, ``client`` and ``_node_uid`` (set once the Node is registered).

    - :meth:`start(pod_informer)` — begin watching (call from the kubelet's ``on_start``);
      ``pod_informer`` is the kubelet's own pod informer: mirror pod events arrive through it.
    - :meth:`pods` / :meth:`get` — the static pods (fresh copies), keyed ``namespace/name``.
    - ``on_change(keys)`` — called with the keys of static pods that appeared, changed or
      disappeared (the kubelet asks its pod workers to sync them).
    """

    def __init__(self, kubelet: Any, path: str = MANIFESTS_DIR):
        self.kubelet = kubelet
        self.path = path
        self.node_name = kubelet.node_name
        self.on_change: Callable[[list[str]], Any] | None = None
        self._pods: dict[str, dict] = {}        # "ns/name" -> static pod
        self._seen: dict[str, float] = {}       # uid -> first seen (config.seen)
        self._informer: Any = None
        self._check_pending = False
        self.mirrors = MirrorClient(None, kubelet.node_name, lambda: kubelet._node_uid)
        kubelet.host.watchers.append(self._fs_changed)

    # -- lifecycle ------------------------------------------------------------------
    def start(self, pod_informer: Any = None) -> None:
        """Begin a run of the kubelet: timers are the kubelet's (they end when it stops)."""
        self._informer = pod_informer
        self.mirrors.client = self.kubelet.client
        if pod_informer is not None:
            pod_informer.add_event_handler(on_add=self._api_pod, on_update=lambda old, new: self._api_pod(new),
                                           on_delete=self._api_pod)
        self._pods = self._read_dir()
        self.kubelet.every(FILE_CHECK_FREQUENCY, self.check, first=FILE_CHECK_FREQUENCY)
        self.kubelet.call_soon(self.sync_mirrors)

    # -- the file source -----------------------------------------------------------------
    def pods(self) -> list[dict]:
        return [json.loads(json.dumps(self._pods[k])) for k in sorted(self._pods)]

    def get(self, key: str) -> dict | None:
        pod = self._pods.get(key)
        return json.loads(json.dumps(pod)) if pod is not None else None

    def keys(self) -> list[str]:
        return sorted(self._pods)

    def _fs_changed(self, path: str) -> None:
        norm = posixpath.normpath(path)
        if (norm == self.path or norm.startswith(self.path + "/")) and not self._check_pending \
                and self.kubelet.running:
            self._check_pending = True
            self.kubelet.call_soon(self.check)

    def check(self) -> list[str]:
        """Re-read the manifest directory; returns (and reports) the keys that changed."""
        self._check_pending = False
        fresh = self._read_dir()
        changed = [k for k in sorted(set(fresh) | set(self._pods))
                   if (fresh.get(k) or {}).get("metadata", {}).get("uid")
                   != (self._pods.get(k) or {}).get("metadata", {}).get("uid")]
        self._pods = fresh
        live = {p["metadata"]["uid"] for p in fresh.values()}
        self._seen = {uid: t for uid, t in self._seen.items() if uid in live}
        if changed and self.on_change is not None:
            self.on_change(changed)
        self.sync_mirrors()
        return changed

    def _read_dir(self) -> dict[str, dict]:
        fs = self.kubelet.host.fs
        out: dict[str, dict] = {}
        if not fs.isdir(self.path):
            return out   # resetStoreFromPath: a missing path is an empty source
        for name in fs.listdir(self.path):
            if name.startswith("."):
                continue   # extractFromDir globs "[^.]*"
            path = f"{self.path}/{name}"
            if fs.isdir(path):
                self._log("E", "file.go:223", "Not recursing into manifest path", path=path)
                continue
            try:
                text = fs.read(path)
                pod = decode_manifest(text, path, self.node_name, self.kubelet.loop.now)
            except (ManifestError, OSError) as e:
                self._log("E", "file.go:236", "Could not process manifest file", err=str(e), path=path)
                continue
            uid = pod["metadata"]["uid"]
            seen = self._seen.setdefault(uid, self.kubelet.loop.now)
            pod["metadata"]["annotations"][CONFIG_FIRST_SEEN_ANNOTATION] = _seen_stamp(seen)
            key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            if key in out:   # config.go: "Pod UID ... duplicate" — the first file wins
                self._log("W", "config.go:360", "Pod name is duplicated", path=path, pod=key)
                continue
            out[key] = pod
        return out

    def _log(self, level: str, where: str, msg: str, **kv: str) -> None:
        self.kubelet.log(level, where, msg, **kv)

    # -- mirror pods --------------------------------------------------------------------
    def _api_pod(self, pod: dict) -> None:
        if is_mirror_pod(pod):
            self.kubelet.call_soon(self.sync_mirrors)

    def sync_mirrors(self) -> None:
        """Make the API's mirror pods match the static pods (level-triggered; cheap to repeat)."""
        informer, client = self._informer, self.mirrors.client
        if informer is None or client is None or not self.kubelet.registered:
            return
        for key in sorted(self._pods):
            self.sync_mirror(self._pods[key], informer.get(key))
        for pod in informer.list():
            key = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
            if is_mirror_pod(pod) and key not in self._pods:
                # kubelet_pods.go deleteOrphanedMirrorPods: its static pod is gone
                self._delete(pod, "Deleted orphaned mirror pod")

    def sync_mirror(self, pod: dict, mirror: dict | None) -> None:
        """kubelet.go SyncPod's mirror step for one static pod."""
        deleted = False
        if mirror is not None and (mirror["metadata"].get("deletionTimestamp") or not is_mirror_pod_of(mirror, pod)):
            deleted = self._delete(mirror, "Deleted mirror pod because it is outdated")
        if mirror is not None and not deleted:
            return
        try:
            self.mirrors.create_mirror_pod(pod)
        except (ApiError, RuntimeError) as e:
            if not (isinstance(e, ApiError) and e.reason == "AlreadyExists"):
                self._log("E", "kubelet.go:1920", "Failed creating a mirror pod", err=str(e),
                          pod=f"{pod['metadata']['namespace']}/{pod['metadata']['name']}")

    def _delete(self, mirror: dict, why: str) -> bool:
        meta = mirror["metadata"]
        try:
            ok = self.mirrors.delete_mirror_pod(pod_full_name(mirror), meta.get("uid"))
        except ApiError as e:
            self._log("E", "kubelet.go:1905", "Failed deleting mirror pod", err=str(e),
                      pod=f"{meta['namespace']}/{meta['name']}")
            return False
        if ok:
            self._log("I", "kubelet.go:1908", why, pod=f"{meta['namespace']}/{meta['name']}")
        return ok


class KubeletPods:
    """The pods a kubelet runs: its API pods (mirror pods excluded) plus its static pods.

    A drop-in for the kubelet's pod informer where the pod workers read it (``get``, ``list``,
    ``keys``, ``has_synced``): a key names the static pod when one exists, never its mirror.
    """

    def __init__(self, informer: Any, static: StaticPodSource):
        self.informer = informer
        self.static = static

    def get(self, key: str) -> dict | None:
        pod = self.static.get(key)
        if pod is not None:
            return pod
        pod = self.informer.get(key)
        return None if pod is None or is_mirror_pod(pod) else pod

    def list(self, namespace: str | None = None) -> list[dict]:
        api = [p for p in self.informer.list(namespace) if not is_mirror_pod(p)
               and f"{p['metadata']['namespace']}/{p['metadata']['name']}" not in self.static.keys()]
        static = [p for p in self.static.pods() if namespace is None or p["metadata"]["namespace"] == namespace]
        return api + static

    def keys(self) -> list[str]:
        return sorted({f"{p['metadata']['namespace']}/{p['metadata']['name']}" for p in self.list()})

    @property
    def has_synced(self) -> bool:
        return bool(self.informer.has_synced)

    def __getattr__(self, name: str) -> Any:   # add_event_handler, errors, ... of the informer
        return getattr(self.informer, name)


__all__ = ["StaticPodSource", "MirrorClient", "KubeletPods", "ManifestError", "decode_manifest",
           "is_mirror_pod", "is_static_pod", "is_mirror_pod_of", "static_pod_name", "pod_full_name",
           "CONFIG_SOURCE_ANNOTATION", "CONFIG_MIRROR_ANNOTATION", "CONFIG_FIRST_SEEN_ANNOTATION",
           "CONFIG_HASH_ANNOTATION", "FILE_CHECK_FREQUENCY", "MANIFESTS_DIR"]
