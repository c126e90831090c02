"""The image catalog and the programs inside the images (k8score.container.catalog, .images).

Upstream sources the expectations come from:
nginxinc/docker-nginx ``entrypoint/docker-entrypoint.sh``, ``entrypoint/10-listen-on-ipv6-by-default.sh``,
``mainline/debian/Dockerfile`` (STOPSIGNAL SIGQUIT), nginx ``docs/html/index.html`` and
``src/http/ngx_http_special_response.c``; docker-library/httpd ``2.4/Dockerfile`` (STOPSIGNAL
SIGWINCH) and ``httpd-foreground``; kubernetes/kubernetes ``test/images/agnhost/Dockerfile``,
``liveness/server.go``, ``netexec/netexec.go``, ``serve-hostname/serve_hostname.go``,
``pause/pause.go``, ``grpc-health-checking/grpc-health-checking.go``, ``build/pause/linux/pause.c``.
Programs run with a real Loop, Process, Proc and Network.
"""

from __future__ import annotations

import datetime as dt

import pytest

from k8score.container.catalog import container_argv, lookup, program_for, which
from k8score.container.fs import FileSystem, Volume
from k8score.container.net import NetError, Network
from k8score.container.process import SIGINT, SIGKILL, SIGQUIT, SIGTERM, Memory, Proc, Process
from k8score.container.images import nginx as nginx_mod
from k8score.container.images._common import SIGWINCH
from k8score.kubelet.images import image_size
from k8score.sim import Loop

EPOCH = dt.datetime(2026, 11, 29, 19, 0, 0, tzinfo=dt.timezone.utc).timestamp()
MiB = 1 << 20


class Pod:
    """One pod's sandbox on a shared network; ``run`` starts a container as the runtime would."""

    def __init__(self, loop: Loop, network: Network, ip: str = "10.244.1.5", hostname: str = "web-0"):
        self.loop, self.network = loop, network
        self.net = network.attach(ip, node="node-1", hostname=hostname)
        self.hostname = hostname

    def run(self, image: str, command=None, args=None, *, limit=None, env=None, mounts=None,
            memory: Memory | None = None) -> Process:
        spec = lookup(image)
        assert spec is not None
        argv = container_argv(spec, command, args)
        program = program_for(spec, argv, env)
        assert program is not None, argv
        fs = FileSystem(spec.files, clock=lambda: self.loop.now)
        for path, vol, ro in mounts or []:
            fs.mount(path, vol, ro)
        proc = Proc(argv, env={**spec.env, **(env or {})}, fs=fs, cwd=spec.workdir, hostname=self.hostname,
                    net=self.net, clock=lambda: self.loop.now, epoch=EPOCH, rng=self.loop.rng,
                    memory=memory if memory is not None else Memory(limit))
        return Process(self.loop, program, proc, pid1=True).start()


@pytest.fixture
def world():
    loop, network = Loop(7), Network()
    client = network.attach("10.244.2.9", node="node-2", hostname="client")
    return loop, network, client


# -- the catalog ------------------------------------------------------------------------------
def test_images_that_do_not_exist_are_not_found_and_others_resolve():
    for ref in ("doesnotexist", "nginx:nonexistent", "example.com/notfound/app:1", "does-not-exist:v1"):
        assert lookup(ref) is None, ref
    for ref in ("nginx", "busybox:1.28", "example.com/team/app:v1", "redis"):
        spec = lookup(ref)
        assert spec is not None and spec.size == image_size(ref), ref


def test_dockerfile_metadata_of_known_images():
    old, new = lookup("nginx:1.14.2"), lookup("nginx:1.27")
    assert (old.entrypoint, old.cmd, old.stop_signal) == ([], ["nginx", "-g", "daemon off;"], SIGTERM)
    assert (new.entrypoint, new.stop_signal, new.env["NGINX_VERSION"]) == (["/docker-entrypoint.sh"], SIGQUIT, "1.27.5")
    httpd = lookup("httpd:2.4")
    assert (httpd.cmd, httpd.stop_signal, httpd.workdir) == (["httpd-foreground"], SIGWINCH, "/usr/local/apache2")
    agn = lookup("registry.k8s.io/e2e-test-images/agnhost:2.40")
    assert (agn.entrypoint, agn.cmd) == (["/agnhost"], ["pause"])
    assert lookup("registry.k8s.io/liveness").cmd == ["/server"]
    assert lookup("registry.k8s.io/pause:3.10").entrypoint == ["/pause"]
    assert lookup("busybox").cmd == ["sh"] and lookup("ubuntu").cmd == ["/bin/bash"]


