"""The catalog table: which :class:`ImageSpec` a reference stands for (``lookup``'s data).

Sizes come from :func:`k8score.kubelet.images.image_size` (the pull model's numbers).
ENTRYPOINT/CMD/ENV/STOPSIGNAL/EXPOSE follow each image's Dockerfile (paths cited per entry);
``memory`` is the resident set once started, charged by the image's first process.
"""

from __future__ import annotations

import re

from ...kubelet import images as refs
from ..catalog import ImageSpec
from ..process import SIGQUIT, SIGTERM
from . import _common as c
from . import httpd as httpd_mod
from . import nginx as nginx_mod

MISSING_WORDS = ("doesnotexist", "nonexistent", "notfound", "does-not-exist")   # as kubelet/cri.py
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"    # Docker's default
MiB = 1 << 20

#: The busybox applets (and shells) k8score.container.shell implements; installed in /bin.
SHELL_COMMANDS = ("sh", "ash", "sleep", "echo", "printf", "date", "cat", "touch", "rm", "ls", "mkdir",
                  "test", "[", "true", "false", "env", "hostname", "wget", "nslookup", "head", "tail",
                  "grep", "wc", "kill", "tee", "seq", "expr", "id", "pwd", "uname")

NGINX_LATEST, NGINX_STABLE = "1.29.3", "1.28.0"
#: last patch release of each nginx minor line (nginx.org/en/CHANGES), for tags like ``1.25``.
NGINX_MINORS = {"1.14": "1.14.2", "1.15": "1.15.12", "1.16": "1.16.1", "1.17": "1.17.10", "1.18": "1.18.0",
                "1.19": "1.19.10", "1.20": "1.20.2", "1.21": "1.21.6", "1.22": "1.22.1", "1.23": "1.23.4",
                "1.24": "1.24.0", "1.25": "1.25.5", "1.26": "1.26.3", "1.27": "1.27.5", "1.28": NGINX_STABLE,
                "1.29": NGINX_LATEST, "1": NGINX_LATEST}
HTTPD_LATEST = "2.4.65"


