"""What docs/node/kube-proxy.md says is what its runnable blocks print, and its diagram is drawn
from real rules.

The page runs exactly as the site build runs it (docs/_hooks/native.py). Each CLAIMS entry is a
sentence of the page's prose checked against the output of the block next to it. The formats
pinned are upstream's: pkg/proxy/iptables/proxier.go (chain names, ``%0.10f`` probabilities,
comments, the ``has no local endpoints`` DROP in KUBE-EXTERNAL-SERVICES), pkg/proxy/ipvs/proxier.go
(``kube-ipvs0``, KUBE-CLUSTER-IP, kubernetes#97081: Local policy without a local endpoint uses
every endpoint), pkg/proxy/nftables/proxier.go (the ``service-ips`` verdict map, ``numgen random
mod n``), cmd/kube-proxy/app/server_linux.go (the IPVS deprecation message, 1.35),
pkg/controller/endpointslice (100 endpoints per slice; ready/serving/terminating), CoreDNS's
kubernetes plugin (headless answers, SRV for named ports) and the kubelet's resolv.conf
(search list, ``ndots:5``).
"""

from __future__ import annotations

import re
import shutil

import pytest

from k8score.textwidth import width

from pagehelpers import ROOT, Page

PAGE = "node/kube-proxy.md"
#: The page's outputs must fit its code column without a scroll bar.
MAX_COLUMNS = 90
IP = r"10\.244\.\d+\.\d+"


@pytest.fixture(scope="module")
def page() -> Page:
    return Page(PAGE)


