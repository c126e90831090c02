"""kube-apiserver: the only component that reads and writes etcd.

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> api = APIServer(Loop(seed=0), Store())
>>> api.start()
>>> [ns["metadata"]["name"] for ns in api.list("namespaces")["items"]]
['default', 'kube-node-lease', 'kube-public', 'kube-system']

Public API: :class:`APIServer` (create/get/list/update/patch/delete/watch),
:class:`ApiError`, :data:`RESOURCES` / :func:`resolve` / :class:`ResourceInfo`,
:func:`handle` (REST requests), and the helpers :func:`parse_quantity` /
:class:`Quantity`, :func:`parse_label_selector` / :func:`from_label_selector_dict`.
"""

from ..api.errors import ApiError
from ..api.quantity import Quantity, QuantityError, parse_quantity
from ..api.resources import RESOURCES, ResourceInfo, resolve
from .rest import handle
from ..api.selectors import from_label_selector_dict, parse_field_selector, parse_label_selector
from .server import APIServer
from .cacher_watch import CacheWatch as Watch

__all__ = ["APIServer", "ApiError", "RESOURCES", "ResourceInfo", "resolve", "handle", "Watch",
           "Quantity", "QuantityError", "parse_quantity", "parse_label_selector",
           "parse_field_selector", "from_label_selector_dict"]