def split(ref: str) -> tuple[str, str]:
    """(repository, tag) of a normalized reference; a digest-only reference has tag ``latest``."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = name.rsplit(":", 1)
        return repo, tag
    return name, "latest"


def _shell_names() -> list[str]:
    names = set(SHELL_COMMANDS)
    from ..shell import PROGRAMS   # whatever else the shell provides (lazily: it imports the catalog)
    names.update(n for n in PROGRAMS if n and "/" not in n)
    return sorted(names)


def _with_shell(binaries: dict[str, str], bash: bool = False) -> dict[str, str]:
    out = {f"/bin/{n}": n for n in _shell_names()}
    out["/usr/bin/env"] = "env"
    if bash:
        out["/bin/bash"] = "bash" if "bash" in _shell_names() else "sh"
    out.update(binaries)
    return out


def _files(spec: ImageSpec, extra: dict[str, str]) -> ImageSpec:
    files = {path: c.ELF for path in spec.binaries if path != "*"}
    files.update(extra)
    spec.files = files
    return spec


def _os(name: str) -> dict[str, str]:
    release = {"alpine": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.22.2\n',
               "busybox": "", "debian": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n',
               "ubuntu": 'PRETTY_NAME="Ubuntu 24.04.3 LTS"\nNAME="Ubuntu"\nID=ubuntu\n'}[name]
    files = {"/etc/passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
             "/etc/group": "root:x:0:\nnogroup:x:65534:\n"}
    if release:
        files["/etc/os-release"] = release
    return files


# -- the images ------------------------------------------------------------------------------
def nginx(ref: str, tag: str) -> ImageSpec:
    """docker-nginx ``mainline/debian/Dockerfile`` (and ``alpine``); entrypoint from 1.19."""
    m = re.match(r"(\d+(?:\.\d+){0,2})", tag)
    if m:
        v = m.group(1)
        version = NGINX_MINORS.get(v, v + ".0" if v.count(".") == 1 else v)
    else:
        version = NGINX_STABLE if tag.startswith("stable") else NGINX_LATEST
    alpine = "alpine" in tag
    vt = nginx_mod.version_tuple(version)
    has_entry = vt >= (1, 19)
    spec = ImageSpec(ref, entrypoint=["/docker-entrypoint.sh"] if has_entry else [],
                     cmd=["nginx", "-g", "daemon off;"],
                     env={"PATH": DEFAULT_PATH, "NGINX_VERSION": version,
                          "PKG_RELEASE": "1" if alpine else "1~bookworm"},
                     stop_signal=SIGQUIT if vt >= (1, 19, 7) else SIGTERM, memory=6 * MiB,
                     size=refs.image_size(ref), ports=[80])
    bins = {"/usr/sbin/nginx": "nginx", "/usr/sbin/nginx-debug": "nginx"}
    if has_entry:
        bins["/docker-entrypoint.sh"] = "docker-entrypoint.sh"
    spec.binaries = _with_shell(bins, bash=not alpine)
    return _files(spec, {**_os("alpine" if alpine else "debian"), **nginx_mod.image_files(version, alpine)})


def httpd(ref: str, tag: str) -> ImageSpec:
    """docker-library/httpd ``2.4/Dockerfile``: ``STOPSIGNAL SIGWINCH``, ``CMD ["httpd-foreground"]``."""
    m = re.match(r"(\d+\.\d+\.\d+)", tag)
    version = m.group(1) if m else HTTPD_LATEST
    alpine = "alpine" in tag
    prefix = "/usr/local/apache2"
    spec = ImageSpec(ref, cmd=["httpd-foreground"], workdir=prefix,
                     env={"PATH": f"{prefix}/bin:{DEFAULT_PATH}", "HTTPD_PREFIX": prefix, "HTTPD_VERSION": version},
                     stop_signal=c.SIGWINCH, memory=10 * MiB, size=refs.image_size(ref), ports=[80])
    spec.binaries = _with_shell({"/usr/local/bin/httpd-foreground": "httpd-foreground",
                                 f"{prefix}/bin/httpd": "httpd"}, bash=not alpine)
    return _files(spec, {**_os("alpine" if alpine else "debian"), f"{prefix}/htdocs/index.html": httpd_mod.IT_WORKS})


def shell_image(ref: str, repo: str) -> ImageSpec:
    """busybox (``CMD ["sh"]``), alpine (``CMD ["/bin/sh"]``), debian (``CMD ["bash"]``), ubuntu
    (``CMD ["/bin/bash"]``): with no command the shell reads an empty stdin and exits 0."""
    name = repo.rsplit("/", 1)[-1]
    cmd = {"busybox": ["sh"], "alpine": ["/bin/sh"], "debian": ["bash"], "ubuntu": ["/bin/bash"]}[name]
    spec = ImageSpec(ref, cmd=cmd, env={"PATH": DEFAULT_PATH}, memory=MiB, size=refs.image_size(ref))
    spec.binaries = _with_shell({}, bash=name in ("debian", "ubuntu"))
    if name == "busybox" and _busybox_before_1_29(ref):
        # busybox rewrote nslookup for 1.29 (it stopped using the libc resolver, so search
        # domains no longer apply to dotted names): 1.28 and older keep the old applet
        spec.binaries["/bin/nslookup"] = "nslookup-1.28"
    return _files(spec, _os(name))


def _busybox_before_1_29(ref: str) -> bool:
    tag = ref.rsplit(":", 1)[-1] if ":" in ref.rsplit("/", 1)[-1] else "latest"
    m = re.match(r"(\d+)\.(\d+)", tag)
    return bool(m) and (int(m.group(1)), int(m.group(2))) < (1, 29)


def agnhost(ref: str, tag: str) -> ImageSpec:
    """test/images/agnhost/Dockerfile: ``ENTRYPOINT ["/agnhost"]``, ``CMD ["pause"]``, alpine base,
    ``EXPOSE 80 8080 8081 9376``; ``agnhost-2`` is a symlink to it."""
    spec = ImageSpec(ref, entrypoint=["/agnhost"], cmd=["pause"], env={"PATH": DEFAULT_PATH},
                     memory=12 * MiB, size=refs.image_size(ref), ports=[80, 8080, 8081, 9376])
    spec.binaries = _with_shell({"/agnhost": "agnhost", "/agnhost-2": "agnhost"}, bash=True)
    return _files(spec, {**_os("alpine"), "/uploads/.keep": ""})


def liveness(ref: str, tag: str) -> ImageSpec:
    """The pre-agnhost ``liveness`` image (``FROM scratch``, ``ADD server /server``): the docs'
    pods run it with ``args: ["/server"]``."""
    spec = ImageSpec(ref, cmd=["/server"], env={"PATH": DEFAULT_PATH}, memory=5 * MiB, size=refs.image_size(ref),
                     ports=[8080])
    spec.binaries = {"/server": "liveness-server"}
    return _files(spec, {})


def pause(ref: str, tag: str) -> ImageSpec:
    """build/pause/Dockerfile: ``FROM scratch``, ``ENTRYPOINT ["/pause"]``."""
    spec = ImageSpec(ref, entrypoint=["/pause"], env={"PATH": DEFAULT_PATH}, memory=256 << 10,
                     size=refs.image_size(ref))
    spec.binaries = {"/pause": "pause"}
    return _files(spec, {})


def goproxy(ref: str, tag: str) -> ImageSpec:
    spec = ImageSpec(ref, entrypoint=["/goproxy"], env={"PATH": DEFAULT_PATH}, memory=5 * MiB,
                     size=refs.image_size(ref), ports=[8080])
    spec.binaries = {"/goproxy": "goproxy"}
    return _files(spec, {})


def polinux_stress(ref: str, tag: str) -> ImageSpec:
    """polinux/stress (alpine + stress 1.0.4): the docs' memory tasks set ``command: ["stress"]``."""
    spec = ImageSpec(ref, cmd=["/usr/local/bin/stress"], env={"PATH": DEFAULT_PATH}, memory=MiB,
                     size=refs.image_size(ref))
    spec.binaries = _with_shell({"/usr/local/bin/stress": "stress", "/usr/bin/stress": "stress"})
    return _files(spec, _os("alpine"))