def test_command_and_args_follow_dockers_entrypoint_cmd_rules():
    spec = lookup("registry.k8s.io/e2e-test-images/agnhost:2.40")
    assert container_argv(spec, None, None) == ["/agnhost", "pause"]
    assert container_argv(spec, None, ["liveness"]) == ["/agnhost", "liveness"]
    assert container_argv(spec, ["/agnhost-2"], None) == ["/agnhost-2"]          # command drops CMD
    assert container_argv(spec, ["sh", "-c"], ["echo hi"]) == ["sh", "-c", "echo hi"]


def test_executables_are_found_on_path_or_not_at_all():
    nginx = lookup("nginx:1.27")
    assert which(nginx, "nginx") == "/usr/sbin/nginx"
    assert which(nginx, "/docker-entrypoint.sh") == "/docker-entrypoint.sh"
    assert which(nginx, "nginx", {"PATH": "/bin"}) is None               # the container's PATH wins
    assert program_for(nginx, ["no-such-binary"]) is None
    pause, etcd = lookup("registry.k8s.io/pause:3.10"), lookup("registry.k8s.io/etcd:3.5.21-0")
    assert program_for(pause, ["sh"]) is None and program_for(pause, ["/pause"]) is not None
    assert program_for(etcd, ["/bin/sh"]) is None                        # distroless: no shell
    assert program_for(lookup("registry.k8s.io/liveness"), ["/server"]) is not None
    generic = lookup("example.com/team/app:v1")
    assert program_for(generic, ["/opt/app/bin/whatever", "--flag"]) is not None   # the fallback
    assert program_for(lookup("nginx"), []) is None


# -- nginx ------------------------------------------------------------------------------------
def test_nginx_latest_prints_the_entrypoint_notices_and_serves_the_default_page(world):
    loop, network, client = world
    pod = Pod(loop, network)
    p = pod.run("nginx")
    loop.run(until=1)
    out = p.proc.stdout.getvalue().splitlines()
    assert out == [
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
        "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
        "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh",
        "/docker-entrypoint.sh: Configuration complete; ready for start up",
    ]
    err = p.proc.stderr.getvalue().splitlines()
    assert err[0] == '2026/11/29 19:00:00 [notice] 1#1: using the "epoll" event method'
    assert err[1] == "2026/11/29 19:00:00 [notice] 1#1: nginx/1.29.3"
    assert err[-1] == "2026/11/29 19:00:00 [notice] 1#1: start worker process 32"
    assert "listen  [::]:80;" in p.proc.fs.read("/etc/nginx/conf.d/default.conf")
    loop.run(until=5)
    resp = client.http("10.244.1.5", 80, headers={"User-Agent": "Wget"})
    assert (resp.status, len(resp.body.encode()), resp.headers["Server"]) == (200, 615, "nginx/1.29.3")
    assert "<title>Welcome to nginx!</title>" in resp.body
    assert p.proc.stdout.getvalue().splitlines()[-1] == \
        '10.244.2.9 - - [29/Nov/2026:19:00:05 +0000] "GET / HTTP/1.1" 200 615 "-" "Wget" "-"'
    missing = client.http("10.244.1.5", 80, path="/nope")
    assert missing.status == 404 and "<center>nginx/1.29.3</center>" in missing.body
    assert p.proc.stdout.getvalue().splitlines()[-1].endswith('"GET /nope HTTP/1.1" 404 153 "-" "-" "-"')
    assert client.http("10.244.1.5", 80, method="POST").status == 405
    assert p.running


