"""A worker machine as the kubelet and a reader's shell see it (:mod:`.host`)."""

from .host import Host

__all__ = ["Host"]
