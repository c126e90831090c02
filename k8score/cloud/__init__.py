"""The cloud-controller-manager and the simulated cloud it runs against.

>>> from k8score.cloud import SimulatedCloud, CloudControllerManager
"""

from .manager import CloudControllerManager
from .provider import SimulatedCloud

__all__ = ["CloudControllerManager", "SimulatedCloud"]
