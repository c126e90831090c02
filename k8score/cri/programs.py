"""What an image is and runs, as the runtime asks it: the image catalog
(:mod:`k8score.container.catalog`), and on a kubeadm control-plane node the simulated
control-plane components (:func:`k8score.node.controlplane.program_for_host`): the
``kube-apiserver`` container of the static pod runs a process that stays up while the
``kube-apiserver`` component runs, so stopping the component shows in its pod.
"""

from __future__ import annotations

from typing import Any

from ..container import catalog
from ..container.catalog import ImageSpec
from ..container.process import Program
from ..node.controlplane import program_for_host


def image_spec(ref: str) -> ImageSpec | None:
    """The catalog's :class:`ImageSpec` for a normalized reference; ``None``: not in the registry."""
    return catalog.lookup(ref)


def program(spec: ImageSpec, argv: list[str], env: dict[str, str] | None = None,
            host: Any = None) -> Program | None:
    """The program ``argv[0]`` names in the image, or ``None`` (runc: executable file not found)."""
    if not argv:
        return None
    if host is not None:
        component = program_for_host(host, argv)
        if component is not None:
            return component
    return catalog.program_for(spec, argv, env)


__all__ = ["image_spec", "program"]
