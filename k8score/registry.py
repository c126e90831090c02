"""Who is who in the cluster: one spec per component, read from the component classes.

The architecture diagrams (``diagrams/``) and the site draw "who watches what"
from here, so a picture cannot drift from the code: each component class
declares ``kind``, ``plane``, ``watches``, ``writes`` and ``summary`` next to
the code that does the watching and writing.

Components that k8score does not implement yet are listed with
``implemented=False`` so a diagram can show them greyed out rather than claim
they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module

from .lang import tr


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    plane: str                 # "control-plane" or "node"
    watches: tuple[str, ...]   # resources it list+watches through the API server
    writes: tuple[str, ...]    # what it writes through the API server
    summary: str               # one line, in the current language (k8score.lang)
    implemented: bool = True
    talks_to: str = "kube-apiserver"


# (module, class) of every implemented component, in the order diagrams list them.
_CLASSES = [
    ("k8score.apiserver", "APIServer"),
    ("k8score.scheduler", "Scheduler"),
    ("k8score.controllers", "KubeControllerManager"),
    ("k8score.cloud", "CloudControllerManager"),
    ("k8score.kubelet", "Kubelet"),
    ("k8score.proxy", "KubeProxy"),
]

# Not classes of their own (yet): the store is a library the API server owns, the
# runtime is driven by the kubelet over the CRI. A function: the summaries are read in the
# language current when specs() is called.
def _static() -> list[ComponentSpec]:
    return [
        ComponentSpec("etcd", "control-plane", (), (),
                      tr("分布式键值存储：保存集群全部对象；只有 kube-apiserver 直接读写它",
                         "Distributed key-value store: holds every object of the cluster; "
                         "only kube-apiserver reads and writes it directly"),
                      implemented=True, talks_to=""),
        ComponentSpec("container-runtime", "node", (), (),
                      tr("容器运行时（containerd），kubelet 通过 CRI 调用它",
                         "The container runtime (containerd), which the kubelet calls through the CRI"),
                      implemented=True, talks_to="kubelet"),
    ]


def _from_class(module: str, cls: str) -> ComponentSpec:
    klass = getattr(import_module(module), cls)
    return ComponentSpec(
        name=klass.kind,
        plane=klass.plane,
        watches=tuple(klass.watches),
        writes=tuple(klass.writes),
        summary=klass.summary,
    )


def specs() -> list[ComponentSpec]:
    """All components, implemented ones first read from their classes."""
    found = [_from_class(m, c) for m, c in _CLASSES]
    order = ["kube-apiserver", "etcd", "kube-scheduler", "kube-controller-manager",
             "cloud-controller-manager", "kubelet", "kube-proxy", "container-runtime"]
    allspecs = {s.name: s for s in found + _static()}
    return [allspecs[n] for n in order if n in allspecs] + [s for n, s in allspecs.items() if n not in order]
