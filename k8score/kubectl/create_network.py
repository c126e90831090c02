"""``kubectl create service clusterip|nodeport|loadbalancer|externalname`` and ``create ingress``.

Upstream: staging/src/k8s.io/kubectl/pkg/cmd/create/create_service.go (``--tcp port[:target]``:
a port named ``port-target``; selector and label ``app=NAME``), create_ingress.go (``--rule
host/path=svc:port[,tls[=secret]]``: a path ending in ``*`` is a Prefix path, else Exact; rules
of one host share one IngressRule, TLS hosts of one secret one IngressTLS).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..apiserver.validation.names import inclusive_range_error, is_dns1123_subdomain, is_valid_port_name
from .args import Args, CommandError
from .create_common import array_flag, emit, last, meta, name_arg, namespace, slice_flag

if TYPE_CHECKING:
    from .kubectl import Kubectl

#: create_ingress.go regexHostPathSvc + regexTLS (no end anchor, as upstream)
RULE_REGEX = re.compile(r"^(?P<host>[\w\*\-\.]*)(?P<path>/.*)=(?P<svcname>[\w\-]+):(?P<svcport>[\w\-]+)"
                        r"(,(?P<istls>tls)=?(?P<secretname>[\w\-]+)?)?", re.ASCII)
_TYPES = {"clusterip": "ClusterIP", "nodeport": "NodePort", "loadbalancer": "LoadBalancer",
          "externalname": "ExternalName"}


# -- service -------------------------------------------------------------------------------------
def service(k: "Kubectl", args: Args) -> None:
    """``kubectl create service TYPE NAME ...``."""
    from .create_help import SERVICE, sub_help
    sub = args.args[1] if len(args.args) > 1 else ""
    kind = _TYPES.get(sub)
    if kind is None:
        sub_help(k, args, SERVICE, 1)
        return
    for flag, owner in (("clusterip", "clusterip"), ("node-port", "nodeport"), ("external-name", "externalname")):
        if args.get(flag) is not None and sub != owner:   # each subcommand's own FlagSet
            raise CommandError(f"error: unknown flag: --{flag}\nSee 'kubectl create service {sub} --help' for usage.")
    if kind == "ExternalName" and args.get("external-name") is None:
        raise CommandError('error: required flag(s) "external-name" not set')
    name = name_arg(args, 2, f"create service {sub}")
    tcp, cluster_ip = slice_flag(args, "tcp"), last(args, "clusterip")
    external = last(args, "external-name")
    node_port = _int(args, "node-port", f"create service {sub}")
    if cluster_ip == "None" and kind != "ClusterIP":
        raise CommandError("error: ClusterIP=None can only be used with ClusterIP service type")
    if cluster_ip != "None" and not tcp and kind != "ExternalName":
        raise CommandError("error: at least one tcp port specifier must be provided")
    if kind == "ExternalName" and is_dns1123_subdomain(external):
        raise CommandError(f"error: invalid service external name {external}")
    ports = []
    for spec in tcp:
        port, target = _parse_ports(spec)
        # corev1.ServicePort field order; nodePort 0 is omitempty
        entry = {"name": spec.replace(":", "-"), "protocol": "TCP", "port": port, "targetPort": target}
        if node_port:
            entry["nodePort"] = node_port
        ports.append(entry)
    ns, enforced = namespace(k, args)
    spec_obj: dict = {}
    if ports:
        spec_obj["ports"] = ports
    spec_obj["selector"] = {"app": name}
    if cluster_ip:
        spec_obj["clusterIP"] = cluster_ip
    spec_obj["type"] = kind
    if external:
        spec_obj["externalName"] = external
    obj = {"kind": "Service", "apiVersion": "v1", "metadata": meta(name, ns if enforced else "", labels={"app": name}),
           "spec": spec_obj, "status": {"loadBalancer": {}}}
    emit(k, args, k.resource("services"), obj, ns, f"failed to create {kind} service: ")


def _int(args: Args, flag: str, path: str) -> int:
    value = last(args, flag)
    if not value:
        return 0
    try:
        return int(value)
    except ValueError:
        raise CommandError(f'error: invalid argument "{value}" for "--{flag}" flag: strconv.ParseInt: parsing '
                           f"\"{value}\": invalid syntax\nSee 'kubectl {path} --help' for usage.") from None


def _parse_ports(spec: str) -> tuple[int, int | str]:
    """create_service.go parsePorts: ``port`` or ``port:target`` (a number or a port name)."""
    parts = spec.split(":")
    port = _parse_uint16(parts[0])
    if len(parts) == 1:
        return port, port
    target = parts[1]
    if re.fullmatch(r"[+-]?[0-9]+", target):   # strconv.Atoi
        n = int(target)
        if not 1 <= n <= 65535:   # validation.IsValidPortNum
            raise CommandError(f"error: {inclusive_range_error(1, 65535)}")
        return port, n
    errs = is_valid_port_name(target)
    if errs:
        raise CommandError("error: " + ",".join(errs))
    return port, target


def _parse_uint16(text: str) -> int:
    """k8s.io/utils/net ParsePort(text, allowZero=true): strconv.ParseUint(text, 10, 16)."""
    if not re.fullmatch(r"[0-9]+", text):
        raise CommandError(f'error: strconv.ParseUint: parsing "{text}": invalid syntax')
    if int(text) > 65535:
        raise CommandError(f'error: strconv.ParseUint: parsing "{text}": value out of range')
    return int(text)


# -- ingress -------------------------------------------------------------------------------------
def ingress(k: "Kubectl", args: Args) -> None:
    """``kubectl create ingress NAME --rule=host/path=svc:port[,tls[=secret]] [--class] [--default-backend]``."""
    name = name_arg(args, 1, "create ingress")
    rules, annotations = array_flag(args, "rule"), array_flag(args, "annotation")
    backend, klass = last(args, "default-backend"), last(args, "class")
    if not backend and not rules:
        raise CommandError("error: not enough information provided: every ingress has to either specify a "
                           "default-backend (which catches all traffic) or a list of rules (which catch "
                           "specific paths)")
    for rule in rules:
        if not RULE_REGEX.match(rule):
            raise CommandError(f"error: rule {rule} is invalid and should be in format "
                               "host/path=svcname:svcport[,tls[=secret]]")
    for annotation in annotations:
        if "=" not in annotation:
            raise CommandError(f"error: annotation {annotation} is invalid and should be in format key=[value]")
    if backend and len(backend.split(":")) != 2:
        raise CommandError("error: default-backend should be in format servicename:serviceport")
    ns, enforced = namespace(k, args)
    spec: dict = {}
    if klass:
        spec["ingressClassName"] = klass
    if backend:
        spec["defaultBackend"] = _backend(backend)
    tls, ingress_rules = _tls(rules), _rules(rules)
    if tls:
        spec["tls"] = tls
    if ingress_rules:
        spec["rules"] = ingress_rules
    notes = dict(sorted(dict(a.split("=", 1) for a in annotations).items()))
    obj = {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
           "metadata": meta(name, ns if enforced else "", annotations=notes), "spec": spec,
           "status": {"loadBalancer": {}}}
    emit(k, args, k.resource("ingresses"), obj, ns, "failed to create ingress: ")


def _backend(service: str) -> dict:
    """buildIngressBackendSvc: ``svc:port``; a numeric port is a number, else a port name."""
    svc, port = service.split(":")[0], service.split(":")[1]
    return {"service": {"name": svc, "port": {"number": int(port)} if port.isdigit() else {"name": port}}}


def _tls(rules: list[str]) -> list[dict]:
    """buildTLSRules: per ``,tls[=secret]`` rule, its host under its secret's entry (each host once)."""
    out: list[dict] = []
    seen: set[str] = set()
    for rule in rules:
        parts = rule.split(",")
        if len(parts) != 2:
            continue
        host = rule.split("/", 1)[0]
        pieces = parts[1].split("=")
        secret = pieces[1] if len(pieces) > 1 else ""
        if host in seen:
            continue
        same = next((entry for entry in out if entry.get("secretName", "") == secret), None)
        seen.add(host)
        if same is not None:
            same.setdefault("hosts", []).append(host)
            continue
        entry: dict = {}
        if host:
            entry["hosts"] = [host]
        if secret:
            entry["secretName"] = secret
        if entry:
            out.append(entry)
    return out


def _rules(rules: list[str]) -> list[dict]:
    """buildIngressRules: one IngressRule per host, its paths in the order given."""
    out: list[dict] = []
    for rule in rules:
        host, pathsvc = rule.split(",")[0].split("/", 1)
        pieces = pathsvc.split("=")
        path, path_type = "/" + pieces[0], "Exact"
        if path.endswith("*"):
            path, path_type = path[:-1], "Prefix"
        entry = {"path": path, "pathType": path_type, "backend": _backend(pieces[1])}
        same = next((r for r in out if r.get("host", "") == host), None)
        if same is not None:
            same["http"]["paths"].append(entry)
            continue
        out.append({**({"host": host} if host else {}), "http": {"paths": [entry]}})
    return out


__all__ = ["RULE_REGEX", "service", "ingress"]
