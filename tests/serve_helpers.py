"""Shared helpers of the tests that drive real kubectl 1.37 against ``k8score serve``."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

KUBECTL = shutil.which("kubectl", path=str(Path(sys.executable).parent)) or shutil.which("kubectl")


def start(tmp: Path, nodes: int = 2, seed: int = 0, speed: float = 8.0):
    """A served cluster and its kubeconfig: ``(server, kubeconfig, tmp)``."""
    from k8score import Cluster
    from k8score.serve import Server
    server = Server(Cluster(nodes=nodes, seed=seed), port=0, speed=speed).start()
    kubeconfig = server.write_kubeconfig(tmp / "kubeconfig", token="test-admin-token")
    return server, kubeconfig, tmp


def kubectl(served, *args: str, input: str | None = None, timeout: float = 30,
            env: dict | None = None) -> subprocess.CompletedProcess:
    _server, kubeconfig, tmp = served
    return subprocess.run([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"), *args],
                          input=input, capture_output=True, text=True, timeout=timeout, env=env)


def popen(served, *args: str) -> subprocess.Popen:
    _server, kubeconfig, tmp = served
    return subprocess.Popen([KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache"), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(fn, seconds: float = 15.0):
    end = time.monotonic() + seconds
    while True:
        out = fn()
        if out or time.monotonic() > end:
            return out
        time.sleep(0.2)
