"""busybox's two nslookups, as readers meet them in pods (networking/nslookup.c).

Up to 1.28 nslookup asks the C library (getaddrinfo), so resolv.conf's search list and ndots
apply and each address is printed with its reverse name; 1.29 rewrote it with its own DNS
client, and from 1.30 on only a dotless name gets the search domains (add_query_with_search) —
why the Kubernetes docs pin ``busybox:1.28`` for DNS debugging.
"""

from __future__ import annotations

import pytest

from k8score import Cluster


@pytest.fixture(scope="module")
def c():
    c = Cluster(nodes=2, seed=0)
    for name, image in (("old", "busybox:1.28"), ("new", "busybox:1.36")):
        c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                 "spec": {"containers": [{"name": "c", "image": image, "command": ["sleep", "3600"]}]}})
    assert c.run(until=lambda: all(c.get("pods", n)["status"].get("phase") == "Running" for n in ("old", "new")),
                 timeout=60)
    return c


def test_busybox_1_28_searches_and_prints_reverse_names(c):
    assert c.kubectl("exec old -- nslookup kubernetes.default") == (
        "Server:    10.96.0.10\n"
        "Address 1: 10.96.0.10 kube-dns.kube-system.svc.cluster.local\n\n"
        "Name:      kubernetes.default\n"
        "Address 1: 10.96.0.1 kubernetes.default.svc.cluster.local\n")


def test_busybox_1_28_unresolvable_name_exits_1(c):
    out = c.kubectl("exec old -- nslookup nope")
    assert out.endswith("nslookup: can't resolve 'nope'\ncommand terminated with exit code 1\n")


def test_busybox_1_36_does_not_search_a_dotted_name(c):
    out = c.kubectl("exec new -- nslookup kubernetes.default")
    assert "** server can't find kubernetes.default: NXDOMAIN" in out
    assert "Address: 10.96.0.1\n" not in out
    # a dotless name gets every search domain; the right one answers
    out = c.kubectl("exec new -- nslookup kubernetes")
    assert "Name:\tkubernetes.default.svc.cluster.local\nAddress: 10.96.0.1\n" in out
