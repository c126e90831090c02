"""k8score: Kubernetes' architecture as a deterministic pure-Python simulation."""

__version__ = "0.1.0"
