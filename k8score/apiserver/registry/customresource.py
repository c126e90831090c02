"""The strategy of one custom resource: a CustomResourceDefinition version, served generically.

Upstream: k8s.io/apiextensions-apiserver pkg/registry/customresource/strategy.go
(``customResourceStrategy``), status_strategy.go, validator.go, and the decoder in
pkg/apiserver/customresource_handler.go (``unstructuredSchemaCoercer``: prune, drop
non-nullable nulls, default). Objects live at ``/registry/<group>/<plural>/<ns>/<name>``
(cluster-scoped: ``/registry/<group>/<plural>/<name>``).

- create: the body is pruned to the schema and defaulted; with the status subresource a
  client's ``status`` is dropped; ``metadata.generation`` starts at 1;
- update: with the status subresource ``status`` is kept from the stored object; any
  change outside ``metadata`` bumps ``generation`` (upstream compares everything but
  metadata, not only ``spec``);
- validation: ObjectMeta, then the schema (validate.py's kube-openapi messages);
- ``/status`` (when ``subresources.status`` is set) and ``/scale`` (when
  ``subresources.scale`` is set: ``autoscaling/v1`` Scale from ``specReplicasPath``,
  ``statusReplicasPath`` and ``labelSelectorPath``).

Only the CRD's storage version is served (no conversion between versions).
"""

from __future__ import annotations

import copy
from typing import Any

from ...api.errors import ApiError
from ...api.field import FieldError
from ...api.resources import ResourceInfo
from ..patch import apply_patch
from ..crdschema import Structural, default, prune, prune_nulls, validate
from .strategy import Strategy

STRICT, IGNORE = "Strict", "Ignore"


def storage_version(crd: dict) -> dict | None:
    """The version marked ``storage: true`` (validation guarantees exactly one)."""
    for v in crd["spec"].get("versions") or []:
        if isinstance(v, dict) and v.get("storage") is True:
            return v
    return None


def info_for(crd: dict, version: str) -> ResourceInfo:
    """The ResourceInfo a CRD serves, from its *accepted* names (``status.acceptedNames``)."""
    names = (crd.get("status") or {}).get("acceptedNames") or crd["spec"]["names"]
    return ResourceInfo(names["plural"], names.get("singular") or names["kind"].lower(), names["kind"],
                        crd["spec"]["group"], version, crd["spec"].get("scope") == "Namespaced",
                        tuple(names.get("shortNames") or ()))