def test_nginx_sigquit_is_a_graceful_stop_with_exit_0_and_frees_the_port(world):
    loop, network, client = world
    p = Pod(loop, network).run("nginx:1.27")
    loop.run(until=2)
    assert p.signal(SIGQUIT)
    loop.run(until=3)
    assert (p.exit_code, p.finished_at) == (0, 2.0)
    err = p.proc.stderr.getvalue().splitlines()
    assert "2026/11/29 19:00:02 [notice] 1#1: signal 3 (SIGQUIT) received, shutting down" in err
    assert "2026/11/29 19:00:02 [notice] 29#29: gracefully shutting down" in err
    assert err[-1] == "2026/11/29 19:00:02 [notice] 1#1: exit"
    with pytest.raises(NetError, match="Connection refused"):
        client.connect("10.244.1.5", 80)
    q = Pod(loop, network, ip="10.244.1.6").run("nginx:1.27")
    loop.run(until=4)
    q.signal(SIGTERM)                           # fast shutdown: also exit 0, no "gracefully"
    loop.run(until=5)
    assert q.exit_code == 0
    assert "signal 15 (SIGTERM) received, exiting" in q.proc.stderr.getvalue()
    assert "gracefully" not in q.proc.stderr.getvalue()


def test_old_nginx_has_no_entrypoint_logs_nothing_and_serves_the_old_page(world):
    loop, network, client = world
    p = Pod(loop, network).run("nginx:1.14.2")
    loop.run(until=1)
    assert p.proc.stdout.getvalue() == "" and p.proc.stderr.getvalue() == ""
    body = client.http("10.244.1.5", 80).body
    assert len(body.encode()) == 612 and "color-scheme" not in body


def test_nginx_serves_a_mounted_configmap_and_its_port_from_conf_d(world):
    loop, network, client = world
    html = Volume({"/index.html": "hello from a configmap\n"})
    conf = Volume({"/default.conf": "server {\n    listen 8080;\n    location / {\n"
                                    "        root /srv/www;\n    }\n}\n"})
    p = Pod(loop, network).run("nginx", mounts=[("/srv/www", html, True), ("/etc/nginx/conf.d", conf, True)])
    loop.run(until=1)
    assert "10-listen-on-ipv6-by-default.sh: info: can not modify /etc/nginx/conf.d/default.conf " \
           "(read-only file system?)" in p.proc.stdout.getvalue()
    assert client.http("10.244.1.5", 8080).body == "hello from a configmap\n"
    with pytest.raises(NetError, match="Connection refused"):
        client.http("10.244.1.5", 80)


def test_a_second_nginx_in_the_pod_cannot_bind_port_80_and_exits_1(world):
    loop, network, _ = world
    pod = Pod(loop, network)
    first = pod.run("nginx")
    second = pod.run("nginx", env={"NGINX_ENTRYPOINT_QUIET_LOGS": "1"})
    loop.run(until=10)
    assert first.running and second.exit_code == 1 and second.finished_at == 2.5
    err = second.proc.stderr.getvalue().splitlines()
    assert err.count("nginx: [emerg] bind() to 0.0.0.0:80 failed (98: Address already in use)") == 5
    assert err[-1] == "nginx: [emerg] still could not bind()"
    assert second.proc.stdout.getvalue() == ""          # quiet entrypoint


def test_nginx_without_daemon_off_forks_away_and_the_container_completes(world):
    loop, network, _ = world
    p = Pod(loop, network).run("nginx:1.27", command=["nginx"])
    loop.run(until=1)
    assert p.exit_code == 0 and "/docker-entrypoint.sh" not in p.proc.stdout.getvalue()


# -- httpd and php-apache -----------------------------------------------------------------------
def test_httpd_start_lines_it_works_and_sigwinch_graceful_stop(world):
    loop, network, client = world
    p = Pod(loop, network).run("httpd:2.4")
    loop.run(until=3)
    err = p.proc.stderr.getvalue().splitlines()
    assert err[0] == ("AH00558: httpd: Could not reliably determine the server's fully qualified domain name, "
                      "using 10.244.1.5. Set the 'ServerName' directive globally to suppress this message")
    assert err[1] == err[0]
    assert err[2] == ("[Sun Nov 29 19:00:00.000000 2026] [mpm_event:notice] [pid 1:tid 1] AH00489: "
                      "Apache/2.4.65 (Unix) configured -- resuming normal operations")
    assert err[3].endswith("AH00094: Command line: 'httpd -D FOREGROUND'")
    resp = client.http("10.244.1.5", 80)
    assert resp.body == "<html><body><h1>It works!</h1></body></html>\n"
    assert p.proc.stdout.getvalue() == '10.244.2.9 - - [29/Nov/2026:19:00:03 +0000] "GET / HTTP/1.1" 200 45\n'
    assert client.http("10.244.1.5", 80, path="/x").status == 404
    assert p.signal(SIGWINCH)
    loop.run(until=4)
    assert p.exit_code == 0
    assert p.proc.stderr.getvalue().splitlines()[-1].endswith("AH00492: caught SIGWINCH, shutting down gracefully")


