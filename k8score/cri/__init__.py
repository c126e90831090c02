"""The container runtime behind the CRI: :class:`Containerd` and :class:`CriO`.

See :mod:`.runtime` for the shape of the API; :mod:`.logs` for the log files it writes.
"""

from .errors import CRIError
from .runtime import FLAVOURS, PAUSE_IMAGE, Containerd, CriO, RuntimeBase, virtual_seconds

__all__ = ["Containerd", "CriO", "RuntimeBase", "CRIError", "FLAVOURS", "PAUSE_IMAGE", "virtual_seconds"]
