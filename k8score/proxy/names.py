"""iptables names and numbers kube-proxy uses (pkg/proxy/iptables/proxier.go).

Chain names for a service port are ``prefix + portProtoHash``: the first 16 characters of
base32(sha256(``ns/svc[:port]`` + lower-case protocol)) — iptables chain names are limited
to 28 characters. Endpoint chains hash the ``ip:port`` in too.
"""

from __future__ import annotations

import base64
import hashlib

# pkg/proxy/iptables/proxier.go: the fixed chains
KUBE_SERVICES = "KUBE-SERVICES"
KUBE_EXTERNAL_SERVICES = "KUBE-EXTERNAL-SERVICES"
KUBE_NODEPORTS = "KUBE-NODEPORTS"
KUBE_POSTROUTING = "KUBE-POSTROUTING"
KUBE_MARK_MASQ = "KUBE-MARK-MASQ"
KUBE_FORWARD = "KUBE-FORWARD"
KUBE_PROXY_FIREWALL = "KUBE-PROXY-FIREWALL"
KUBELET_FIREWALL = "KUBE-FIREWALL"   # kubeletFirewallChain: a copy of kubelet's chain
# pkg/proxy/iptables/proxier.go: servicePortPolicyClusterChainNamePrefix etc.
SVC_PREFIX, SVL_PREFIX, EXT_PREFIX, FW_PREFIX, SEP_PREFIX = \
    "KUBE-SVC-", "KUBE-SVL-", "KUBE-EXT-", "KUBE-FW-", "KUBE-SEP-"
SERVICE_CHAIN_PREFIXES = (SVC_PREFIX, SVL_PREFIX, SEP_PREFIX, FW_PREFIX, EXT_PREFIX)  # isServiceChainName
# pkg/proxy/apis/config/v1alpha1/defaults.go: IPTables.MasqueradeBit = 14 -> mark 0x4000
MASQUERADE_BIT = 14
# pkg/proxy/iptables/proxier.go: largeClusterEndpointsThreshold — above this many endpoints
# kube-proxy drops the per-endpoint comments (they cost ~40% of the restore input).
LARGE_CLUSTER_ENDPOINTS_THRESHOLD = 1000
# --cluster-cidr (kubeadm podSubnet); the LocalTrafficDetector's "from a pod" test
DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"
# pkg/proxy/metrics/metrics.go: the nfacct counter names
NFACCT_LOCALHOST_NODEPORTS = "localhost_nps_accepted_pkts"
NFACCT_CT_STATE_INVALID = "ct_state_invalid_dropped_pkts"

def port_proto_hash(service_port_name: str, protocol: str) -> str:
    """``portProtoHash``: base32(sha256(servicePortName + lower(protocol)))[:16].

    >>> port_proto_hash("default/kubernetes:https", "tcp")
    'NPX46M4PTMTKRN6Y'
    """
    digest = hashlib.sha256((service_port_name + protocol).encode()).digest()
    return base64.b32encode(digest).decode()[:16]


def service_chain_name(service_port_name: str, protocol: str) -> str:
    """``servicePortPolicyClusterChain``: ``KUBE-SVC-`` + hash (protocol lower-case)."""
    return SVC_PREFIX + port_proto_hash(service_port_name, protocol.lower())


def endpoint_chain_name(service_port_name: str, protocol: str, endpoint: str) -> str:
    """``servicePortEndpointChainName``: sha256 over servicePortName + protocol + ``ip:port``."""
    digest = hashlib.sha256((service_port_name + protocol.lower() + endpoint).encode()).digest()
    return SEP_PREFIX + base64.b32encode(digest).decode()[:16]


def probability(n: int) -> str:
    """``computeProbability``: ``%0.10f`` of 1/n — endpoint *i* of *n* gets ``probability(n - i)``.

    >>> [probability(n) for n in (3, 2)]
    ['0.3333333333', '0.5000000000']
    """
    return f"{1.0 / n:0.10f}"


def masquerade_mark(bit: int = MASQUERADE_BIT) -> str:
    """The masquerade mark, ``0x4000`` for the default bit 14.

    kube-proxy formats it ``%#08x`` (``0x00004000``); iptables stores a number and
    ``iptables-save`` prints it back as ``0x4000`` — as do upstream's golden tests, whose
    fake proxier uses ``"0x4000"``. We show the saved form.
    """
    return hex(1 << bit)


