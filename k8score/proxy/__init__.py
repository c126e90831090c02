"""kube-proxy (iptables mode): Services and EndpointSlices -> a node's packet rules, and a tracer.

- :class:`KubeProxy` — the node component (``kube-proxy/<node>``);
- :func:`iptables_rules` — the rules as a pure function of Services and EndpointSlices;
- :func:`generate` — ``syncProxyRules``' restore input (:class:`RestoreInput`);
- :class:`NodeTables` — netfilter tables under ``iptables-restore --noflush``, saved as ``iptables-save``;
- :func:`trace` — follow one packet through the rules, chain by chain.
"""

from .endpointslices import endpoint_slices_map
from .iptables import generate, iptables_rules
from .iptables_service import RestoreInput
from .kubeproxy import KubeProxy, SyncRecord
from .names import endpoint_chain_name, port_proto_hash, probability, service_chain_name
from .ruleset import Rule, RuleSet
from .servicemap import categorize_endpoints
from .tables import NodeTables
from .trace import trace
from .tracefmt import Step, Trace

__all__ = ["KubeProxy", "SyncRecord", "iptables_rules", "generate", "RestoreInput", "NodeTables",
           "endpoint_slices_map", "categorize_endpoints", "trace", "Trace", "Step", "RuleSet", "Rule",
           "service_chain_name", "endpoint_chain_name", "port_proto_hash", "probability"]
