"""Print an :class:`~.ipvs.IpvsState` as the node's tools print it.

- :func:`ipvsadm_ln` — ``ipvsadm -Ln`` (ipvsadm.c ``print_title`` / ``print_service_entry``
  / ``print_dest``): a service line ``TCP  10.96.0.10:53 rr [persistent 10800]`` and one
  ``  -> ip:port  Masq  1  0  0`` line per real server (``%-28s %-7s %-6d %-10u %-10u``,
  so lines keep ipvsadm's trailing spaces). The kernel lists services in hash order; we
  print them the way ``ipvsadm -Ln --sort`` does (protocol number, address, port).
- :func:`ipset_list` — ``ipset list``: every set kube-proxy creates, in its ``ipsetInfo``
  order; References are the iptables rules matching the set. Headers are ipset 7 on a
  kernel before 5.11 (no ``bucketsize``/``initval``, whose initval is random anyway);
  members are sorted (the kernel prints hash order); Size in memory is an estimate.
- :func:`ip_addr_show` — ``ip addr show kube-ipvs0``: a dummy link, state DOWN (nothing
  ever brings it up — the addresses only need to be local), every address a /32.
"""

from __future__ import annotations

import hashlib
import ipaddress

from .ipvs import DUMMY_DEVICE, IpvsState
from .ipvs_iptables import set_references

# ip_vs.h IP_VS_VERSION_CODE 1.2.1; IP_VS_CONN_TAB_SIZE 2^12 (the default ip_vs conn_tab_bits)
_IPVS_HEADER = "IP Virtual Server version 1.2.1 (size=4096)"
_PROTO_NUMBER = {"TCP": 6, "UDP": 17, "SCTP": 132}
# ipset type revisions as a 5.4-5.10 kernel reports them (net/netfilter/ipset/*.c REVISION_MAX)
_REVISION = {"hash:ip": 4, "hash:ip,port": 5, "hash:ip,port,ip": 5, "hash:ip,port,net": 7, "bitmap:port": 3}


def ipvsadm_ln(st: IpvsState) -> str:
    """``ipvsadm -Ln`` for this state."""
    lines = [_IPVS_HEADER, "Prot LocalAddress:Port Scheduler Flags",
             "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn"]
    for vs in sorted(st.virtual_servers.values(), key=_vs_order):
        host = f"[{vs.address}]" if ":" in vs.address else vs.address
        line = f"{vs.protocol}  {host}:{vs.port} {vs.scheduler}"
        if vs.persistent:
            line += f" persistent {vs.persistent}"
        lines.append(line)
        for rs in sorted(vs.real_servers, key=lambda r: (ipaddress.ip_address(r.ip), r.port)):
            lines.append(f"  -> {str(rs):<28} {rs.forward:<7} {rs.weight:<6} {0:<10} {0:<10}")
    return "\n".join(lines) + "\n"


def _vs_order(vs) -> tuple:
    ip = ipaddress.ip_address(vs.address)
    return (_PROTO_NUMBER.get(vs.protocol, 255), ip.version, ip, vs.port)


def ipset_list(st: IpvsState, name: str | None = None) -> str:
    """``ipset list [NAME]``: blocks separated by a blank line, as ipset prints them."""
    refs = set_references(st.iptables)
    blocks = []
    for s in st.ipsets.values():
        if name is not None and s.name != name:
            continue
        if s.type == "bitmap:port":
            header, size = "range 0-65535", 8268
        else:
            header, size = "family inet hashsize 1024 maxelem 65536", 88 + 16 * len(s.entries) + \
                (0 if not s.entries else 112)
        members = sorted(s.entries, key=_member_order)
        blocks.append("\n".join([
            f"Name: {s.name}", f"Type: {s.type}", f"Revision: {_REVISION[s.type]}", f"Header: {header}",
            f"Size in memory: {size}", f"References: {refs.get(s.name, 0)}",
            f"Number of entries: {len(members)}", "Members:", *members]))
    if name is not None and not blocks:
        return "ipset v7.1: The set with the given name does not exist\n"
    return "\n\n".join(blocks) + "\n"


def _member_order(entry: str) -> tuple:
    head = entry.split(",", 1)[0]
    try:
        return (0, ipaddress.ip_address(head), entry)
    except ValueError:
        return (1, int(head) if head.isdigit() else 0, entry)


def ip_addr_show(st: IpvsState, *, node_name: str = "", ifindex: int = 5) -> str:
    """``ip addr show kube-ipvs0``. The MAC is random on a real node; here it is derived
    from ``node_name`` (locally administered, unicast) so output is stable."""
    lines = [f"{ifindex}: {DUMMY_DEVICE}: <BROADCAST,NOARP> mtu 1500 qdisc noop state DOWN group default ",
             f"    link/ether {_mac(node_name)} brd ff:ff:ff:ff:ff:ff"]
    for a in st.dummy_addresses:
        if ":" in a:
            lines.append(f"    inet6 {a}/128 scope global ")
        else:
            lines.append(f"    inet {a}/32 scope global {DUMMY_DEVICE}")
        lines.append("       valid_lft forever preferred_lft forever")
    return "\n".join(lines) + "\n"


def _mac(seed: str) -> str:
    b = bytearray(hashlib.sha256(f"{DUMMY_DEVICE}/{seed}".encode()).digest()[:6])
    b[0] = (b[0] & 0xFE) | 0x02
    return ":".join(f"{x:02x}" for x in b)
