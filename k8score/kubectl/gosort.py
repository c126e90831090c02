"""Go's ``sort.Sort``: pattern-defeating quicksort, so ties come out where Go puts them.

kubectl orders with ``sort.Sort`` (not ``sort.Stable``) in ``kubectl events``
(kubectl/pkg/cmd/events/events.go SortableEvents), ``describe``'s Events block
(kubectl/pkg/describe/describe.go DescribeEvents) and ``get --sort-by``
(kubectl/pkg/cmd/get/sorter.go TableSorter, RuntimeSort). ``sort.Sort`` is unstable: up to 12
items it is an insertion sort (ties keep their order), beyond that pdqsort moves equal items
around in a fixed, data-dependent way. To print what kubectl prints, this module repeats Go's
algorithm step by step over a ``less(a, b)`` on the items, with the same comparisons and swaps:
go/src/sort/sort.go (Sort, xorshift, nextPowerOfTwo) and go/src/sort/zsortinterface.go
(pdqsort, partition, partitionEqual, partialInsertionSort, breakPatterns, choosePivot,
insertionSort, heapSort). A reimplementation, not a copy; names follow Go's so the two can be
read side by side.

>>> go_sort([3, 1, 2], lambda a, b: a < b)
[1, 2, 3]
>>> go_sort([("b", 1), ("a", 1), ("c", 0)], lambda a, b: a[1] < b[1])   # <= 12: stable
[('c', 0), ('b', 1), ('a', 1)]
>>> [x for x, _ in go_sort([(i, i % 2) for i in range(12)], lambda a, b: a[1] < b[1])]
[0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]
>>> [x for x, _ in go_sort([(i, i % 2) for i in range(13)], lambda a, b: a[1] < b[1])]   # 13: not
[8, 12, 2, 0, 4, 10, 6, 3, 7, 9, 5, 11, 1]
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

T = TypeVar("T")

_MASK64 = (1 << 64) - 1
#: zsortinterface.go pdqsort: maxInsertion
_MAX_INSERTION = 12
#: zsortinterface.go choosePivot: shortestNinther, maxSwaps
_SHORTEST_NINTHER = 50
_MAX_SWAPS = 4 * 3
#: zsortinterface.go partialInsertionSort: maxSteps, shortestShifting
_MAX_STEPS = 5
_SHORTEST_SHIFTING = 50
#: sort.go sortedHint
_UNKNOWN, _INCREASING, _DECREASING = 0, 1, 2
#: sort.go xorshift.Next shifts. Go 1.19-1.23 used 13, 17, 5 (the 32-bit triple); Go 1.24 fixed
#: them to Marsaglia's 64-bit 13, 7, 17 (golang/go#70144). kubectl 1.3x is built with Go >= 1.24.
XORSHIFT_SHIFTS = (13, 7, 17)


def go_sort(items: Sequence[T], less: Callable[[T, T], bool],
            shifts: tuple[int, int, int] = XORSHIFT_SHIFTS) -> list[T]:
    """A new list: ``items`` in the order Go's ``sort.Sort`` leaves them with this ``less``.

    ``less`` is called exactly as Go calls ``Less(i, j)`` (same pairs, same order), so a
    ``less`` that is not a strict weak order (kubectl's TableSorter says "less" for two missing
    values) still gives Go's permutation. ``shifts`` selects the xorshift of an older Go.
    """
    data = list(items)
    _Sorter(data, less, shifts).sort()
    return data


class _Sorter:
    """sort.Interface over a Python list: ``lt(i, j)`` is Less, ``sw(i, j)`` is Swap."""

    def __init__(self, data: list, less: Callable, shifts: tuple[int, int, int]):
        self.data = data
        self.less = less
        self.shifts = shifts

    def lt(self, i: int, j: int) -> bool:
        return bool(self.less(self.data[i], self.data[j]))

    def sw(self, i: int, j: int) -> None:
        d = self.data
        d[i], d[j] = d[j], d[i]

    # sort.go Sort: limit is bits.Len(n), the number of bad pivots allowed before heapsort
    def sort(self) -> None:
        n = len(self.data)
        if n <= 1:
            return
        self.pdqsort(0, n, n.bit_length())

    def insertion_sort(self, a: int, b: int) -> None:
        for i in range(a + 1, b):
            j = i
            while j > a and self.lt(j, j - 1):
                self.sw(j, j - 1)
                j -= 1

    def sift_down(self, lo: int, hi: int, first: int) -> None:
        root = lo
        while True:
            child = 2 * root + 1
            if child >= hi:
                return
            if child + 1 < hi and self.lt(first + child, first + child + 1):
                child += 1
            if not self.lt(first + root, first + child):
                return
            self.sw(first + root, first + child)
            root = child

    def heap_sort(self, a: int, b: int) -> None:
        first, hi = a, b - a
        for i in range((hi - 1) // 2, -1, -1):
            self.sift_down(i, hi, first)
        for i in range(hi - 1, -1, -1):
            self.sw(first, first + i)
            self.sift_down(0, i, first)

    def pdqsort(self, a: int, b: int, limit: int) -> None:
        was_balanced = was_partitioned = True
        while True:
            length = b - a
            if length <= _MAX_INSERTION:
                self.insertion_sort(a, b)
                return
            if limit == 0:          # too many bad pivots: heapsort
                self.heap_sort(a, b)
                return
            if not was_balanced:    # the last partition was lopsided: scatter a few items
                self.break_patterns(a, b)
                limit -= 1
            pivot, hint = self.choose_pivot(a, b)
            if hint == _DECREASING:
                self.reverse_range(a, b)
                # the pivot was pivot-a after the start; after reversing it is as far before the end
                pivot = (b - 1) - (pivot - a)
                hint = _INCREASING
            if was_balanced and was_partitioned and hint == _INCREASING:
                if self.partial_insertion_sort(a, b):   # probably sorted already
                    return
            # data[a-1] (a pivot of an outer call) is not less than the pivot: many equal items
            if a > 0 and not self.lt(a - 1, pivot):
                a = self.partition_equal(a, b, pivot)
                continue
            mid, already = self.partition(a, b, pivot)
            was_partitioned = already
            left, right = mid - a, b - mid
            threshold = length // 8
            if left < right:
                was_balanced = left >= threshold
                self.pdqsort(a, mid, limit)
                a = mid + 1
            else:
                was_balanced = right >= threshold
                self.pdqsort(mid + 1, b, limit)
                b = mid

    def partition(self, a: int, b: int, pivot: int) -> tuple[int, bool]:
        self.sw(a, pivot)
        i, j = a + 1, b - 1
        while i <= j and self.lt(i, a):
            i += 1
        while i <= j and not self.lt(j, a):
            j -= 1
        if i > j:
            self.sw(j, a)
            return j, True
        self.sw(i, j)
        i, j = i + 1, j - 1
        while True:
            while i <= j and self.lt(i, a):
                i += 1
            while i <= j and not self.lt(j, a):
                j -= 1
            if i > j:
                break
            self.sw(i, j)
            i, j = i + 1, j - 1
        self.sw(j, a)
        return j, False

    def partition_equal(self, a: int, b: int, pivot: int) -> int:
        self.sw(a, pivot)
        i, j = a + 1, b - 1
        while True:
            while i <= j and not self.lt(a, i):
                i += 1
            while i <= j and self.lt(a, j):
                j -= 1
            if i > j:
                return i
            self.sw(i, j)
            i, j = i + 1, j - 1

    def partial_insertion_sort(self, a: int, b: int) -> bool:
        i = a + 1
        for _ in range(_MAX_STEPS):
            while i < b and not self.lt(i, i - 1):
                i += 1
            if i == b:
                return True
            if b - a < _SHORTEST_SHIFTING:
                return False
            self.sw(i, i - 1)
            if i - a >= 2:          # shift the smaller one left (Go's loop runs down to 1, not a)
                for j in range(i - 1, 0, -1):
                    if not self.lt(j, j - 1):
                        break
                    self.sw(j, j - 1)
            if b - i >= 2:          # shift the greater one right
                for j in range(i + 1, b):
                    if not self.lt(j, j - 1):
                        break
                    self.sw(j, j - 1)
        return False

    def break_patterns(self, a: int, b: int) -> None:
        length = b - a
        if length < 8:
            return
        s1, s2, s3 = self.shifts
        rnd = length                             # xorshift(length): seeded by the length
        modulus = 1 << length.bit_length()       # nextPowerOfTwo
        for idx in range(a + (length // 4) * 2 - 1, a + (length // 4) * 2 + 2):
            rnd ^= (rnd << s1) & _MASK64
            rnd ^= rnd >> s2
            rnd ^= (rnd << s3) & _MASK64
            other = rnd & (modulus - 1)
            if other >= length:
                other -= length
            self.sw(idx, a + other)

    def choose_pivot(self, a: int, b: int) -> tuple[int, int]:
        n = b - a
        swaps = [0]
        i, j, k = a + n // 4 * 1, a + n // 4 * 2, a + n // 4 * 3
        if n >= 8:
            if n >= _SHORTEST_NINTHER:   # Tukey's ninther
                i = self.median(i - 1, i, i + 1, swaps)
                j = self.median(j - 1, j, j + 1, swaps)
                k = self.median(k - 1, k, k + 1, swaps)
            j = self.median(i, j, k, swaps)
        if swaps[0] == 0:
            return j, _INCREASING
        if swaps[0] == _MAX_SWAPS:
            return j, _DECREASING
        return j, _UNKNOWN

    def order2(self, a: int, b: int, swaps: list[int]) -> tuple[int, int]:
        if self.lt(b, a):
            swaps[0] += 1
            return b, a
        return a, b

    def median(self, a: int, b: int, c: int, swaps: list[int]) -> int:
        a, b = self.order2(a, b, swaps)
        b, c = self.order2(b, c, swaps)
        a, b = self.order2(a, b, swaps)
        return b

    def reverse_range(self, a: int, b: int) -> None:
        i, j = a, b - 1
        while i < j:
            self.sw(i, j)
            i, j = i + 1, j - 1
