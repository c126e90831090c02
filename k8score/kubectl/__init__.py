"""kubectl, emulated: command lines in, the text real kubectl (v1.37) prints out.

It talks to the cluster only through a :class:`~k8score.client.Client`, the way the real
kubectl only talks to the API server::

    k = Kubectl(client, now_fn=lambda: loop.now)
    k.run("apply -f -", stdin=manifest_yaml)    # 'deployment.apps/nginx-deployment created\\n'
    k.run("get pods -o wide")
    k.last_exit_code                            # 0, or 1 after an error

Modules: :mod:`.kubectl` (the command line and dispatch), :mod:`.reads` (get, describe,
rollout status...), :mod:`.writes` and :mod:`.apply` (commands that change objects),
:mod:`.columns`/:mod:`.podstatus`/:mod:`.printers` (table rows as printers.go builds them),
:mod:`.describe` (+ ``describe_*``), :mod:`.yamlout`/:mod:`.jsonpath` (``-o`` formats),
:mod:`.tabwriter` and :mod:`.timefmt` (Go's column alignment and kubectl's AGE).
"""

from .kubectl import Kubectl

__all__ = ["Kubectl"]
