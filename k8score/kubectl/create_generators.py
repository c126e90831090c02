"""``kubectl create <generator>``: which subcommand builds which object.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create.go NewCmdCreate (the subcommands
and their aliases, create_*.go ``Aliases``). ``create`` itself takes no arguments: a word that
names no generator is ``Unexpected args: [...]`` (create.go Complete).

>>> sorted(GENERATORS)[:4]
['cj', 'clusterrole', 'clusterrolebinding', 'cm']
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from . import create_data, create_misc, create_network, create_rbac, create_workloads
from .args import Args
from .create_common import usage_error

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: subcommand (or alias) -> generator; deployment and namespace stay in writes.py
GENERATORS: dict[str, Callable[["Kubectl", Args], None]] = {
    "secret": create_data.secret,
    "configmap": create_data.configmap, "cm": create_data.configmap,
    "serviceaccount": create_rbac.serviceaccount, "sa": create_rbac.serviceaccount,
    "role": create_rbac.role, "clusterrole": create_rbac.clusterrole,
    "rolebinding": create_rbac.rolebinding, "clusterrolebinding": create_rbac.clusterrolebinding,
    "job": create_workloads.job, "cronjob": create_workloads.cronjob, "cj": create_workloads.cronjob,
    "service": create_network.service, "svc": create_network.service,
    "ingress": create_network.ingress, "ing": create_network.ingress,
    "poddisruptionbudget": create_misc.pdb, "pdb": create_misc.pdb,
    "priorityclass": create_misc.priorityclass, "pc": create_misc.priorityclass,
    "quota": create_misc.quota, "resourcequota": create_misc.quota,
    "token": create_misc.token,
}


def run(k: "Kubectl", args: Args) -> bool:
    """Run the generator ``args.args[0]`` names; False when it names none."""
    fn = GENERATORS.get(args.args[0]) if args.args else None
    if fn is None:
        return False
    fn(k, args)
    return True


def unexpected(args: Args) -> Exception:
    """create.go Complete: ``create`` given words that name no subcommand."""
    return usage_error(args, "create", f"Unexpected args: [{' '.join(args.args)}]")


__all__ = ["GENERATORS", "run", "unexpected"]
