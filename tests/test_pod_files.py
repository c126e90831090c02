"""What a container sees of its pod and node, as the kubelet and runtime set it up:
``/etc/hosts`` (pkg/kubelet/kubelet_pods.go managedHostsFileContent, hostsEntriesFromHostAliases),
``uname`` (the host's kernel: nodeInfo.kernelVersion), and a failed ``kubectl exec`` (the
streaming server's InternalError: "error executing command in container: ...")."""

from __future__ import annotations

import pytest

from k8score import Cluster

HOSTALIASES_POD = """
apiVersion: v1
kind: Pod
metadata:
  name: hostaliases-pod
spec:
  restartPolicy: Never
  hostAliases:
  - ip: "127.0.0.1"
    hostnames:
    - "foo.local"
    - "bar.local"
  - ip: "10.1.2.3"
    hostnames:
    - "foo.remote"
    - "bar.remote"
  containers:
  - name: cat-hosts
    image: busybox:1.28
    command:
    - cat
    args:
    - "/etc/hosts"
"""


@pytest.fixture(scope="module")
def c():
    c = Cluster(nodes=1, seed=0)
    c.apply(HOSTALIASES_POD)   # content/en/examples/service/networking/hostaliases-pod.yaml
    c.apply({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-0"},
             "spec": {"hostname": "web-0", "subdomain": "nginx",
                      "containers": [{"name": "c", "image": "busybox:1.36", "command": ["sleep", "3600"]}]}})
    c.run(20)
    return c


def test_hostaliases_are_appended_to_the_managed_hosts_file(c):
    ip = c.get("pods", "hostaliases-pod")["status"]["podIP"]
    assert c.kubectl("logs hostaliases-pod") == (
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        f"{ip}\thostaliases-pod\n\n# Entries added by HostAliases.\n"
        "127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\tbar.remote\n")


def test_hostname_and_subdomain_give_the_pod_its_fqdn(c):
    ip = c.get("pods", "web-0")["status"]["podIP"]
    hosts = c.kubectl("exec web-0 -- cat /etc/hosts")
    assert hosts.endswith(f"{ip}\tweb-0.nginx.default.svc.cluster.local\tweb-0\n")
    uid = c.get("pods", "web-0")["metadata"]["uid"]
    assert c.ssh("node-1", f"cat /var/lib/kubelet/pods/{uid}/etc-hosts") == hosts


def test_uname_shows_the_nodes_kernel(c):
    kernel = c.get("nodes", "node-1")["status"]["nodeInfo"]["kernelVersion"]
    assert c.kubectl("exec web-0 -- uname -r") == f"{kernel}\n"


def test_exec_of_a_missing_command_is_an_internal_error(c):
    out = c.kubectl("exec web-0 -- nosuchcmd")
    assert out.startswith('error: Internal error occurred: error executing command in container: '
                          'failed to exec in container: failed to start exec "')
    assert out.rstrip().endswith('exec: "nosuchcmd": executable file not found in $PATH: unknown')
    # a container that is not there is refused before the upgrade
    assert c.kubectl("exec web-0 -c nope -- true").startswith("Error from server (BadRequest)") or \
        "unable to upgrade connection" in c.kubectl("exec web-0 -c nope -- true")