# (a snippet of the block's code, a pattern its output must contain) -- each is a sentence of
# the page's prose about that output.
CLAIMS = [
    # EndpointSlice: the controller's slice, ports by name, the three conditions, 100 per slice
    ('print(c.kubectl("get endpointslices"))',
     rf"web\s+ClusterIP\s+10\.96\.0\.20\s+<none>\s+80/TCP[\s\S]*web-[a-z0-9]{{5}}\s+IPv4\s+8080\s+{IP},{IP},{IP}\s"),
    ("cond = \" \".join(",
     r"^web-[a-z0-9]{5} endpointslice-controller\.k8s\.io\nports: \[\('http', 8080\)\]\n"
     rf"(  {IP}\s+node-\d  ready=true serving=true terminating=false  web-\S+\n){{3}}$"),
    ("replicas: 101", r"^\[1, 100\] 个端点分在 2 片里\n$"),
    # the source's example: ClusterIP:80 -> a pod at :8080, the 1/3 draw, the DNAT
    ('t = c.trace("client", "10.96.0.20:80")',
     r"^TCP 10\.244\.\d+\.\d+ -> 10\.96\.0\.20:80  \(iptables mode on node-3\)\n[\s\S]*"
     r"nat/KUBE-SERVICES\n[\s\S]*-d 10\.96\.0\.20 --dport 80 -j KUBE-SVC-\w{16}\n[\s\S]*"
     r"--probability 0\.3333333333[\s\S]*-j DNAT --to-destination 10\.244\.\d+\.\d+:8080\n[\s\S]*"
     r"=> DNAT to 10\.244\.\d+\.\d+:8080 \(default/web-\S+\)\n$"),
    ('c.ssh(t.node, "conntrack -L")',
     r"1 flow entries have been shown\.\ntcp 6 120 SYN_SENT src=(10\.244\.\d+\.\d+) dst=10\.96\.0\.20 "
     r"sport=(\d+) dport=80 \[UNREPLIED\] \\\n    src=10\.244\.\d+\.\d+ dst=\1 sport=8080 dport=\2 "
     r"[\s\S]*\nweb-[a-z0-9]+-[a-z0-9]{5}\n$"),
    ('clusters = {"iptables": c}',
     rf"^iptables  => DNAT to {IP}:8080 \(default/web-\S+\)\n[\s\S]*KUBE-SVC-[\s\S]*KUBE-SEP-[\s\S]*"
     rf"ipvs      => DNAT to {IP}:8080 [\s\S]*ipvs/LOCAL_IN[\s\S]*"
     rf"nftables  => DNAT to {IP}:8080 [\s\S]*kube-proxy/services -> kube-proxy/service-\w{{8}}-default/web/tcp/http"),
    # the same Service three ways
    ('nat = c.ssh("node-1", "iptables-save -t nat")',
     r"-A KUBE-SERVICES -m comment --comment \"default/web:http cluster IP\" -m tcp -p tcp \\\n"
     r"    -d 10\.96\.0\.20 --dport 80 -j (KUBE-SVC-\w{16})\n[\s\S]*"
     r"-A \1 \\\n    -m comment --comment \"default/web:http -> [\d.]+:8080\" \\\n"
     r"    -m statistic --mode random --probability 0\.3333333333 -j KUBE-SEP-\w{16}\n"
     r"-A \1 \\\n[^\n]+\n    -m statistic --mode random --probability 0\.5000000000 -j KUBE-SEP-\w{16}\n"
     r"-A \1 \\\n[^\n]+\n    -j KUBE-SEP-\w{16}\n$"),
    ('nat = c.ssh("node-1", "iptables-save -t nat")',
     r"^(-A KUBE-SEP-\w{16} -m comment --comment default/web:http -s [\d.]+ \\\n    -j KUBE-MARK-MASQ\n"
     r"-A KUBE-SEP-\w{16} -m comment --comment default/web:http -m tcp -p tcp \\\n"
     r"    -j DNAT --to-destination 10\.244\.\d+\.\d+:8080\n){3}"),
    ('"ipvsadm -Ln"',
     rf"TCP  10\.96\.0\.20:80 rr\n(  -> {IP}:8080\s+Masq    1      0          0\s*\n){{3}}"
     r"[\s\S]*kube-ipvs0: <BROADCAST,NOARP>[\s\S]*inet 10\.96\.0\.20/32 scope global kube-ipvs0"
     r"[\s\S]*Name: KUBE-CLUSTER-IP\nType: hash:ip,port[\s\S]*\n10\.96\.0\.20,tcp:80\n"),
    ('"nft list ruleset"',
     r"map service-ips \{\n        \.\.\.\n        10\.96\.0\.20 \. tcp \. 80 : goto (service-\w{8}-default/web/tcp/http)\n"
     rf"[\s\S]*(    chain endpoint-\w{{8}}-default/web/tcp/http__{IP}/8080 \{{\n[^\n]*\n"
     rf"        meta l4proto tcp dnat to {IP}:8080\n    \}}\n\n){{3}}"
     r"    chain \1 \{\n[\s\S]*numgen random mod 3 vmap \{ \\\n(            \d : goto endpoint-[^\n]+\n){3}"),
    # the probability sequence and the chain name's hash
    ("print([probability(n) for n in (3, 2)])",
     r"^\['0\.3333333333', '0\.5000000000'\]\n(KUBE-SVC-\w{16}) == \1\n$"),
    ("hits = Counter", rf"^({IP}:8080\s+\d+\s+3\d\.\d%\n){{3}}$"),
    ("for _ in range(6)", r"^\['(\w{5})', '(?!\1)(\w{5})', '(?!\1|\2)(\w{5})', '\1', '\2', '\3'\]\n$"),
    # readiness: the endpoint leaves the rules, a partial sync
    ('touch /tmp/drain")\nc.run(seconds=8)',
     r"web-\S+\s+0/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+node-1\n[\s\S]*"
     rf"  {IP}\s+node-1  ready=false serving=false terminating=false  web-[\s\S]*"
     r"\[partial, 1 services rewritten;[\s\S]*\(EndpointSlice\s+default/web-\w{5} updated\)\n"
     r"-A KUBE-SVC-\w{16} \\\n[^\n]*\n    -m statistic --mode random --probability 0\.5000000000 -j KUBE-SEP-\w{16}\n"
     r"-A KUBE-SVC-\w{16} \\\n[^\n]*\n    -j KUBE-SEP-\w{16}\n$"),
    # NodePort + externalTrafficPolicy: Local
    ("c.apply(LOCAL)",
     r"^203\.0\.113\.10 -> 192\.168\.0\.\d+:30080 \(node-2\)\n[\s\S]*KUBE-EXT-\w{16} -> nat/KUBE-SVL-\w{16}"
     rf"[\s\S]*\n  => DNAT to {IP}:8080 \(default/web-\S+\)\n"
     r"203\.0\.113\.10 -> 192\.168\.0\.\d+:30080 \(node-1\)\n[\s\S]*filter/KUBE-EXTERNAL-SERVICES\n"
     r"  => DROP: default/web-local:http has no local endpoints\n$"),
    ("saved = {n: set(",
     r"^只在 node-1 上：\n-A KUBE-EXTERNAL-SERVICES \\\n"
     r"    -m comment --comment \"default/web-local:http has no local endpoints\" \\\n"
     r"    -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP\n"
     r"只在 node-2 上：\n-A (KUBE-EXT-\w{16}) -j KUBE-SVL-\w{16}\n"),
    ("cl.apply(LOCAL)",
     r"^iptables  => DROP: default/web-local:http has no local endpoints\n"
     rf"ipvs      => DNAT to {IP}:8080 \(default/web-\S+\)\n"
     r"nftables  => DROP: default/web-local:http has no local endpoints\n$"),
    ("errors.lines()",
     r"kube-proxy/node-1: The ipvs proxier is now deprecated and may be removed in\n"
     r"    a future release\. Please use 'nftables' instead\.\n"),
    # cluster DNS
    ('get deployment coredns -n kube-system',
     r"coredns\s+2/2\s+2\s+2\s[\s\S]*kube-dns\s+ClusterIP\s+10\.96\.0\.10\s+<none>\s+53/UDP,53/TCP,9153/TCP\s"
     r"[\s\S]*search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\n"
     r"nameserver 10\.96\.0\.10\noptions ndots:5\n"),
    ("nslookup web\")",
     r"^Server:\t\t10\.96\.0\.10\nAddress:\t10\.96\.0\.10:53\n\nName:\tweb\.default\.svc\.cluster\.local\n"
     r"Address: 10\.96\.0\.20\n\n\*\* server can't find web\.svc\.cluster\.local: NXDOMAIN\n[\s\S]*"
     r"command terminated with exit code 1\n"),
    ("search_names(name,",
     r"^web（0 个点）依次查询:\n    web\.default\.svc\.cluster\.local\n[\s\S]*"
     r"example\.com（1 个点）依次查询:\n    example\.com\.default\.svc\.cluster\.local\n"
     r"    example\.com\.svc\.cluster\.local\n    example\.com\.cluster\.local\n    example\.com\n"
     r"example\.com\.（1 个点）依次查询:\n    example\.com\n$"),
    ("clusterIP: None",
     r"_http\._tcp\.web\.default\.svc\.cluster\.local\. SRV \?\n    30 IN SRV 0 100 80 web\.default\.svc\.cluster\.local\.\n"
     r"_http\._tcp\.web-headless\.default\.svc\.cluster\.local\. SRV \?\n"
     r"(    30 IN SRV 0 50 8080 10-244-\d+-\d+\.web-headless\.default\.svc\.cluster\.local\.\n){2}$"),
]


