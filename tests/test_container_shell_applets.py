"""busybox applets in the container shell: messages and output formats.

Upstream: busybox ``coreutils/{ls,wc,head,tail,touch,test,printf,seq,expr,date}.c``,
``findutils/grep.c``, ``libbb/remove_file.c``, ``libbb/make_directory.c``,
``networking/wget.c`` + ``libbb/xconnect.c`` (wget messages), ``networking/nslookup.c``
(``Server:``/``Address:`` header, ``Name:``/``Address:`` answers, ``** server can't find``).
"""

from __future__ import annotations

from k8score.container.fs import FileSystem
from k8score.container.net import HttpResponse, NetError, Network
from k8score.container.process import Proc, Process
from k8score.container.shell import PROGRAMS, spawner
from k8score.sim import Loop


def run(script, *, net=None, until=600.0, fs=None):
    loop = Loop(0)
    fs = fs or FileSystem(clock=lambda: loop.now)
    proc = Proc(["sh", "-c", script], fs=fs, clock=lambda: loop.now, spawn=spawner(loop), net=net,
                hostname="web-0")
    p = Process(loop, PROGRAMS["sh"], proc, pid1=True).start()
    loop.run(until=until, predicate=lambda: p.exit_code is not None)
    return p, p.proc.stdout.getvalue(), p.proc.stderr.getvalue()


def test_file_applet_messages():
    p, o, e = run("rm /tmp/a; rm -f /tmp/a; echo rm=$?; mkdir /tmp; mkdir /x/y; touch /x/y; "
                  "mkdir -p /x/y && rm /x; rm -r /x && ls /x")
    assert o == "rm=0\n"
    assert e.splitlines() == [
        "rm: can't remove '/tmp/a': No such file or directory",
        "mkdir: can't create directory '/tmp': File exists",
        "mkdir: can't create directory '/x/y': No such file or directory",
        "touch: /x/y: No such file or directory",
        "rm: '/x' is a directory",
        "ls: /x: No such file or directory",
    ]
    assert p.exit_code == 1


def test_ls_head_tail_wc_grep():
    p, o, e = run("mkdir /d; for n in 3 1 2; do echo line$n >> /d/f$n; done; seq 5 > /d/n; "
                  "ls /d; ls -l /d/f1; head -n 2 /d/n; tail -n 2 /d/n; tail -n +4 /d/n; "
                  "wc -l /d/n; wc /d/n; cat /d/f* | grep -c line; grep -v 1 /d/f1 || echo none; "
                  "grep -q 'line\\(3\\)' /d/f3 && echo bre; echo ab | grep -E 'a|z'")
    assert e == ""
    assert o.splitlines() == [
        "f1", "f2", "f3", "n",
        "-rw-r--r--    1 root     root             6 Jan  1 00:00 /d/f1",
        "1", "2", "4", "5", "4", "5",
        "5 /d/n", "        5         5        10 /d/n",
        "3", "none", "bre", "ab"]


def test_tail_follow_polls_every_second():
    fs = FileSystem({"/var/log/1.log": "a\n"})
    loop = Loop(0)
    proc = Proc(["tail", "-n+1", "-F", "/var/log/1.log"], fs=fs, clock=lambda: loop.now)
    p = Process(loop, PROGRAMS["tail"], proc).start()
    loop.run(until=0.5)
    fs.write("/var/log/1.log", "b\n", append=True)
    assert proc.stdout.getvalue() == "a\n"
    loop.run(until=1.0)
    assert proc.stdout.getvalue() == "a\nb\n" and p.exit_code is None


def test_test_printf_seq_expr():
    p, o, e = run("[ 3 -gt 2 ] && echo gt; [ abc ] && echo s; [ -z '' -a -n x ] && echo az; "
                  "test -f /nope || echo nofile; [ a -eq 1 ]; echo st=$?; [ 1 = 1; echo st=$?; "
                  "printf '%s=%03d|%-3s|%x\\n' a 7 b 255 c 8; seq -s, 3; expr 6 \\* 7; expr 1 - 1; echo e=$?")
    assert o == "gt\ns\naz\nnofile\nst=2\nst=2\na=007|b  |ff\nc=008|   |0\n1,2,3\n42\n0\ne=1\n"
    assert e == "sh: a: bad number\nsh: missing ]\n"


def test_env_hostname_id_uname():
    p, o, e = run("X=1 env | grep ^X; hostname; id; uname; uname -n")
    assert o == "X=1\nweb-0\nuid=0(root) gid=0(root) groups=0(root),10(wheel)\nLinux\nweb-0\n"


def _network():
    net = Network()
    client = net.attach("10.244.1.7", node="n1", hostname="client", search=["default.svc.cluster.local",
                                                                           "svc.cluster.local", "cluster.local"],
                        nameserver="10.96.0.10")
    server = net.attach("10.244.2.9", node="n2", hostname="web")
    server.listen(80, lambda req: HttpResponse(200, f"hello from {req.path}\n") if req.path != "/missing"
                  else HttpResponse(404, "nope"))
    names = {"web.default.svc.cluster.local.": ["10.244.2.9"], "gone.default.svc.cluster.local.": ["10.244.3.3"]}

    def resolver(name, src):     # a stub resolver: absolute with a trailing dot, else search list
        tries = [name] if name.endswith(".") else [name + "."] + [f"{name}.{d}." for d in src.search]
        for fqdn in tries:
            if fqdn in names:
                return names[fqdn]
        raise NetError(f"bad address '{name.rstrip('.')}'")
    net.resolver = resolver
    return net, client


