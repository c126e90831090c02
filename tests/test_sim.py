import pytest

from k8score.sim import Channel, Component, Loop


def test_same_time_runs_in_schedule_order():
    loop = Loop()
    out = []
    for i in range(5):
        loop.call_at(1.0, out.append, i)
    loop.call_at(1.0, out.append, "first", priority=-1)
    loop.run()
    assert out == ["first", 0, 1, 2, 3, 4]


def test_cancelled_timer_does_not_fire_and_clock_advances_to_until():
    loop = Loop()
    out = []
    t = loop.call_later(1, out.append, "x")
    t.cancel()
    loop.run(until=10)
    assert out == [] and loop.now == 10.0


def test_run_until_predicate_stops_early():
    loop = Loop()
    out = []
    loop.every(1.0, lambda: out.append(loop.now))
    assert loop.run(predicate=lambda: len(out) >= 3)
    assert out == [1.0, 2.0, 3.0] and loop.now == 3.0


def test_runaway_is_reported():
    loop = Loop()
    loop.every(0.001, lambda: None)
    with pytest.raises(RuntimeError, match="did not settle"):
        loop.run(max_events=100)


def test_callback_errors_propagate():
    loop = Loop()
    loop.call_soon(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        loop.run()


def test_seeded_rng_reproduces():
    a, b = Loop(seed=42), Loop(seed=42)
    assert [a.rng.random() for _ in range(5)] == [b.rng.random() for _ in range(5)]
    assert Loop(seed=1).rng.random() != Loop(seed=2).rng.random()


def test_channel_is_fifo_under_jitter():
    loop = Loop(seed=3)
    got = []
    ch = Channel(loop, got.append, latency=0.01, jitter=0.5)
    for i in range(50):
        loop.call_at(i * 0.001, ch.send, i)
    loop.run()
    assert got == list(range(50))


def test_closed_channel_drops_in_flight():
    loop = Loop()
    got = []
    ch = Channel(loop, got.append, latency=1)
    ch.send(1)
    ch.close()
    loop.run()
    assert got == []


def test_stopped_component_timers_do_not_fire_and_restart_works():
    loop = Loop()
    ticks = []

    class Ticker(Component):
        def on_start(self):
            self.every(1.0, lambda: ticks.append(loop.now))

    t = Ticker("ticker", loop)
    t.start()
    loop.run(until=2.5)
    t.stop()
    loop.run(until=5.5)
    assert ticks == [1.0, 2.0]
    t.start()
    loop.run(until=7.0)
    assert ticks == [1.0, 2.0, 6.5]
