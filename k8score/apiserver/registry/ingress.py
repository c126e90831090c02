"""Ingress and IngressClass (networking.k8s.io/v1): stored, validated, printed — not served.

Upstream: pkg/registry/networking/ingress/strategy.go (PrepareForCreate: status starts empty,
generation 1; PrepareForUpdate: status kept, generation bumped on a spec change; status
through ``/status``) and pkg/registry/networking/ingressclass/strategy.go (generation).
Validation: k8score/apiserver/validation/networking.py.

No ingress controller runs in k8score, as on a cluster where none is installed: nothing
routes traffic for an Ingress and nothing writes ``status.loadBalancer``, so kubectl's
ADDRESS column stays empty.
"""

from __future__ import annotations

from typing import Any

from ...api.resources import BUILTIN
from ..validation import networking as v
from .strategy import Strategy


class IngressStrategy(Strategy):
    info = BUILTIN["ingresses"]
    status_subresource = True
    tracks_generation = True
    # IngressStatus{} encodes as {"loadBalancer": {}} (a struct is never omitted by encoding/json)
    initial_status = {"loadBalancer": {}}
    rules = staticmethod(v.ingress)


class IngressClassStrategy(Strategy):
    info = BUILTIN["ingressclasses"]
    tracks_generation = True
    rules = staticmethod(v.ingress_class)
    update_rules = staticmethod(v.ingress_class_update)

    def default(self, obj: dict) -> Any:
        v.ingress_class_defaults(obj)


STRATEGIES = (IngressStrategy, IngressClassStrategy)