def test_wget_quiet_spider_and_errors():
    net, client = _network()
    p, o, e = run("wget -q -O- http://web.default.svc.cluster.local/x", net=client)
    assert (p.exit_code, o, e) == (0, "hello from /x\n", "")
    p, o, e = run("wget --spider -T 1 http://10.244.2.9/", net=client)
    assert (p.exit_code, e) == (0, "Connecting to 10.244.2.9 (10.244.2.9:80)\nremote file exists\n")
    p, o, e = run("wget -q -O- http://10.244.2.9:8080/", net=client)
    assert (p.exit_code, e) == (1, "wget: can't connect to remote host (10.244.2.9): Connection refused\n")
    p, o, e = run("wget -q -O- http://nosuch/", net=client)
    assert (p.exit_code, e) == (1, "wget: bad address 'nosuch'\n")
    p, o, e = run("wget -q -O- http://10.244.2.9/missing", net=client)
    assert (p.exit_code, e) == (1, "wget: server returned error: HTTP/1.1 404 Not Found\n")


def test_wget_timeout_takes_virtual_time():
    net, client = _network()
    p, o, e = run("wget --spider --timeout=1 gone.default.svc.cluster.local", net=client)
    assert (p.exit_code, p.finished_at) == (1, 1.001)
    assert e == ("Connecting to gone.default.svc.cluster.local (10.244.3.3:80)\n"
                 "wget: download timed out\n")


def test_wget_saves_file_once():
    net, client = _network()
    p, o, e = run("cd /tmp && wget http://10.244.2.9/index.html && cat index.html && wget http://10.244.2.9/", net=client)
    assert o == "hello from /index.html\n"
    assert e.splitlines()[1:] == [
        "saving to 'index.html'",
        "index.html           100% |********************************|    23  0:00:00 ETA",
        "'index.html' saved",
        "Connecting to 10.244.2.9 (10.244.2.9:80)",
        "wget: can't open 'index.html': File exists"]
    assert p.exit_code == 1


def test_nslookup_found_and_nxdomain():
    net, client = _network()
    p, o, e = run("nslookup web.default.svc.cluster.local", net=client)
    assert (p.exit_code, o) == (0, "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
                                   "Name:\tweb.default.svc.cluster.local\nAddress: 10.244.2.9\n\n\n")
    p, o, e = run("nslookup web.default", net=client)
    assert p.exit_code == 1
    assert o.endswith("** server can't find web.default: NXDOMAIN\n\n"
                      "** server can't find web.default: NXDOMAIN\n\n")
    # a dotless name goes through the search list; the first domain answers
    p, o, e = run("nslookup web", net=client)
    assert "Name:\tweb.default.svc.cluster.local\nAddress: 10.244.2.9\n" in o
    assert "** server can't find web.svc.cluster.local: NXDOMAIN" in o


def test_init_container_waits_for_service_through_dns():
    """docs: concepts/workloads/pods/init-containers (until nslookup ...; do sleep 2; done)."""
    net, client = _network()
    fs = FileSystem({"/var/run/secrets/kubernetes.io/serviceaccount/namespace": "default"})
    loop = Loop(0)
    proc = Proc(["sh", "-c", "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/"
                             "namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"],
                fs=fs, clock=lambda: loop.now, spawn=spawner(loop), net=client)
    p = Process(loop, PROGRAMS["sh"], proc, pid1=True).start()
    loop.run(until=5)
    assert p.exit_code is None and proc.stdout.getvalue().count("waiting for myservice") == 3
    old = net.resolver
    net.resolver = lambda name, src: ["10.96.5.5"] if name == "myservice.default.svc.cluster.local." else old(name, src)
    loop.run(until=10, predicate=lambda: p.exit_code is not None)
    assert p.exit_code == 0 and 6.0 < p.finished_at < 6.1


def test_nslookup_without_dns_times_out():
    p, o, e = run("nslookup web")
    assert (p.exit_code, o, p.finished_at) == (1, ";; connection timed out; no servers could be reached\n\n", 5.001)


def test_nslookup_through_a_dns_server_on_udp_53():
    """With a DNS server model (``PodNet.query``), answers and rcodes come from its replies."""
    from k8score.container.net import DnsRecord, DnsReply
    net = Network()
    client = net.attach("10.244.1.7", nameserver="10.96.0.10", search=["default.svc.cluster.local"])
    dns = net.attach("10.96.0.10")

    def serve(q):
        if q.name == "web.default.svc.cluster.local" and q.qtype == "A":
            return DnsReply(q.name, q.qtype, answers=[DnsRecord(q.name, "A", 30, "10.96.7.7")])
        return DnsReply(q.name, q.qtype, "NOERROR" if q.name.startswith("web.") else "NXDOMAIN")
    dns.listen(53, serve, proto="UDP")
    p, o, e = run("nslookup web.default.svc.cluster.local; nslookup nope.example", net=client)
    assert o == ("Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
                 "Name:\tweb.default.svc.cluster.local\nAddress: 10.96.7.7\n\n\n"
                 "Server:\t\t10.96.0.10\nAddress:\t10.96.0.10:53\n\n"
                 "** server can't find nope.example: NXDOMAIN\n\n** server can't find nope.example: NXDOMAIN\n\n")
    assert p.exit_code == 1
    dns.unlisten(53, proto="UDP")
    p, o, e = run("nslookup web.default.svc.cluster.local", net=client)
    assert (p.exit_code, o, p.finished_at) == (1, ";; connection timed out; no servers could be reached\n\n", 5.001)