def vish_stress(ref: str, tag: str) -> ImageSpec:
    spec = ImageSpec(ref, entrypoint=["/stress", "-logtostderr"], env={"PATH": DEFAULT_PATH}, memory=2 * MiB,
                     size=refs.image_size(ref))
    spec.binaries = {"/stress": "vish-stress"}
    return _files(spec, {})


def perl(ref: str, tag: str) -> ImageSpec:
    """docker-library/perl (``FROM buildpack-deps:bookworm``, ``CMD ["perl5.xx.x","-de0"]``): the
    docs' ``pi`` Job runs ``perl -Mbignum=bpi -wle 'print bpi(2000)'`` (images/perl.py)."""
    spec = ImageSpec(ref, cmd=["perl", "-de0"], workdir="/", env={"PATH": DEFAULT_PATH}, memory=8 * MiB,
                     size=refs.image_size(ref))
    spec.binaries = _with_shell({"/usr/local/bin/perl": "perl", "/usr/bin/perl": "perl"}, bash=True)
    return _files(spec, _os("debian"))


def hpa_example(ref: str, tag: str) -> ImageSpec:
    """registry.k8s.io/hpa-example (``FROM php:5-apache``, ``ADD index.php``): answers ``OK!``."""
    spec = ImageSpec(ref, cmd=["apache2-foreground"], workdir="/var/www/html",
                     env={"PATH": DEFAULT_PATH, "PHP_VERSION": "5.6.40", "HTTPD_VERSION": "2.4.25"},
                     stop_signal=c.SIGWINCH, memory=12 * MiB, size=refs.image_size(ref), ports=[80])
    spec.binaries = _with_shell({"/usr/local/bin/apache2-foreground": "apache2-foreground",
                                 "/usr/sbin/apache2": "apache2-foreground"}, bash=True)
    index = '<?php\n  $x = 0.0001;\n  for ($i = 0; $i <= 1000000; $i++) {\n    $x += sqrt($x);\n  }\n  echo "OK!";\n?>\n'
    return _files(spec, {**_os("debian"), "/var/www/html/index.php": index})


