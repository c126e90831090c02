"""``python -m k8score.etcd.robustness --seed N [--unsafe VARIANT] [--without KIND]``: replay
one seed exactly and print its faults and violations (exit status 1 on a violation)."""

from __future__ import annotations

import argparse
import sys

from . import VARIANTS, run
from .faults import KINDS


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m k8score.etcd.robustness")
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--members", type=int, default=3)
    p.add_argument("--seconds", type=float, default=None, help="virtual seconds of traffic")
    p.add_argument("--unsafe", choices=VARIANTS, default="", help="a TEST-ONLY broken etcd")
    p.add_argument("--without", action="append", default=[], choices=KINDS,
                   help="leave this fault kind out (repeatable)")
    p.add_argument("--ops", action="store_true", help="print every recorded operation")
    a = p.parse_args(argv)
    kw = {"traffic_seconds": a.seconds} if a.seconds else {}
    kw["kinds"] = tuple(k for k in KINDS if k not in a.without)
    rep = run(a.seed, members=a.members, unsafe=a.unsafe, **kw)
    print(rep.summary())
    if a.ops:
        for op in rep.history.ops:
            print(f"  {op!r}")
    return 0 if rep.ok else 1


if __name__ == "__main__":
    sys.exit(main())
