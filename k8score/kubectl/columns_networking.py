"""``kubectl get ingresses|ingressclasses`` columns (pkg/printers/internalversion/printers.go:
printIngress with formatHosts, formatPorts and ingressLoadBalancerStatusStringer;
printIngressClass).

Registered into :data:`k8score.kubectl.columns.TABLES`.

>>> ing = {"metadata": {"name": "web"}, "spec": {"rules": [{"host": h} for h in "abcde"]}}
>>> _ingress_row(ing, 0.0, False)[:5]
['web', '<none>', 'a,b,c + 2 more...', '', '80']
"""

from __future__ import annotations

from .timefmt import since

def _m(obj: dict) -> dict:
    return obj.get("metadata") or {}


def _hosts(rules: list) -> str:
    """formatHosts: the first three hosts (rules without one are skipped), then ``+ N more...``
    counting every rule past the third; ``*`` when no rule names a host."""
    shown: list[str] = []
    more = False
    for rule in rules:
        if len(shown) == 3:
            more = True
        if not more and (rule or {}).get("host"):
            shown.append(rule["host"])
    if not shown:
        return "*"
    return ",".join(shown) + (f" + {len(rules) - 3} more..." if more else "")


def _address(status: dict, wide: bool) -> str:
    """ingressLoadBalancerStatusStringer: the set of IPs (else hostnames), sorted. It clips to
    16 bytes only when not wide, and the API server renders Tables wide
    (pkg/printers/storage/storage.go): ``kubectl get ingress`` shows every address."""
    found = sorted({i.get("ip") or i.get("hostname") for i in ((status.get("loadBalancer") or {}).get("ingress") or [])
                    if i.get("ip") or i.get("hostname")})
    return ",".join(found)


def _ingress_row(ing: dict, now: float, wide: bool) -> list[str]:
    spec = ing.get("spec") or {}
    return [_m(ing).get("name", ""), spec.get("ingressClassName") or "<none>", _hosts(spec.get("rules") or []),
            _address(ing.get("status") or {}, wide), "80, 443" if spec.get("tls") else "80",
            since(_m(ing).get("creationTimestamp"), now)]


def _ingressclass_row(ic: dict, now: float, wide: bool) -> list[str]:
    spec = ic.get("spec") or {}
    params = spec.get("parameters")
    shown = "<none>"
    if params:
        shown = params.get("kind", "") + (f".{params['apiGroup']}" if params.get("apiGroup") is not None else "")
        shown += "/" + params.get("name", "")
    return [_m(ic).get("name", ""), spec.get("controller", ""), shown, since(_m(ic).get("creationTimestamp"), now)]


NETWORKING_TABLES = {
    "ingresses": ([("NAME", 0), ("CLASS", 0), ("HOSTS", 0), ("ADDRESS", 0), ("PORTS", 0), ("AGE", 0)],
                  _ingress_row),
    "ingressclasses": ([("NAME", 0), ("CONTROLLER", 0), ("PARAMETERS", 0), ("AGE", 0)], _ingressclass_row),
}

__all__ = ["NETWORKING_TABLES"]
