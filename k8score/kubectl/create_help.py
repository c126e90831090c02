"""``kubectl create secret`` and ``kubectl create service`` without a subcommand: their help.

Upstream: create_secret.go and create_service.go run ``cmdutil.DefaultSubCommandRun(errOut)``:
with no argument the command's help goes to stderr and kubectl exits 1; with arguments it is
``unknown command "<args joined by spaces>"`` (RequireNoArguments). The texts are what the
kubectl v1.37.1 binary prints, byte for byte.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .args import Args
from .create_common import usage_error

if TYPE_CHECKING:
    from .kubectl import Kubectl

_FOOTER = ('Use "kubectl options" for a list of global command-line options (applies to all commands).\n')

#: ``kubectl create secret`` (create_secret.go secretLong and its three subcommands)
SECRET = (
    "Create a secret with specified type.\n"
    "\n"
    " A docker-registry type secret is for accessing a container registry.\n"
    "\n"
    " A generic type secret indicate an Opaque secret type.\n"
    "\n"
    " A tls type secret holds TLS certificate and its associated key.\n"
    "\n"
    "Available Commands:\n"
    "  docker-registry   Create a secret for use with a Docker registry\n"
    "  generic           Create a secret from a local file, directory, or literal value\n"
    "  tls               Create a TLS secret\n"
    "\n"
    "Usage:\n"
    "  kubectl create secret (docker-registry | generic | tls) [options]\n"
    "\n"
    'Use "kubectl create secret <command> --help" for more information about a given command.\n'
    + _FOOTER)

#: ``kubectl create service`` (create_service.go NewCmdCreateService, alias svc)
SERVICE = (
    "Create a service using a specified subcommand.\n"
    "\n"
    "Aliases:\n"
    "service, svc\n"
    "\n"
    "Available Commands:\n"
    "  clusterip      Create a ClusterIP service\n"
    "  externalname   Create an ExternalName service\n"
    "  loadbalancer   Create a LoadBalancer service\n"
    "  nodeport       Create a NodePort service\n"
    "\n"
    "Usage:\n"
    "  kubectl create service [flags] [options]\n"
    "\n"
    'Use "kubectl create service <command> --help" for more information about a given command.\n'
    + _FOOTER)


def sub_help(k: "Kubectl", args: Args, text: str, depth: int) -> None:
    """DefaultSubCommandRun for the parent command named by ``args.args[:depth]``."""
    rest = args.args[depth:]
    parent = "secret" if text is SECRET else "service"
    if rest:
        raise usage_error(args, f"create {parent}", f'unknown command "{" ".join(rest)}"')
    k.stderr(text)
    k.last_exit_code = 1


__all__ = ["SECRET", "SERVICE", "sub_help"]