def test_hpa_example_answers_ok(world):
    loop, network, client = world
    p = Pod(loop, network).run("registry.k8s.io/hpa-example")
    loop.run(until=1)
    assert client.http("10.244.1.5", 80).body == "OK!"
    assert "AH00163: Apache/2.4.25 (Debian) PHP/5.6.40 configured" in p.proc.stderr.getvalue()


# -- agnhost --------------------------------------------------------------------------------------
AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.40"


def test_agnhost_liveness_is_healthy_for_10_seconds_then_500(world):
    loop, network, client = world
    p = Pod(loop, network).run(AGNHOST, args=["liveness"])
    loop.run(until=10)
    ok = client.http("10.244.1.5", 8080, path="/healthz")
    assert (ok.status, ok.body) == (200, "ok")
    loop.run(until=10.5)
    bad = client.http("10.244.1.5", 8080, path="/healthz")
    assert (bad.status, bad.body) == (500, "error: 10.5")
    assert client.http("10.244.1.5", 8080, path="/started").body == "10.5s"
    assert client.http("10.244.1.5", 8080, path="/other").body == "404 page not found\n"
    assert p.signal(SIGTERM)       # no signal.Notify: the Go runtime exits 2
    loop.run(until=11)
    assert p.exit_code == 2


def test_old_liveness_image_runs_the_same_server(world):
    loop, network, client = world
    p = Pod(loop, network).run("registry.k8s.io/liveness", args=["/server"])   # held: a dropped
    # Process's generator is finalized by Python and its finally closes the port
    loop.run(until=11)
    assert client.http("10.244.1.5", 8080, path="/healthz").status == 500 and p.running


def test_agnhost_netexec_endpoints_logs_and_exit(world):
    loop, network, client = world
    p = Pod(loop, network).run(AGNHOST, args=["netexec", "--http-port=8080"])
    loop.run(until=2)
    assert client.http("10.244.1.5", 8080, path="/hostname").body == "web-0"
    echo = client.http("10.244.1.5", 8080, path="/echo?msg=hi&code=404")
    assert (echo.status, echo.body) == (404, "hi")
    assert client.http("10.244.1.5", 8080, path="/healthz").status == 200
    assert client.http("10.244.1.5", 8080, path="/").body.startswith("NOW: 2026-11-29 19:00:02 +0000 UTC m=+2.0")
    client.connect("10.244.1.5", 8081, proto="UDP")
    err = p.proc.stderr.getvalue().splitlines()
    assert err[:2] == ["2026/11/29 19:00:00 Started HTTP server on port 8080",
                       "2026/11/29 19:00:00 Started UDP server on port  8081"]
    assert "2026/11/29 19:00:02 GET /echo?msg=hi&code=404" in err
    dial = client.http("10.244.1.5", 8080, path="/dial?request=hostname&host=10.244.1.5&port=8080&protocol=http")
    assert dial.body == '{"responses":["web-0"]}'
    refused = client.http("10.244.1.5", 8080, path="/dial?request=hostname&host=10.244.1.5&port=9999&tries=2")
    assert refused.body == ('{"errors":["Get \\"http://10.244.1.5:9999/hostname\\": dial tcp 10.244.1.5:9999: '
                            'connect: connection refused","Get \\"http://10.244.1.5:9999/hostname\\": dial tcp '
                            '10.244.1.5:9999: connect: connection refused"]}')
    client.http("10.244.1.5", 8080, path="/exit?code=3")
    loop.run(until=4)
    assert p.exit_code == 3 and p.finished_at <= 3.0
    with pytest.raises(NetError):
        client.connect("10.244.1.5", 8080)


def test_netexec_without_udp_is_not_ready(world):
    loop, network, client = world
    p = Pod(loop, network).run(AGNHOST, args=["netexec", "--http-port=8081", "--udp-port=-1"])
    loop.run(until=1)
    assert client.http("10.244.1.5", 8081, path="/healthz").status == 412 and p.running


