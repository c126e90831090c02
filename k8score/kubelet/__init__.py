"""The kubelet and a CRI-shaped container runtime (containerd-like)."""

from .backoff import Backoff
from .cri import ContainerRuntime, CRIError
from .kubelet import Kubelet

__all__ = ["Kubelet", "ContainerRuntime", "CRIError", "Backoff"]
