"""PrioritySort: higher ``spec.priority`` first, then earlier queue timestamp.

``pkg/scheduler/framework/plugins/queuesort/priority_sort.go``.
"""

from __future__ import annotations

from ..interface import QueueSortPlugin


class PrioritySort(QueueSortPlugin):
    name = "PrioritySort"

    def less(self, a, b):
        if a.priority != b.priority:
            return a.priority > b.priority
        return a.timestamp < b.timestamp

    @staticmethod
    def sort_key(info) -> tuple:
        """The same order as :meth:`less`, as a heap key (the queue uses this)."""
        return (-info.priority, info.timestamp)