#: Control-plane and add-on images: distroless (no shell), their binary, ports, resident memory.
COMPONENTS = {
    "etcd": ("/usr/local/bin/etcd", [2379, 2380, 2381], 40),
    "kube-apiserver": ("/usr/local/bin/kube-apiserver", [6443], 250),
    "kube-controller-manager": ("/usr/local/bin/kube-controller-manager", [10257], 50),
    "kube-scheduler": ("/usr/local/bin/kube-scheduler", [10259], 20),
    "kube-proxy": ("/usr/local/bin/kube-proxy", [10249, 10256], 20),
    "coredns": ("/coredns", [53, 8080, 8181, 9153], 15),
}


def component(ref: str, name: str) -> ImageSpec:
    binary, ports, mib = COMPONENTS[name]
    spec = ImageSpec(ref, entrypoint=[binary] if name == "coredns" else [], cmd=[] if name == "coredns" else [binary],
                     env={"PATH": DEFAULT_PATH}, memory=mib * MiB, size=refs.image_size(ref), ports=list(ports))
    # coredns runs its own program (images/coredns.py: DNS through the cluster's CoreDNS engine)
    spec.binaries = {binary: "coredns" if name == "coredns" else "server"}
    if name == "kube-proxy":
        spec.binaries = _with_shell(spec.binaries)   # kube-proxy's image keeps a shell (iptables wrappers)
    return _files(spec, {})


def generic(ref: str, ports: list[int] | None = None) -> ImageSpec:
    """An image the catalog does not know: a shell plus ``*`` — any other executable runs the
    fallback server (listening on ``ports``, exits 0 on SIGTERM)."""
    spec = ImageSpec(ref, cmd=["/usr/local/bin/app"], env={"PATH": DEFAULT_PATH}, memory=20 * MiB,
                     size=refs.image_size(ref), ports=list(ports or []))
    spec.binaries = _with_shell({"*": "server"})
    return _files(spec, {})


#: EXPOSE of a few popular images the fallback serves (their Dockerfiles on Docker Hub).
GENERIC_PORTS = {"redis": [6379], "memcached": [11211], "mysql": [3306, 33060], "mariadb": [3306],
                 "postgres": [5432], "mongo": [27017], "rabbitmq": [4369, 5671, 5672, 25672],
                 "traefik": [80], "caddy": [80, 443], "tomcat": [8080], "wordpress": [80]}

_BY_REPO = {
    "docker.io/library/nginx": nginx, "docker.io/nginxinc/nginx-unprivileged": nginx,
    "docker.io/library/httpd": httpd,
    "registry.k8s.io/e2e-test-images/agnhost": agnhost, "k8s.gcr.io/e2e-test-images/agnhost": agnhost,
    "gcr.io/kubernetes-e2e-test-images/agnhost": agnhost,
    "registry.k8s.io/liveness": liveness, "k8s.gcr.io/liveness": liveness,
    "gcr.io/google_containers/liveness": liveness, "gcr.io/google-containers/liveness": liveness,
    "registry.k8s.io/pause": pause, "k8s.gcr.io/pause": pause, "gcr.io/google_containers/pause": pause,
    "registry.k8s.io/goproxy": goproxy, "k8s.gcr.io/goproxy": goproxy,
    "docker.io/library/perl": perl,
    "docker.io/polinux/stress": polinux_stress, "docker.io/vish/stress": vish_stress,
    "registry.k8s.io/hpa-example": hpa_example, "k8s.gcr.io/hpa-example": hpa_example,
}
_SHELL_REPOS = ("busybox", "alpine", "debian", "ubuntu")


def spec_for(ref: str) -> ImageSpec | None:
    """The image ``ref`` names, or None when the registry has no such image."""
    if any(w in ref.lower() for w in MISSING_WORDS):
        return None
    repo, tag = split(ref)
    build = _BY_REPO.get(repo)
    if build is not None:
        return build(ref, tag)
    if repo in (f"docker.io/library/{n}" for n in _SHELL_REPOS):
        return shell_image(ref, repo)
    last = repo.rsplit("/", 1)[-1]
    if last in COMPONENTS and (repo.startswith(("registry.k8s.io/", "k8s.gcr.io/")) or last == "coredns"):
        return component(ref, last)
    return generic(ref, GENERIC_PORTS.get(last) if repo.startswith("docker.io/library/") else None)


__all__ = ["spec_for", "split", "SHELL_COMMANDS", "DEFAULT_PATH", "MISSING_WORDS", "COMPONENTS"]
