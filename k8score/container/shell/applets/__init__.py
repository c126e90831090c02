"""busybox applets as programs ``prog(proc) -> int | Generator`` (see :mod:`k8score.container.process`)."""

from __future__ import annotations

from . import files, network, system, text

PROGRAMS = {**text.PROGRAMS, **files.PROGRAMS, **system.PROGRAMS, **network.PROGRAMS}

__all__ = ["PROGRAMS"]
