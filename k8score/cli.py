"""The ``k8score`` command line: ``demo`` prints the Deployment flow; ``diagrams`` renders diagrams;
``serve`` serves the Kubernetes HTTP API for real kubectl (k8score/serve.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NGINX_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx-deployment
  labels:
    app: nginx
spec:
  replicas: 3
  selector:
    matchLabels:
      app: nginx
  template:
    metadata:
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx:1.14.2
        ports:
        - containerPort: 80
"""


def _demo(args: argparse.Namespace) -> int:
    from . import Cluster

    c = Cluster(nodes=args.nodes, seed=args.seed)
    start = c.now
    print(f"# k8score demo: kubectl apply the nginx Deployment (3 replicas) to a {args.nodes}-node cluster, "
          f"seed {args.seed}")
    print(c.kubectl("apply -f -", stdin=NGINX_DEPLOYMENT).rstrip())
    c.run(seconds=args.seconds)
    print(f"\n# timeline (virtual seconds since the cluster started; node registration before {start:.0f}s omitted)")
    c.print_timeline(since=start)
    print("\n$ kubectl get pods -o wide")
    print(c.kubectl("get pods -o wide").rstrip())
    return 0


def _diagrams(args: argparse.Namespace) -> int:
    from .diagramgen import render_all

    out = Path(args.out)
    for path in render_all(out, lang=args.lang):
        print(path)
    return 0


# wall seconds before ``k8score serve`` starts that its cluster's clock begins: more than a boot takes
_BOOT_MARGIN = 60.0


def _serve(args: argparse.Namespace) -> int:
    from . import Cluster
    from .serve import Server, wall_clock_epoch

    # The virtual clock shows the wall time, so real kubectl's ages (AGE, describe's events,
    # top's metric freshness) are right: the cluster "booted" _BOOT_MARGIN s ago, and the
    # server runs it up to the present before it answers (Server(wall_clock=True)).
    epoch = wall_clock_epoch(_BOOT_MARGIN)
    replicas = None
    if args.etcd_servers:   # all state in a real etcd, through its v3 JSON gateway (serve_etcd.py)
        from .serve_etcd import build
        cluster, replicas = build(args.etcd_servers, args.apiservers, nodes=args.nodes, seed=args.seed,
                                  epoch=epoch)
    elif args.apiservers != 1:
        raise SystemExit("k8score serve: --apiservers needs --etcd-servers (replicas share a real etcd)")
    else:
        cluster = Cluster(nodes=args.nodes, seed=args.seed, epoch=epoch)
    server = Server(cluster, port=args.port, speed=args.speed, tls=not args.insecure_http,
                    max_requests_inflight=args.max_requests_inflight,
                    max_mutating_requests_inflight=args.max_mutating_requests_inflight,
                    request_timeout=args.request_timeout, min_request_timeout=args.min_request_timeout,
                    wall_clock=epoch is not None, apiservers=replicas)
    from .serve import tune_gc
    tune_gc()
    path = server.write_kubeconfig(args.kubeconfig)
    print(f"k8score: serving the Kubernetes API of a {args.nodes}-node cluster (seed {args.seed}) "
          f"at {server.url}, {args.speed:g} virtual s per s")
    print(f"k8score: kubeconfig written to {path}; try: kubectl --kubeconfig {path} get nodes")
    sys.stdout.flush()
    server.serve_forever()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="k8score",
        description="Kubernetes' architecture, running: a deterministic simulation of every core component.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="print the timeline of the Deployment flow "
                                       "(kubectl -> API server -> etcd -> controllers -> scheduler -> kubelet)")
    demo.add_argument("--nodes", type=int, default=3, help="worker nodes (default 3)")
    demo.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same run")
    demo.add_argument("--seconds", type=float, default=30.0, help="virtual seconds to run (default 30)")
    demo.set_defaults(func=_demo)
    diag = sub.add_parser("diagrams", help="render the architecture diagrams in diagrams/ (needs Graphviz)")
    diag.add_argument("--out", required=True, help="output directory")
    diag.add_argument("--lang", choices=("zh", "en"), default="zh", help="labels' language (default zh)")
    diag.set_defaults(func=_diagrams)
    serve = sub.add_parser("serve", help="serve the Kubernetes HTTP API of a simulated cluster on 127.0.0.1 "
                                         "(for real kubectl and client libraries)")
    serve.add_argument("--port", type=int, default=6443, help="port on 127.0.0.1 (default 6443; 0: any free port)")
    serve.add_argument("--nodes", type=int, default=3, help="worker nodes (default 3)")
    serve.add_argument("--seed", type=int, default=0, help="random seed; the same seed gives the same run")
    serve.add_argument("--kubeconfig", default="k8score.kubeconfig",
                       help="where to write the kubeconfig (default ./k8score.kubeconfig)")
    serve.add_argument("--speed", type=float, default=1.0, help="virtual seconds per real second (default 1)")
    serve.add_argument("--insecure-http", action="store_true",
                       help="plain HTTP instead of HTTPS (kubectl then sends no credentials: system:anonymous)")
    # kube-apiserver's flags and defaults (options/server_run_options.go)
    serve.add_argument("--max-requests-inflight", type=int, default=400,
                       help="non-mutating requests in flight before 429 (default 400; 0: no limit)")
    serve.add_argument("--max-mutating-requests-inflight", type=int, default=200,
                       help="mutating requests in flight before 429 (default 200; 0: no limit)")
    serve.add_argument("--request-timeout", type=float, default=60.0,
                       help="seconds before a request that is not long-running is a 504 Timeout (default 60)")
    serve.add_argument("--min-request-timeout", type=float, default=1800.0,
                       help="a watch without timeoutSeconds lasts this many seconds times [1, 2) (default 1800)")
    serve.add_argument("--etcd-servers", default="",
                       help="keep all state in a real etcd: its client URLs, comma separated "
                            "(e.g. http://127.0.0.1:2379), spoken to through etcd's v3 JSON gateway")
    serve.add_argument("--apiservers", type=int, default=1,
                       help="API server replicas sharing the --etcd-servers etcd, balanced round robin "
                            "on the one port (default 1)")
    serve.set_defaults(func=_serve)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
