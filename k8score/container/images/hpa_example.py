"""``registry.k8s.io/hpa-example``: the php-apache server of the HPA walkthrough
(https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale-walkthrough/).

The image is ``FROM php:5-apache`` plus an ``index.php`` that burns CPU before it answers::

    $x = 0.0001;
    for ($i = 0; $i <= 1000000; $i++) { $x += sqrt($x); }
    echo "OK!";

The server is the Debian Apache of :mod:`.httpd` (``flavour="php"``); this module holds what a
request to ``index.php`` costs. Each request queues :data:`INDEX_PHP_CPU_SECONDS` of CPU work in
the container's cpu cgroup (:meth:`k8score.container.cpu.Cpu.burn`), drained at most at the
container's CPU limit (the walkthrough's ``500m``).

Calibration: the walkthrough's load generator ``while sleep 0.01; do wget -q -O- http://php-apache;
done`` sends one request every 12 ms of virtual time (10 ms sleep + 1 ms per shell command,
:data:`k8score.container.shell.COMMAND_COST`), 83 requests a second; at 8 ms each that is 0.67
core of demand: one replica is held at its 500m limit (250 % of its 200m request), the HPA with
``--cpu-percent=50`` goes to 5 replicas (``ceil(1 * 250 / 50)``), then to 7 (0.67 / 5 = 133m =
67 %), where 0.67 / 7 = 95m = 48 % is within the 10 % tolerance — the docs' final 7 replicas.
"""

from __future__ import annotations

from typing import Any

#: CPU seconds of one ``index.php`` request (see the module docstring for the calibration)
INDEX_PHP_CPU_SECONDS = 0.008


def index_php(proc: Any) -> str:
    """Run index.php: queue its CPU work, return its output."""
    cpu = getattr(proc, "cpu", None)
    if cpu is not None:
        cpu.burn(INDEX_PHP_CPU_SECONDS)
    return "OK!"


__all__ = ["INDEX_PHP_CPU_SECONDS", "index_php"]
