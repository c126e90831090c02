"""A node for kubelet lifecycle tests: API server, kubelet, the CRI runtime (k8score.cri) and a
tiny stand-in image catalog, so the tests pin the kubelet's behaviour whatever the real
shell/images do.

The stand-in ``sh -c SCRIPT`` runs ``;``/``&&``-separated commands: ``exit N``, ``sleep N``,
``echo ...``, ``touch F``, ``rm F``, ``cat F`` (busybox's message and exit 1 when missing),
``true``, ``false``. It installs no signal handler, so as PID 1 it ignores SIGTERM as a real
shell does. ``server`` exits 0 on SIGTERM; ``hog MIB`` allocates then serves.
"""

from __future__ import annotations

from apihelpers import default_service_accounts
from k8score.apiserver import APIServer
from k8score.container import catalog
from k8score.container.catalog import ImageSpec
from k8score.container.process import SIGTERM, Pause, Sleep
from k8score.controllers import KubeControllerManager
from k8score.cri import Containerd
from k8score.etcd import Store
from k8score.kubelet import Kubelet
from k8score.node.host import Host
from k8score.sim import Loop

MiB = 1 << 20


def sh(proc):
    script = proc.argv[2] if len(proc.argv) > 2 and proc.argv[1] == "-c" else ""
    status = 0
    for part in script.replace("&&", ";").split(";"):
        words = part.split()
        if not words:
            continue
        cmd, args = words[0], words[1:]
        if cmd == "exit":
            return int(args[0]) if args else status
        if cmd == "sleep":
            yield Sleep(float(args[0]))
            status = 0
        elif cmd == "echo":
            proc.stdout.write(" ".join(args) + "\n")
            status = 0
        elif cmd == "touch":
            proc.fs.write(args[0], "")
        elif cmd == "rm":
            proc.fs.remove(args[-1])
        elif cmd == "cat":
            try:
                proc.stdout.write(proc.fs.read(args[0]))
                status = 0
            except OSError:
                proc.stderr.write(f"cat: can't open '{args[0]}': No such file or directory\n")
                status = 1
        elif cmd in ("true", "false"):
            status = 0 if cmd == "true" else 1
        if status and "&&" in script:
            return status
    return status


def sleep(proc):
    yield Sleep(float(proc.argv[1]))
    return 0


def server(proc):
    proc.on_signal[SIGTERM] = lambda sig: proc.exit(0)
    while True:
        yield Pause()


def hog(proc):
    proc.alloc(int(proc.argv[1]) * MiB)
    return (yield from server(proc))


def cat(proc):
    try:
        proc.stdout.write(proc.fs.read(proc.argv[1]))
    except OSError:
        proc.stderr.write(f"cat: can't open '{proc.argv[1]}': No such file or directory\n")
        return 1
    return 0
    yield  # noqa: unreachable - makes this a generator


def env(proc):
    proc.stdout.write("".join(f"{k}={v}\n" for k, v in proc.env.items()))
    return 0
    yield  # noqa: unreachable - makes this a generator


PROGRAMS = {"sh": sh, "sleep": sleep, "server": server, "hog": hog, "cat": cat, "env": env}


def lookup(ref):
    if any(w in ref for w in ("doesnotexist", "nonexistent", "notfound")):
        return None
    if "nginx" in ref:
        return ImageSpec(ref, cmd=["server"])
    return ImageSpec(ref, cmd=["sh"], env={"PATH": "/bin"})


def program_for(spec, argv, env=None):
    return PROGRAMS.get(argv[0].rsplit("/", 1)[-1]) if argv else None


def install(monkeypatch):
    monkeypatch.setattr(catalog, "lookup", lookup)
    monkeypatch.setattr(catalog, "program_for", program_for)


def setup(seed=0, capacity=None):
    loop = Loop(seed)
    api = APIServer(loop, Store())
    api.start()
    default_service_accounts(api, root_ca=True)
    KubeControllerManager(loop, api, controllers=["nodeipam", "root-ca-cert-publisher"]).start()
    host = Host("node-1", "192.168.0.11", loop)
    runtime = Containerd(loop, "node-1", host=host)
    kubelet = Kubelet(loop, api, "node-1", runtime=runtime, host=host, capacity=capacity)
    kubelet.start()
    loop.run(until=1)
    return loop, api, kubelet


def pod(name="web", containers=None, image="busybox:1.36", command=None, **spec):
    containers = containers or [{"name": "c", "image": image, **({"command": command} if command else {})}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"nodeName": "node-1", "containers": containers, **spec}}


def shell(script, name="c", image="busybox:1.36", **extra):
    return {"name": name, "image": image, "command": ["sh", "-c", script], **extra}


def events(api, name):
    evs = sorted(api.list("events", namespace="default")["items"], key=lambda e: int(e["metadata"]["resourceVersion"]))
    return [e for e in evs if e["involvedObject"]["name"] == name]


def log(kubelet, name):
    """(time, reason, message) of every event the kubelet recorded for pod ``name`` (not aggregated)."""
    return [(t, reason, msg) for t, _type, reason, obj, msg in kubelet.recorder.log if obj == f"pod/{name}"]
