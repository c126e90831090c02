"""k8score.kubectl.gosort repeats Go's ``sort.Sort`` (pdqsort), ties included.

Upstream: go/src/sort/sort.go (Sort, xorshift) and go/src/sort/zsortinterface.go (pdqsort);
kubectl sorts with it in kubectl/pkg/cmd/events/events.go, kubectl/pkg/describe/describe.go
DescribeEvents and kubectl/pkg/cmd/get/sorter.go. The pinned permutations below were printed
by Go itself (``sort.Sort`` over a sort.Interface of (index, key) pairs; Go 1.19's sort package
with the xorshift shifts of Go >= 1.24, and stock Go 1.19 for the old-shift case), and checked
against this module on 8000 random tie-heavy inputs of up to 400 items.
"""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from k8score.kubectl.gosort import go_sort


def _order(keys: list[int], shifts=None, table: bool = False) -> list[int]:
    """Indices of ``keys`` in the order sort.Sort leaves them (key -1 = missing, TableSorter)."""
    def less(a, b):
        if table:   # get/sorter.go TableSorter.Less: a missing i is "less", a missing j is not
            if a[1] < 0:
                return True
            if b[1] < 0:
                return False
        return a[1] < b[1]
    pairs = list(enumerate(keys))
    got = go_sort(pairs, less) if shifts is None else go_sort(pairs, less, shifts)
    return [i for i, _ in got]


def _numbers(text: str) -> list[int]:
    return [int(x) for x in text.split()]


def test_up_to_twelve_items_ties_keep_their_order_and_the_thirteenth_breaks_it():
    assert _order([i % 2 for i in range(12)]) == [0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]
    assert _order([i % 2 for i in range(13)]) == [8, 12, 2, 0, 4, 10, 6, 3, 7, 9, 5, 11, 1]


def test_already_sorted_runs_come_back_untouched():
    # choosePivot sees no swaps, partialInsertionSort finds nothing out of order
    assert _order([0] * 20) == list(range(20))
    assert _order(list(range(40))) == list(range(40))


def test_go_permutations_of_tie_heavy_inputs():
    assert _order([i % 3 for i in range(30)]) == _numbers(
        "12 27 24 3 21 18 6 0 15 9 7 4 10 13 28 1 16 25 22 19 8 20 5 23 2 17 26 11 14 29")
    # 60 items: Tukey's ninther picks the pivot, partitionEqual gathers the equal ones
    assert _order([i % 4 for i in range(60)]) == _numbers(
        "0 20 28 56 4 36 24 52 8 16 44 48 12 40 32 37 25 17 49 41 1 13 21 45 53 9 5 33 57 29 "
        "14 46 30 58 34 2 26 54 38 6 22 50 42 10 18 15 7 47 11 43 19 51 31 39 23 55 3 35 27 59")
    # descending with ties: choosePivot's decreasing hint reverses the range first
    assert _order([5 - i // 3 for i in range(16)]) == _numbers("15 14 13 12 9 11 10 8 7 6 5 4 3 0 2 1")


def test_tablesorter_less_with_missing_values_gives_go_order():
    keys = [[-1, 0, 1][(i * 7) % 3] for i in range(15)]
    assert _order(keys, table=True) == _numbers("3 9 12 0 6 4 7 10 1 13 5 8 2 11 14")


def test_break_patterns_follows_the_xorshift_of_the_go_release():
    keys = _numbers("1 2 1 2 2 2 2 0 1 0 2 0 0 0 1 1 0 1 2 0 2 0 0 2 0 1 1 0 1 0 0 0")
    new = _numbers("24 22 31 30 29 27 21 7 16 9 19 11 12 13 8 17 14 15 2 28 26 25 0 18 23 1 20 5 10 4 3 6")
    old = _numbers("24 22 30 27 21 19 16 7 29 9 31 11 12 13 26 17 0 14 2 15 28 8 25 6 4 1 10 3 20 5 18 23")
    assert _order(keys) == new                      # Go >= 1.24 (kubectl 1.3x): 13, 7, 17
    assert _order(keys, shifts=(13, 17, 5)) == old  # Go 1.19-1.23


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=300))
def test_it_sorts_and_keeps_every_item(keys):
    order = _order(keys)
    assert sorted(order) == list(range(len(keys)))
    assert [keys[i] for i in order] == sorted(keys)
    assert _order(keys) == order                     # no hidden randomness


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 3), max_size=12))
def test_twelve_or_fewer_items_sort_stably(keys):
    assert _order(keys) == sorted(range(len(keys)), key=lambda i: keys[i])


def test_no_items_and_one_item():
    assert go_sort([], lambda a, b: a < b) == []
    assert go_sort(["x"], lambda a, b: a < b) == ["x"]
    assert go_sort((3, 1, 2), lambda a, b: a < b) == [1, 2, 3]   # any sequence; a new list