@pytest.mark.parametrize("marker,pattern", CLAIMS, ids=[c[0][:28] for c in CLAIMS])
def test_page_prose_matches_block_output(page, marker, pattern):
    out = page.output(marker)
    assert re.search(pattern, out), out


def test_every_output_line_fits_the_page(page):
    """Rules are wrapped, never cut off or left to a horizontal scroll bar."""
    for code, out in page.blocks:
        wide = [line for line in out.splitlines() if width(line.expandtabs(8)) > MAX_COLUMNS]
        assert wide == [], (code.splitlines()[0], wide)


def test_headless_answers_only_ready_pods(page):
    """The drained pod (node-1, not ready) is neither in the headless answer nor in its SRV records."""
    drained = re.search(rf"({IP})\s+node-1  ready=false", page.output('touch /tmp/drain")\nc.run(seconds=8)')).group(1)
    headless = page.output("clusterIP: None")
    answered = re.findall(rf"Address: ({IP})\n", headless)
    assert len(answered) == 2 and drained not in answered
    assert drained.replace(".", "-") not in headless


# -- the packet path diagram -------------------------------------------------------------------

def _diagram():
    from k8score.diagramgen import load

    return load(ROOT / "diagrams" / "packet_path.py")


def test_packet_path_follows_the_traced_rules():
    path = _diagram().packet_path()
    names = [name for name, _ in path["chains"]]
    assert names[:2] == ["PREROUTING", "KUBE-SERVICES"]
    assert re.fullmatch(r"KUBE-SVC-[A-Z2-7]{16}", names[2]) and re.fullmatch(r"KUBE-SEP-[A-Z2-7]{16}", names[3])
    from k8score.proxy import service_chain_name
    assert names[2] == service_chain_name("default/web:http", "tcp")
    # two endpoints: 1/2, then the rest -- and the DNAT is the chosen SEP's, to targetPort 8080
    assert [p for p, _ in path["svc_rules"]] == ["0.5000000000", None]
    assert names[3] in [sep for _, sep in path["svc_rules"]]
    assert re.fullmatch(rf"{IP}:8080", path["dnat"])
    assert any("-d 10.96.0.20 --dport 80" in r for r in path["chains"][1][1])


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_packet_path_diagram_draws_the_chains_legibly(tmp_path):
    mod = _diagram()
    paths = mod.render(tmp_path)
    assert sorted(p.name for p in paths) == ["packet_path.png", "packet_path.svg"]
    svg = (tmp_path / "packet_path.svg").read_text(encoding="utf-8")
    assert 'href="/' not in svg
    text = " ".join(t.replace("&#45;", "-") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg))
    path = mod.packet_path()
    for name, _ in path["chains"]:
        assert name in text
    assert f"DNAT --to-destination {path['dnat']}" in text and "0.5000000000" in text
    # text >= 11 px once the page fits the SVG into its 748 px column (pt -> px: 4/3)
    view_w = float(re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ', svg).group(1))
    smallest = min(float(s) for s in re.findall(r'font-size="([\d.]+)"', svg))
    scale = min(4 / 3, 748 / view_w)
    assert smallest * scale >= 11, (smallest, view_w)