def test_serve_hostname_awaits_pod_deletion_for_60_seconds_after_sigterm(world):
    loop, network, client = world
    p = Pod(loop, network).run(AGNHOST, args=["serve-hostname"])
    loop.run(until=1)
    assert client.http("10.244.1.5", 9376).body == "web-0"
    p.signal(SIGTERM)
    loop.run(until=60)
    assert p.running
    assert p.proc.stderr.getvalue().splitlines()[-2:] == [
        "2026/11/29 19:00:01 Shutting down after receiving signal: terminated.",
        "2026/11/29 19:00:01 Awaiting pod deletion."]
    p.signal(SIGTERM)                            # a second TERM does not cut the sleep short
    loop.run(until=62)
    assert (p.exit_code, p.finished_at) == (0, 61.0)
    q = Pod(loop, network, ip="10.244.1.7").run(AGNHOST, args=["serve-hostname"])
    loop.run(until=63)
    q.signal(SIGTERM)
    loop.run(until=93)
    q.signal(SIGKILL)                            # the 30 s grace period ran out
    assert q.exit_code == 137


def test_agnhost_pause_exit_codes_and_unknown_subcommand(world):
    loop, network, _ = world
    pod = Pod(loop, network)
    term, intr = pod.run(AGNHOST), pod.run(AGNHOST, args=["pause"])
    loop.run(until=1)
    assert term.proc.stdout.getvalue() == "Paused\n"
    term.signal(SIGTERM), intr.signal(SIGINT)
    assert (term.exit_code, intr.exit_code) == (2, 1)
    bad = pod.run(AGNHOST, args=["nosuch"])
    assert bad.exit_code == 1
    assert bad.proc.stderr.getvalue() == 'Error: unknown command "nosuch" for "agnhost"\nRun \'agnhost --help\' for usage.\n'


def test_grpc_health_checking_turns_not_serving_after_the_delay(world):
    loop, network, client = world
    p = Pod(loop, network).run(AGNHOST, args=["grpc-health-checking", "--delay-unhealthy-sec=5", "--service=svc"])
    loop.run(until=4)
    check = lambda svc: client.http("10.244.1.5", 5000, method="POST", path="/grpc.health.v1.Health/Check", body=svc)  # noqa: E731
    assert (check("svc").body, check("svc").headers["grpc-status"]) == ("SERVING", "0")
    assert check("other").headers == {"grpc-status": "5", "grpc-message": "unknown service"}
    loop.run(until=5)
    assert check("svc").body == "NOT_SERVING" and p.running


# -- pause, goproxy, components, fallback ----------------------------------------------------------
def test_sandbox_pause_exits_0_on_sigterm(world):
    loop, network, _ = world
    p = Pod(loop, network).run("registry.k8s.io/pause:3.10")
    loop.run(until=1)
    assert p.running and p.signal(SIGTERM)
    assert p.exit_code == 0 and p.proc.stderr.getvalue() == "Shutting down, got signal: Terminated\n"


def test_goproxy_accepts_tcp_on_8080_and_refuses_non_proxy_requests(world):
    loop, network, client = world
    p = Pod(loop, network).run("registry.k8s.io/goproxy:0.1")
    loop.run(until=1)
    client.connect("10.244.1.5", 8080)
    resp = client.http("10.244.1.5", 8080)
    assert (resp.status, resp.body) == (500, "This is a proxy server. Does not respond to non-proxy requests.\n")
    assert p.signal(SIGTERM) and p.exit_code == 2


def test_etcd_component_answers_health_and_grpc_checks(world):
    loop, network, client = world
    p = Pod(loop, network).run("registry.k8s.io/etcd:3.5.21-0")
    loop.run(until=1)
    assert client.http("10.244.1.5", 2381, path="/health").body == '{"health":"true","reason":""}'
    grpc = client.http("10.244.1.5", 2379, method="POST", path="/grpc.health.v1.Health/Check", body="")
    assert (grpc.body, grpc.headers["grpc-status"]) == ("SERVING", "0")
    p.signal(SIGTERM)
    loop.run(until=2)
    assert (p.exit_code, p.finished_at, p.proc.memory.usage) == (0, 1.0, 0)


