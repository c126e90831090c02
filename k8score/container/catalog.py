"""What each image contains and runs (CONTRACT; the implementation fills the catalog).

The runtime asks two questions:

- :func:`lookup(ref) -> ImageSpec | None` — ``None`` means the registry does not have the image
  (the pull fails with ``not found``). ``ref`` is a normalized reference
  (``docker.io/library/nginx:1.14.2``, see :mod:`k8score.kubelet.images`).
- :func:`program_for(spec, argv) -> Program | None` — the program ``argv[0]`` names inside that
  image (looked up on ``PATH``), or ``None`` when the image has no such executable (runc's
  ``exec: "x": executable file not found in $PATH``).

A container's ``argv`` is Docker's rule (:func:`container_argv`): ``command`` replaces the
image's ENTRYPOINT, ``args`` replaces its CMD; ``command`` without ``args`` drops CMD.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .process import SIGTERM, Program


@dataclass
class ImageSpec:
    ref: str
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)      # image ENV (PATH...)
    workdir: str = "/"
    files: dict[str, str] = field(default_factory=dict)    # the image's files the model needs
    binaries: dict[str, str] = field(default_factory=dict)  # "/bin/sh" -> program name in PROGRAMS
    stop_signal: int = SIGTERM                              # Dockerfile STOPSIGNAL
    memory: int = 1 << 20                                   # resident bytes once started
    size: int = 0                                           # compressed bytes (pull time, ImageFsInfo)


def container_argv(spec: ImageSpec, command: list[str] | None, args: list[str] | None) -> list[str]:
    """pkg/kubelet/kuberuntime/kuberuntime_container.go + Docker's ENTRYPOINT/CMD rules."""
    entry = list(command) if command else list(spec.entrypoint)
    if args:
        rest = list(args)
    elif command:
        rest = []
    else:
        rest = list(spec.cmd)
    return entry + rest


def lookup(ref: str) -> ImageSpec | None:  # pragma: no cover - filled by the implementation
    raise NotImplementedError


def program_for(spec: ImageSpec, argv: list[str], env: dict[str, str] | None = None) -> Program | None:  # pragma: no cover
    raise NotImplementedError


__all__ = ["ImageSpec", "container_argv", "lookup", "program_for"]
_ = Any
