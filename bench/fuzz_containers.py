"""Long fuzz campaign for the container model (issue 8): random shell scripts and random pods.

Uses the strategies of ``tests/test_robustness_containers.py`` (a small derandomized sample
runs in CI). Two phases, each printing inputs run, distinct failures (with a reproducer) and
seconds::

    .venv/bin/python bench/fuzz_containers.py [SCRIPTS] [PODS] [SEED]

- scripts: ``sh -c`` in a bare process for 20 virtual s — no exception, no ``k8score:
  internal error`` on stderr, the process ends (SIGTERM, then SIGKILL);
- pods: 1-3 random pods on ``Cluster(nodes=2, seed)`` for 60 s, deleted, 40 s more — no
  exception, no internal error in any component's ``errors`` or a container log.

It also measures the runaway cases: ``while true; do :; done`` and ``while true; do echo x;
done`` for 120 virtual s (wall seconds, log bytes).
"""

from __future__ import annotations

import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))           # run from a checkout
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import hypothesis  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from k8score import Cluster  # noqa: E402
from test_robustness_containers import (INTERNAL, _check_kubectl, _files, _internal_errors, _pod,  # noqa: E402
                                        pods, run_sh, scripts)


def phase(name: str, count: int, strategy, check, seed: int) -> None:
    """Run ``check`` on ``count`` examples of ``strategy`` (hypothesis, seeded); print figures."""
    failures: dict[str, str] = {}
    runs = [0]

    @hypothesis.seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def campaign(case):
        runs[0] += 1
        try:
            problem = check(case)
        except Exception as exc:  # noqa: BLE001 - a failure to report, not to stop on
            problem = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        if problem and problem[:100] not in failures:
            failures[problem[:100]] = repr(case)[:400]
            print(f"  FAIL {problem[:200]}\n       repro: {repr(case)[:400]}")

    t0 = time.perf_counter()
    campaign()
    print(f"{name}: {runs[0]} inputs, {len(failures)} distinct failures, {time.perf_counter() - t0:.1f} s")


def check_script(case) -> str | None:
    script, spawn = case
    p = run_sh(script, spawn=spawn)
    err = p.proc.stderr.getvalue()
    if p.exit_code is None:
        return "did not end after SIGKILL"
    return next((line for line in err.splitlines() if INTERNAL in line), None)


def check_pods(case) -> str | None:
    seed, manifests = case
    c = Cluster(nodes=2, seed=seed)
    for m in manifests:
        c.apply(m)
    c.run(60)
    _check_kubectl(c, manifests)
    for m in manifests:
        c.delete("pod", m["metadata"]["name"])
    c.run(40)
    errors = _internal_errors(c)
    return errors[0] if errors else None


def runaway(script: str, seconds: float = 120.0) -> None:
    c = Cluster(nodes=2, seed=1)
    c.apply(_pod("runaway", script))
    t0 = time.perf_counter()
    c.run(seconds)
    wall = time.perf_counter() - t0
    logs = sum(len(h.fs.read(p)) for h in c.hosts.values() for p in _files(h.fs, "/var/log/pods") if "runaway" in p)
    print(f"runaway {script!r}: {seconds:g} virtual s in {wall:.1f} wall s, container log {logs} bytes")


def main() -> None:
    n_scripts = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    n_pods = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    phase("scripts", n_scripts, st.tuples(scripts(), st.booleans()), check_script, seed)
    phase("pods", n_pods, st.tuples(st.integers(0, 2**16), st.lists(st.just(0), min_size=1, max_size=3).flatmap(
        lambda ks: st.tuples(*[pods(k) for k in range(len(ks))]))), check_pods, seed)
    runaway("while true; do :; done")
    runaway("while true; do echo x; done")
    runaway("while true; do sleep 1 & done")


if __name__ == "__main__":
    main()
