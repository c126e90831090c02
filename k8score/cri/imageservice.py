"""The CRI ImageService (cri-api ``runtime/v1/api.proto`` ``service ImageService``).

``ListImages``, ``ImageStatus``, ``PullImage``, ``RemoveImage``, ``ImageFsInfo``. Images are
``Image`` messages (``id``, ``repoTags``, ``repoDigests``, ``size`` — a string, as protobuf's
JSON mapping writes uint64 —, ``uid``, ``username``, ``spec``, ``pinned``).

A pull takes a registry round trip plus the image's size over the node's (seeded) download
speed; pulling an image already unpacked only resolves the manifest again. An image the
registry does not have fails with the runtime's own text (containerd and CRI-O differ).
A mixin of :class:`k8score.cri.runtime.RuntimeBase`.
"""

from __future__ import annotations

from typing import Any, Callable

from ..kubelet import images as img
from . import programs
from .errors import CRIError

#: Simulated timings (virtual seconds): the registry round trip before the first byte.
REGISTRY_RTT = 0.4
#: Invented: files per unpacked image, for ImageFsInfo.inodesUsed (layers are not modelled).
_INODES_PER_IMAGE = 40


class ImageServiceMixin:
    # -- bookkeeping ---------------------------------------------------------------
    def _add_image(self, image: str) -> dict:
        ref = img.normalize(image)
        spec = programs.image_spec(ref)
        entry = {"id": self._image_id(ref), "repoTags": [ref], "repoDigests": [img.repo_digest(ref)],
                 "size": str((spec.size if spec is not None and spec.size else 0) or img.image_size(ref)),
                 "uid": None, "username": "", "spec": {"image": self._image_id(ref)},
                 "pinned": ref == img.normalize(self.PAUSE_IMAGE)}
        self.images[ref] = entry
        if spec is not None:
            self._specs[ref] = spec
        return entry

    def _image_id(self, ref: str) -> str:
        return img.image_id(ref)

    def forbid_image(self, image: str) -> None:
        """Make pulls of ``image`` fail as if the registry did not have it."""
        self._forbidden[img.normalize(image)] = None

    def _exists_in_registry(self, ref: str) -> bool:
        return ref not in self._forbidden and programs.image_spec(ref) is not None

    def _find_image(self, image: str) -> tuple[str, dict] | None:
        """An image by reference, image ID or repo digest (as containerd's image store resolves)."""
        ref = img.normalize(image) if img.is_valid(image) else image
        if ref in self.images:
            return ref, self.images[ref]
        for r, entry in self.images.items():
            if image in (entry["id"], *entry["repoDigests"]):
                return r, entry
        return None

    # -- ImageService ----------------------------------------------------------------
    def list_images(self, filter: dict | None = None) -> list[dict]:   # noqa: A002 - the proto's name
        """ListImages; ``filter={"image": {"image": ref}}`` keeps that image only."""
        self._log("ListImages")
        want = ((filter or {}).get("image") or {}).get("image")
        if want:
            found = self._find_image(want)
            return [dict(found[1])] if found else []
        return [dict(v) for _, v in sorted(self.images.items())]

    def image_status(self, image: str | dict) -> dict | None:
        """ImageStatus: the ``Image`` or ``None`` when the node does not have it (not an error)."""
        image = image.get("image", "") if isinstance(image, dict) else image
        self._log("ImageStatus", image)
        found = self._find_image(image)
        return dict(found[1]) if found else None

    def remove_image(self, image: str | dict) -> None:
        """RemoveImage; removing an image that is not there succeeds (the RPC is idempotent)."""
        image = image.get("image", "") if isinstance(image, dict) else image
        self._log("RemoveImage", image)
        found = self._find_image(image)
        if found:
            del self.images[found[0]]

    def pull_image(self, image: str | dict, callback: Callable[[str | None, CRIError | None], Any],
                   auth: dict | None = None, sandbox_config: dict | None = None) -> float:
        """Start a pull; ``callback(image_ref, None)`` or ``callback(None, error)`` later.

        ``image_ref`` is the image ID (``PullImageResponse.imageRef``). Returns how long the
        pull will take (virtual seconds).
        """
        image = image.get("image", "") if isinstance(image, dict) else image
        self._log("PullImage", image)
        ref = img.normalize(image)
        if not self._exists_in_registry(ref):
            delay = REGISTRY_RTT + self.rng.uniform(0.3, 1.2)
            self._later(delay, callback, None, self._pull_not_found(ref))
            return delay
        size = img.image_size(ref)
        if ref in self.images:
            # Layers already unpacked: the runtime only resolves the manifest again.
            delay = round(REGISTRY_RTT * self.rng.uniform(0.6, 1.0), 6)
        else:
            delay = round(REGISTRY_RTT + size / self.bandwidth * self.rng.uniform(0.9, 1.1), 6)
        self._later(delay, self._pulled, ref, callback)
        return delay

    def _pulled(self, ref: str, callback: Callable[[str | None, CRIError | None], Any]) -> None:
        entry = self.images.get(ref) or self._add_image(ref)
        callback(entry["id"], None)

    def image_fs_info(self) -> dict:
        """ImageFsInfo: bytes and inodes the image store uses (cri-api ``FilesystemUsage``)."""
        self._log("ImageFsInfo")
        used = sum(int(e["size"]) for e in self.images.values())
        return {"imageFilesystems": [{"timestamp": self._ns(self.loop.now),
                                      "fsId": {"mountpoint": self.IMAGE_STORE},
                                      "usedBytes": {"value": str(used)},
                                      "inodesUsed": {"value": str(len(self.images) * _INODES_PER_IMAGE)}}],
                "containerFilesystems": []}


__all__ = ["ImageServiceMixin", "REGISTRY_RTT"]