def test_unknown_images_fall_back_to_a_server_that_exits_0_on_sigterm(world):
    loop, network, client = world
    pod = Pod(loop, network)
    app = pod.run("example.com/team/app:v1", command=["/app/run", "--port=9000"])
    redis = Pod(loop, network, ip="10.244.1.8").run("redis:7")
    loop.run(until=5)
    assert app.running and redis.running
    client.connect("10.244.1.8", 6379)
    app.signal(SIGTERM)
    loop.run(until=6)
    assert (app.exit_code, app.finished_at) == (0, 5.0) and redis.running


# -- memory ---------------------------------------------------------------------------------------
def test_stress_over_the_limit_is_oom_killed_and_under_it_holds_its_memory(world):
    loop, network, _ = world
    pod = Pod(loop, network)
    args = ["--vm", "1", "--vm-bytes", "250M", "--vm-hang", "1"]
    oom = pod.run("polinux/stress", command=["stress"], args=args, limit=100 * MiB)
    ok = pod.run("polinux/stress", command=["stress"], args=["--vm", "1", "--vm-bytes", "150M", "--vm-hang", "1"],
                 limit=200 * MiB)
    loop.run(until=5)
    assert (oom.exit_code, oom.oom_killed, oom.signalled) == (137, True, SIGKILL)
    assert oom.proc.stdout.getvalue() == "stress: info: [1] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd\n"
    assert ok.running and ok.proc.memory.usage == 151 * MiB       # 150M + the image's 1 MiB
    assert ok.signal(SIGTERM) is False and ok.running              # no handler: PID 1 ignores it
    timed = pod.run("polinux/stress", command=["stress"], args=["--vm", "2", "--vm-bytes", "1m", "--timeout", "3s"])
    loop.run(until=10)
    assert timed.exit_code == 0
    assert timed.proc.stdout.getvalue().endswith("stress: info: [1] successful run completed in 3s\n")


def test_an_images_resident_memory_is_charged_once_per_container(world):
    loop, network, _ = world
    pod = Pod(loop, network)
    tiny = pod.run("nginx", limit=4 * MiB)               # nginx needs 6 MiB resident
    assert (tiny.exit_code, tiny.oom_killed) == (137, True)
    mem = Memory(64 * MiB)
    first = pod.run("nginx", memory=mem)
    assert mem.usage == 6 * MiB
    spec = lookup("nginx")
    second = Process(loop, program_for(spec, ["nginx", "-v"]), first.proc.child(["nginx", "-v"]))
    second.start()
    assert second.exit_code == 0 and mem.usage == 6 * MiB             # an exec'd process adds nothing
    first.signal(SIGQUIT)
    loop.run(until=1)
    assert mem.usage == 0


# -- busybox family (the shell package) ------------------------------------------------------------
def _need_shell():
    shell = pytest.importorskip("k8score.container.shell")
    if not hasattr(shell, "PROGRAMS"):
        pytest.skip("k8score.container.shell.PROGRAMS not available yet")


def test_busybox_runs_the_shell_and_sleep_as_pid_1_ignores_sigterm(world):
    _need_shell()
    loop, network, _ = world
    pod = Pod(loop, network)
    p = pod.run("busybox:1.28", command=["sh", "-c", "echo hello; exit 3"])
    loop.run(until=1)
    assert (p.exit_code, p.proc.stdout.getvalue()) == (3, "hello\n")
    s = pod.run("busybox", command=["sleep", "3600"])
    loop.run(until=2)
    assert s.signal(SIGTERM) is False and s.running
    s.signal(SIGKILL)
    assert s.exit_code == 137
    for image in ("alpine", "ubuntu", "debian"):
        q = pod.run(image)                                  # no command: the shell exits at once
        loop.run(until=loop.now + 1)
        assert q.exit_code == 0, image


def test_nginx_entrypoint_execs_a_shell_command(world):
    _need_shell()
    loop, network, _ = world
    p = Pod(loop, network).run("nginx", args=["sh", "-c", "cat /usr/share/nginx/html/index.html"])
    loop.run(until=1)
    assert p.exit_code == 0 and p.proc.stdout.getvalue() == nginx_mod.INDEX_HTML


def test_netexec_shell_endpoint_runs_the_command(world):
    _need_shell()
    loop, network, client = world
    p = Pod(loop, network).run(AGNHOST, args=["netexec"])
    loop.run(until=1)
    assert p.running
    assert client.http("10.244.1.5", 8080, path="/shell?cmd=echo%20hi").body == '{"output":"hi\\n"}'
