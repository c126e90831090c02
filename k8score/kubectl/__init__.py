"""kubectl, emulated: command lines in, the text real kubectl (v1.35) prints out.

>>> k = Kubectl(client, now_fn=lambda: loop.now)          # doctest: +SKIP
>>> print(k.run("get pods -o wide"))                      # doctest: +SKIP
>>> k.run("apply -f -", stdin=manifest_yaml)              # doctest: +SKIP
'deployment.apps/nginx-deployment created\\n'
"""

from .kubectl import Kubectl

__all__ = ["Kubectl"]
