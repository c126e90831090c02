"""The Kubernetes release k8score simulates: v1.37.1, one version for every component.

A kubeadm cluster of one release runs matched components, so the API server's ``/version``,
the kubelet's and kube-proxy's versions in Node status, the control-plane static pods' image
tags, the kubelet's probe User-Agent and the emulated kubectl all name this release, and a
real kubectl 1.37 served by ``k8score serve`` sees no version skew (kubectl/pkg/cmd/version
warns when client and server minors differ by more than one).

The build facts (commit, date, Go version) and the kustomize version are those the released
kubectl v1.37.1 binary reports (``kubectl version --client -o yaml``); kubectl and the
servers of a release are built from the same commit.

>>> GIT_VERSION, MAJOR, MINOR
('v1.37.1', '1', '37')
>>> server_info()["emulationMinor"], server_info()["minCompatibilityMinor"]
('37', '36')
"""

from __future__ import annotations

#: k8s.io/apimachinery/pkg/version/types.go Info.GitVersion of the simulated release
GIT_VERSION = "v1.37.1"
MAJOR, MINOR = GIT_VERSION.lstrip("v").split(".")[:2]
#: what ``kubectl version --client -o yaml`` of the v1.37.1 binary prints
GIT_COMMIT = "f78e722310e50bcaca9276be22276d9e91d91308"
BUILD_DATE = "2026-09-23T17:10:04Z"
GO_VERSION = "go1.26.8"
PLATFORM = "linux/amd64"
#: kubectl v1.37 vendors sigs.k8s.io/kustomize/kustomize/v5 v5.8.1 (its ``Kustomize Version``)
KUSTOMIZE_VERSION = "v5.8.1"


def client_info() -> dict:
    """``clientVersion`` of ``kubectl version -o json`` (version.Info, Go field order)."""
    return {"major": MAJOR, "minor": MINOR, "gitVersion": GIT_VERSION, "gitCommit": GIT_COMMIT,
            "gitTreeState": "clean", "buildDate": BUILD_DATE, "goVersion": GO_VERSION, "compiler": "gc",
            "platform": PLATFORM}


def server_info() -> dict:
    """The API server's ``GET /version`` (version.Info with the compatibility-version fields
    kube-apiserver sets since 1.31: it emulates its own minor and is compatible with one back,
    staging/src/k8s.io/component-base/compatibility)."""
    return {"major": MAJOR, "minor": MINOR, "emulationMajor": MAJOR, "emulationMinor": MINOR,
            "minCompatibilityMajor": MAJOR, "minCompatibilityMinor": str(int(MINOR) - 1),
            "gitVersion": GIT_VERSION, "gitCommit": GIT_COMMIT, "gitTreeState": "clean",
            "buildDate": BUILD_DATE, "goVersion": GO_VERSION, "compiler": "gc", "platform": PLATFORM}


__all__ = ["GIT_VERSION", "MAJOR", "MINOR", "KUSTOMIZE_VERSION", "client_info", "server_info"]
