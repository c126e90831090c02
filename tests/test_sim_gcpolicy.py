"""The collector's thresholds while the simulation runs (k8score/sim/gcpolicy.py).

The setting is process-wide, so it must hold only inside Loop.run and the caller's thresholds
must come back afterwards, also after an exception and after nested runs.
"""

import gc

import pytest

from k8score.sim import Loop
from k8score.sim.gcpolicy import THRESHOLDS


@pytest.fixture(autouse=True)
def defaults():
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_a_run_collects_less_often_and_restores_the_callers_thresholds():
    loop, seen = Loop(seed=1), []
    loop.call_later(1, lambda: seen.append(gc.get_threshold()))
    loop.run()
    assert seen == [THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)


def test_nested_runs_restore_only_when_the_outermost_returns():
    loop, seen = Loop(seed=1), []
    loop.call_later(1, lambda: loop.run(until=2))      # a component driving the loop itself
    loop.call_later(2, lambda: seen.append(gc.get_threshold()))
    loop.call_later(3, lambda: seen.append(gc.get_threshold()))
    loop.run()
    assert seen == [THRESHOLDS, THRESHOLDS]
    assert gc.get_threshold() == (700, 10, 10)


def test_an_exception_in_an_event_still_restores():
    loop = Loop(seed=1)
    loop.call_later(1, lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        loop.run()
    assert gc.get_threshold() == (700, 10, 10)
    loop.call_later(1, lambda: None)
    loop.run()                                          # the depth count was not left behind
    assert gc.get_threshold() == (700, 10, 10)


def test_a_caller_that_collects_even_less_often_is_left_alone():
    gc.set_threshold(100_000, 50, 100)
    loop, seen = Loop(seed=1), []
    loop.call_later(1, lambda: seen.append(gc.get_threshold()))
    loop.run()
    assert seen == [(100_000, 50, 100)] and gc.get_threshold() == (100_000, 50, 100)


def test_a_predicate_already_true_changes_nothing():
    loop = Loop(seed=1)
    assert loop.run(predicate=lambda: True) is True
    assert gc.get_threshold() == (700, 10, 10)
