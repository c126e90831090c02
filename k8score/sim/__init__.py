"""Simulation kernel: virtual clock, event heap, seeded RNG, timers, channels, components."""

from .channel import Channel
from .component import Component
from .loop import Loop, Periodic, Timer

__all__ = ["Loop", "Timer", "Periodic", "Channel", "Component"]
