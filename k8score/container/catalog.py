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

import posixpath
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
    #                                 ("*" -> name: any other executable, for the fallback image)
    stop_signal: int = SIGTERM                              # Dockerfile STOPSIGNAL
    memory: int = 1 << 20                                   # resident bytes once started
    size: int = 0                                           # compressed bytes (pull time, ImageFsInfo)
    ports: list[int] = field(default_factory=list)         # Dockerfile EXPOSE (servers listen there)


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


def lookup(ref: str) -> ImageSpec | None:
    """The image ``ref`` names (normalized as the runtime does), or None when no registry has it:
    references containing ``doesnotexist``, ``nonexistent``, ``notfound`` or ``does-not-exist``.
    Unknown but plausible references get the documented fallback image (a shell, and any other
    executable runs a server that exits 0 on SIGTERM — see :mod:`k8score.container.images.misc`).

    >>> lookup("nginx:1.14.2").cmd, lookup("busybox").cmd, lookup("nginx:doesnotexist")
    (['nginx', '-g', 'daemon off;'], ['sh'], None)
    """
    from ..kubelet.images import normalize
    from .images.specs import spec_for
    return spec_for(normalize(ref))


def which(spec: ImageSpec, name: str, env: dict[str, str] | None = None) -> str | None:
    """The path ``name`` resolves to in the image (``execvp``): a name with a ``/`` is a path
    (relative to the working directory); a bare name is searched on ``PATH`` (the container's
    env first, then the image's ENV). ``*`` in ``binaries`` matches any other name (fallback)."""
    if not name:
        return None
    if "/" in name:
        path = posixpath.normpath(posixpath.join(spec.workdir or "/", name))
        if path in spec.binaries:
            return path
    else:
        search = (env or {}).get("PATH") or spec.env.get("PATH") or _DEFAULT_PATH
        for directory in search.split(":"):
            path = posixpath.join(directory or ".", name)
            if path in spec.binaries:
                return path
    return "*" if "*" in spec.binaries else None


def program_for(spec: ImageSpec, argv: list[str], env: dict[str, str] | None = None) -> Program | None:
    """The program ``argv[0]`` runs in ``spec``'s image, or None (``executable file not found in
    $PATH`` / ``no such file or directory``). Image programs (:data:`images.PROGRAMS`) come first,
    then the shell's applets. The returned program charges the image's resident memory when it
    is the container's first process (see :mod:`k8score.container.images`)."""
    if spec is None or not argv:
        return None
    path = which(spec, argv[0], env)
    if path is None:
        return None
    name = spec.binaries[path]
    from .images import PROGRAMS as IMAGE_PROGRAMS
    factory = IMAGE_PROGRAMS.get(name)
    if factory is not None:
        program = factory(spec)
    else:
        from .shell import PROGRAMS as SHELL_PROGRAMS   # lazily: the shell imports this module
        program = SHELL_PROGRAMS.get(name)
        if program is None:
            return None
    return _charged(program, spec.memory)


def _charged(program: Program, resident: int) -> Program:
    def run(proc: Any):
        if resident and proc.memory.usage == 0:   # the container's first process maps the image
            proc.alloc(resident)
        result = program(proc)
        if hasattr(result, "send"):
            return (yield from result)
        return result
    run.__name__ = getattr(program, "__name__", "program")
    return run


_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

__all__ = ["ImageSpec", "container_argv", "lookup", "program_for", "which"]
_ = Any
