"""Getting a container's image onto the node (pkg/kubelet/images: image_manager.go, puller.go).

``imagePullPolicy`` decides (``Always``; ``IfNotPresent`` — the default for tagged images;
``Never``); a pull is announced (``Pulling``), then reported with its duration and the
image size (``Pulled``), or fails (``Failed`` + ``Error: ErrImagePull``) and starts the
per-image backoff; while the backoff runs, a sync reports ``Back-off pulling image`` and
``ImagePullBackOff``. A reference that does not parse is ``InvalidImageName`` without any
pull. Pulls are serialized per node (``serializeImagePulls: true``, the default), which is
what the "including waiting" part of the Pulled message measures.

A mixin of :class:`~k8score.kubelet.podworkers.PodWorkers`.
"""

from __future__ import annotations

from collections import deque
from typing import Any, Callable

from . import images as img
from .podstatus import ContainerRecord

#: pkg/kubelet/kubelet.go: plegRelistPeriod — how soon the kubelet notices a container change
#: and re-syncs the pod (used for the sync that follows a failed pull).
PLEG_RELIST_PERIOD = 1.0


def go_duration(seconds: float) -> str:
    """time.Duration.String() after Truncate(time.Millisecond): ``577ms``, ``3.2s``, ``1m2.5s``."""
    ms = int(seconds * 1000 + 1e-9)
    if ms == 0:
        return "0s"
    if ms < 1000:
        return f"{ms}ms"
    minutes, rest_ms = divmod(ms, 60_000)
    secs = f"{rest_ms / 1000:.3f}".rstrip("0").rstrip(".")
    return f"{minutes}m{secs}s" if minutes else f"{secs}s"


class SerialPuller:
    """serialImagePuller: one PullImage at a time per node, FIFO."""

    def __init__(self, runtime: Any):
        self.runtime = runtime
        self._queue: deque[tuple[str, Callable[..., Any]]] = deque()
        self._busy = False

    def pull(self, image: str, callback: Callable[[str | None, Any, float], Any]) -> None:
        self._queue.append((image, callback))
        self._next()

    def _next(self) -> None:
        if self._busy or not self._queue:
            return
        image, callback = self._queue.popleft()
        self._busy = True
        started = self.runtime.loop.now

        def done(ref: str | None, err: Any) -> None:
            self._busy = False
            callback(ref, err, started)
            self._next()

        self.runtime.pull_image(image, done)


class ImagePullMixin:
    """``_ensure_image`` for the pod workers (needs ``_event``, ``update``, ``_write_status``)."""

    def _ensure_image(self, pod: dict, st: Any, c: dict, rec: ContainerRecord, init: bool = False) -> bool:
        """True when the image is present; False when pulling (``st.busy``) or failed.

        Events name the container as ``spec.initContainers{name}`` for an init container
        (``kubecontainer.GenerateContainerRef``), ``spec.containers{name}`` otherwise.
        """
        image, name, now = c.get("image", ""), c["name"], self.loop.now
        _event = self._event

        def event(pod: dict, etype: str, reason: str, message: str, container: str) -> None:
            _event(pod, etype, reason, message, container, init)
        if not img.is_valid(image):
            msg = (f'Failed to apply default image tag "{image}": couldn\'t parse image reference '
                   f'"{image}": invalid reference format')
            event(pod, "Warning", "InspectFailed", msg, name)
            event(pod, "Warning", "Failed", "Error: InvalidImageName", name)
            rec.reason, rec.message = "InvalidImageName", msg
            rec.retry_at = float("inf")  # nothing will fix it but a new pod spec
            return False
        policy = c.get("imagePullPolicy") or img.default_pull_policy(image)
        present = self.runtime.image_status(image) is not None
        if policy == "Never" or (policy == "IfNotPresent" and present):
            if present:
                event(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine', name)
                self._image_ready(rec, image)
                return True
            msg = f'Container image "{image}" is not present with pull policy of Never'
            event(pod, "Warning", "ErrImageNeverPull", msg, name)
            event(pod, "Warning", "Failed", "Error: ErrImageNeverPull", name)
            rec.reason, rec.message, rec.retry_at = "ErrImageNeverPull", msg, float("inf")
            return False
        backoff_key = f"{st.uid}_{image}"
        backoff = self.kubelet.image_backoff
        if backoff.in_backoff_since_update(backoff_key, now):
            msg = f'Back-off pulling image "{image}"'
            event(pod, "Normal", "BackOff", msg, name)
            event(pod, "Warning", "Failed", "Error: ImagePullBackOff", name)
            rec.reason, rec.message = "ImagePullBackOff", msg
            rec.retry_at = backoff.retry_at(backoff_key)
            self.update(st.key, delay=rec.retry_at - now)
            return False
        event(pod, "Normal", "Pulling", f'Pulling image "{image}"', name)
        st.busy = True
        requested = now

        def done(ref: str | None, err: Any, started: float) -> None:
            st.busy = False
            end = self.loop.now
            if err is not None:
                event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {err}', name)
                backoff.next(backoff_key, end)
                event(pod, "Warning", "Failed", "Error: ErrImagePull", name)
                rec.reason, rec.message = "ErrImagePull", str(err)
                rec.retry_at = None
                self._write_status(self.kubelet.pods.get(st.key) or pod, st)
                self.update(st.key, delay=PLEG_RELIST_PERIOD)
                return
            size = int((self.runtime.image_status(image) or {}).get("size") or 0)
            event(pod, "Normal", "Pulled",
                        f'Successfully pulled image "{image}" in {go_duration(end - started)} '
                        f'({go_duration(end - requested)} including waiting). Image size: {size} bytes.', name)
            self._image_ready(rec, image)
            self.update(st.key)

        self.puller.pull(image, done)
        return False

    def _image_ready(self, rec: ContainerRecord, image: str) -> None:
        rec.image_ready = True
        rec.retry_at = None
        rec.runtime_image = img.normalize(image)
        rec.image_ref = img.repo_digest(image)

