"""kube-proxy (iptables mode): Services and endpoints -> a node's packet rules, and a tracer.

- :class:`KubeProxy` — the node component (``kube-proxy/<node>``);
- :func:`iptables_rules` — the rules as a pure function of Services and Endpoints;
- :func:`trace` — follow one packet through the rules, chain by chain.
"""

from .iptables import (endpoint_chain_name, iptables_rules, port_proto_hash, probability,
                       service_chain_name)
from .kubeproxy import KubeProxy, SyncRecord
from .ruleset import Rule, RuleSet
from .trace import Step, Trace, trace

__all__ = ["KubeProxy", "SyncRecord", "iptables_rules", "trace", "Trace", "Step", "RuleSet", "Rule",
           "service_chain_name", "endpoint_chain_name", "port_proto_hash", "probability"]