class CustomResourceStrategy(Strategy):
    """Built per CRD (its storage version); see the module docstring."""

    tracks_generation = True

    def __init__(self, crd: dict):
        version = storage_version(crd)
        if version is None:
            raise ValueError(f"CustomResourceDefinition {crd['metadata'].get('name')} has no storage version")
        self.crd_name = crd["metadata"]["name"]
        self.info = info_for(crd, version["name"])
        self.key_root = f"{self.info.group}/{self.info.plural}"
        self.schema = Structural.of(((version.get("schema") or {}).get("openAPIV3Schema")))
        self.preserve_unknown = crd["spec"].get("preserveUnknownFields") is True
        subs = version.get("subresources") or {}
        self.status_subresource = isinstance(subs.get("status"), dict)
        self.scale = subs.get("scale") if isinstance(subs.get("scale"), dict) else None
        self.subresources = {"scale": self._scale} if self.scale else {}
        super().__init__()

    # -- decoding: prune, drop nulls, default (the unstructuredSchemaCoercer) -------------
    def coerce(self, obj: dict) -> list[str]:
        """Prune ``obj`` to the schema and default it, in place; the pruned paths."""
        unknown: list[str] = []
        if not self.preserve_unknown:
            unknown = prune(obj, self.schema)
            prune_nulls(obj, self.schema)
        default(obj, self.schema)
        return unknown

    def decode_body(self, obj: dict, field_validation: str = "") -> list[str]:
        """The decoder's view of a request body (pruned and defaulted in place).

        Returns the ``fieldValidation=Warn`` warnings (``unknown field "spec.x"``; Warn is
        the default); ``Strict`` raises 400 BadRequest with upstream's message; ``Ignore``
        drops unknown fields silently. (customresource_handler.go schemaCoercingDecoder)
        """
        unknown = self.coerce(obj)
        texts = [f'unknown field "{p}"' for p in unknown]
        if not texts or field_validation == IGNORE:
            return []
        if field_validation == STRICT:
            kind, version = self.info.kind, self.info.version
            raise ApiError.bad_request(f'{kind} in version "{version}" cannot be handled as a {kind}: '
                                       f"strict decoding error: {', '.join(texts)}")
        return texts

    def decode_stored(self, obj: dict) -> dict:
        """An object read from etcd as the API serves it: pruned and defaulted."""
        self.coerce(obj)
        return obj

    def default(self, obj: dict) -> Any:
        self.coerce(obj)
        return None

    # -- create / update -------------------------------------------------------------
    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        super().prepare_for_create(obj, extra)
        if self.status_subresource:
            obj.pop("status", None)

    def prepare_for_update(self, new: dict, old: dict) -> None:
        super().prepare_for_update(new, old)
        meta = new["metadata"]
        changed = {k: v for k, v in new.items() if k != "metadata"} != \
                  {k: v for k, v in old.items() if k != "metadata"}
        meta["generation"] = old["metadata"].get("generation", 0) + (1 if changed else 0)

    def validate(self, obj: dict) -> list[FieldError]:
        errs = Strategy.validate(self, obj)
        return errs + validate(obj, self.schema)

    # -- /scale ---------------------------------------------------------------------------
    def _scale(self, api: Any, rc: Any) -> dict:
        """GET / PUT of the ``autoscaling/v1`` Scale (customresource/etcd.go ScaleREST)."""
        obj, rev = api.objects.read(rc, rc.name, rc.namespace)
        if rc.req.verb == "get":
            return self._scale_of(obj)
        if rc.req.verb not in ("update", "patch"):
            raise ApiError.method_not_allowed(f"{self.info.group_resource}/scale", rc.req.verb)
        body = rc.req.body
        if rc.req.verb == "patch":
            body = apply_patch(self._scale_of(obj), body, rc.req.patch_type or "merge")
        body = body if isinstance(body, dict) else {}
        replicas = (body.get("spec") or {}).get("replicas")
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise ApiError.invalid("Scale.autoscaling", rc.name, [FieldError(
                "Invalid", "spec.replicas", replicas, "must be greater than or equal to 0")])
        new = copy.deepcopy(obj)
        _set_path(new, self.scale["specReplicasPath"], replicas)
        self.prepare_for_update(new, obj)
        api.objects.validate(rc, new, self.validate_update, new, obj)
        return self._scale_of(api.objects.write_update(rc, new, obj, rev))

    def _scale_of(self, obj: dict) -> dict:
        meta = obj["metadata"]
        status: dict = {"replicas": _get_path(obj, self.scale.get("statusReplicasPath")) or 0}
        selector = _get_path(obj, self.scale.get("labelSelectorPath"))
        if isinstance(selector, str):
            status["selector"] = selector
        smeta = {k: meta[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                 if k in meta}
        return {"kind": "Scale", "apiVersion": "autoscaling/v1", "metadata": smeta,
                "spec": {"replicas": _get_path(obj, self.scale.get("specReplicasPath")) or 0},
                "status": status}


def _get_path(obj: Any, path: Any) -> Any:
    if not isinstance(path, str) or not path.startswith("."):
        return None
    for part in path[1:].split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _set_path(obj: dict, path: str, value: Any) -> None:
    parts = path[1:].split(".")
    for part in parts[:-1]:
        obj = obj.setdefault(part, {})
    obj[parts[-1]] = value
