"""k8score: Kubernetes' architecture as a deterministic pure-Python simulation.

>>> from k8score import Cluster
>>> c = Cluster(nodes=3, seed=0)
>>> _ = c.apply('''
... apiVersion: apps/v1
... kind: Deployment
... metadata: {name: web}
... spec:
...   replicas: 2
...   selector: {matchLabels: {app: web}}
...   template:
...     metadata: {labels: {app: web}}
...     spec: {containers: [{name: nginx, image: "nginx:1.14.2"}]}
... ''')
>>> c.run(seconds=30)
True
>>> sorted(p["status"]["phase"] for p in c.get("pods"))
['Running', 'Running']
"""

from .apiserver import ApiError
from .cluster import Cluster
from .display import show

__version__ = "0.1.0"
__all__ = ["Cluster", "ApiError", "show", "__version__"]
