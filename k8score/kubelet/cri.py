"""The kubelet's container runtime (kept for imports): see :mod:`k8score.cri`.

``ContainerRuntime`` is :class:`k8score.cri.Containerd`, the default runtime of a node.
"""

from __future__ import annotations

from ..cri import CRIError, Containerd, CriO
from ..cri.runtime import PAUSE_IMAGE, RUNTIME_API_VERSION

ContainerRuntime = Containerd
RUNTIME_NAME = Containerd.NAME
#: As the Node's ``containerRuntimeVersion`` shows it (``containerd://2.1.4``).
RUNTIME_VERSION = Containerd.NODE_VERSION

__all__ = ["ContainerRuntime", "Containerd", "CriO", "CRIError", "RUNTIME_NAME", "RUNTIME_VERSION",
           "RUNTIME_API_VERSION", "PAUSE_IMAGE"]
