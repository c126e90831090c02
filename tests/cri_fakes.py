"""Small local images and programs for the CRI tests (so they do not depend on the catalog)."""

from __future__ import annotations

from k8score.container import catalog
from k8score.container.catalog import ImageSpec
from k8score.container.process import SIGQUIT, SIGTERM, Pause, Sleep, Wait
from k8score.container.net import Network
from k8score.cri import Containerd
from k8score.node.host import Host
from k8score.sim import Loop

MiB = 1 << 20


def printer(proc):
    """``printer CODE [SECONDS]``: a line on stdout, a fragment on stderr, sleep, exit CODE."""
    proc.stdout.write(f"hello from {proc.hostname}\n")
    proc.stderr.write("no newline")
    yield Sleep(float(proc.argv[2]) if len(proc.argv) > 2 else 1.0)
    return int(proc.argv[1])


def server(proc):
    """Waits; exits 0 on SIGTERM (a well-behaved server)."""
    proc.on_signal[SIGTERM] = lambda sig: proc.exit(0)
    while True:
        yield Pause()


def quitter(proc):
    """Waits; exits 0 on SIGQUIT only (nginx's STOPSIGNAL)."""
    proc.on_signal[SIGQUIT] = lambda sig: proc.exit(0)
    while True:
        yield Pause()


def stubborn(proc):
    """Installs no handler: as PID 1 it ignores SIGTERM (``sleep 3600``)."""
    yield Sleep(3600)
    return 0


def catfile(proc):
    """``catfile PATH...``: print files, exit 1 with busybox's text for a missing one."""
    for path in proc.argv[1:]:
        try:
            proc.stdout.write(proc.fs.read(path))
        except OSError:
            proc.stderr.write(f"cat: can't open '{path}': No such file or directory\n")
            return 1
    yield Sleep(0)
    return 0


def writer(proc):
    """``writer PATH TEXT``: write a file then serve; exit 1 on a write error."""
    try:
        proc.fs.write(proc.argv[1], proc.argv[2])
    except OSError as e:
        proc.stderr.write(f"writer: {e}\n")
        return 1
    return (yield from server(proc))


def printenv(proc):
    proc.stdout.write("".join(f"{k}={v}\n" for k, v in proc.env.items()))
    return 0
    yield  # noqa: unreachable - makes this a generator


def hog(proc):
    """``hog MIB``: allocate MIB mebibytes, then serve."""
    proc.alloc(int(proc.argv[1]) * MiB)
    return (yield from server(proc))


def parent(proc):
    """Spawns ``printer 5 2`` and exits with its code; ``missing`` if spawn finds nothing."""
    child = proc.spawn(["printer", "5", "2"], proc)
    if proc.spawn(["nosuchprogram"], proc) is not None:
        return 99
    code = yield Wait(child)
    return code


PROGRAMS = {"printer": printer, "server": server, "quitter": quitter, "stubborn": stubborn, "cat": catfile,
            "writer": writer, "printenv": printenv, "hog": hog, "parent": parent}
IMAGES = {
    "example.com/tools:1": ImageSpec("example.com/tools:1", cmd=["server"],
                                     env={"PATH": "/bin", "GREETING": "from-image"},
                                     files={"/etc/motd": "welcome\n"}, memory=2 * MiB),
    "example.com/web:1": ImageSpec("example.com/web:1", entrypoint=["quitter"], stop_signal=SIGQUIT),
}


def lookup(ref):
    return IMAGES.get(ref)


def program_for(spec, argv, env=None):
    return PROGRAMS.get(argv[0].rsplit("/", 1)[-1]) if argv else None


def install(monkeypatch):
    monkeypatch.setattr(catalog, "lookup", lookup)
    monkeypatch.setattr(catalog, "program_for", program_for)


class Node:
    """A runtime on a node with a pod CIDR, and synchronous helpers that drive the loop."""

    def __init__(self, flavour=Containerd, seed=1):
        self.loop = Loop(0)
        self.host = Host("node-1", "192.168.0.11", self.loop)
        self.net = Network()
        self.rt = flavour(self.loop, "node-1", host=self.host, network=self.net, seed=seed)
        self.rt.update_runtime_config("10.244.1.0/24")

    def call(self, fn, *args, **kw):
        out = []
        fn(*args, lambda *res: out.append(res), **kw)
        self.loop.run(predicate=lambda: bool(out), max_events=100_000)
        return out[0]

    def pull(self, image):
        return self.call(self.rt.pull_image, image)

    def sandbox(self, name="web", uid="uid-1", **config):
        cfg = {"metadata": {"name": name, "namespace": "default", "uid": uid, "attempt": 0}, "hostname": name,
               "logDirectory": f"/var/log/pods/default_{name}_{uid}", **config}
        sb, err = self.call(self.rt.run_pod_sandbox, cfg)
        assert err is None
        return sb["id"]

    def container(self, sandbox_id, image, name="app", attempt=0, **config):
        cfg = {"metadata": {"name": name, "attempt": attempt}, "image": {"image": image},
               "logPath": f"{name}/{attempt}.log", **config}
        cid, err = self.call(self.rt.create_container, sandbox_id, cfg)
        assert err is None, err
        return cid

    def start(self, cid):
        (err,) = self.call(self.rt.start_container, cid)
        return err

    def run(self, image, **config):
        self.pull(image)
        sid = self.sandbox()
        cid = self.container(sid, image, **config)
        assert self.start(cid) is None
        return sid, cid

    def status(self, cid):
        return self.rt.container_status(cid)
