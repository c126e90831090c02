"""CustomResourceDefinitions: validated, stored, and served as new resources at once.

Upstream: k8s.io/apiextensions-apiserver pkg/registry/customresourcedefinition/strategy.go
(PrepareForCreate/Update: status reset, generation, ``status.storedVersions``),
pkg/apis/apiextensions/v1/defaults.go (singular, listKind, conversion),
pkg/apis/apiextensions/validation/validation.go (the rules and messages),
pkg/controller/status/naming_controller.go (``status.acceptedNames``, NamesAccepted),
pkg/controller/establish/establishing_controller.go (Established) and
pkg/controller/finalizer/crd_finalizer.go (deleting a CRD deletes its objects).
Stored at ``/registry/apiextensions.k8s.io/customresourcedefinitions/<name>``.

Simplifications, each deliberate: the naming and establishing controllers run
synchronously inside the write (``on_create``/``on_update``), so a CRD is Established and
its resource served as soon as the create returns; deleting a CRD removes its custom
objects and unregisters the resource in the same request instead of through the
``customresourcecleanup.apiextensions.k8s.io`` finalizer; only the storage version is served.

>>> from k8score.sim import Loop
>>> from k8score.etcd import Store
>>> from k8score.apiserver.server import APIServer
>>> api = APIServer(Loop(seed=1), Store()); api.start()
>>> api.registry.register(CustomResourceDefinitionStrategy())
>>> crd = api.create("customresourcedefinitions", {"metadata": {"name": "crontabs.stable.example.com"},
...     "spec": {"group": "stable.example.com", "scope": "Namespaced",
...              "names": {"plural": "crontabs", "kind": "CronTab", "shortNames": ["ct"]},
...              "versions": [{"name": "v1", "served": True, "storage": True, "schema":
...                  {"openAPIV3Schema": {"type": "object", "properties": {"spec": {"type": "object",
...                   "properties": {"cronSpec": {"type": "string"}}}}}}}]}})
>>> [(c["type"], c["status"]) for c in crd["status"]["conditions"]]
[('NamesAccepted', 'True'), ('Established', 'True')]
>>> api.create("ct", {"apiVersion": "stable.example.com/v1", "kind": "CronTab",
...     "metadata": {"name": "c"}, "spec": {"cronSpec": "* * * * */5"}})["metadata"]["generation"]
1
"""

from __future__ import annotations

from typing import Any, Callable

from ...api.field import FieldError
from ...api.resources import BUILTIN
from ..validation import meta as meta_validation
from ..crdschema.definition import crd_errors, crd_update_errors
from .customresource import CustomResourceStrategy, info_for, storage_version
from .strategy import Strategy

RESOURCE = "customresourcedefinitions"
#: apiextensions.CustomResourceCleanupFinalizer (not added: cleanup is synchronous here)
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"


def _condition(type_: str, status: str, reason: str, message: str, now: str) -> dict:
    return {"type": type_, "status": status, "lastTransitionTime": now, "reason": reason,
            "message": message}


def _names_used(api: Any, crd: dict) -> tuple[set, set]:
    """Resources and kinds other CRDs of the group have accepted (getAcceptedNamesForGroup)."""
    resources: set = set()
    kinds: set = set()
    for other in api.lister.list(RESOURCE):
        if other["metadata"]["name"] == crd["metadata"]["name"] or \
                other.get("spec", {}).get("group") != crd["spec"]["group"]:
            continue
        acc = (other.get("status") or {}).get("acceptedNames") or {}
        resources.update(x for x in [acc.get("plural"), acc.get("singular"), *(acc.get("shortNames") or [])] if x)
        kinds.update(x for x in (acc.get("kind"), acc.get("listKind")) if x)
    return resources, kinds


def name_status(api: Any, crd: dict) -> None:
    """Set ``status.acceptedNames`` and the NamesAccepted / Established conditions
    (naming_controller.go calculateNamesAndConditions + the establishing controller)."""
    resources, kinds = _names_used(api, crd)
    status = crd.setdefault("status", {})
    want = crd["spec"]["names"]
    had = status.get("acceptedNames") or {}
    accepted = dict(had)
    cond = None

    def check(key: str, used: set, reason: str) -> None:
        nonlocal cond
        name = want.get(key)
        if name and name != had.get(key) and name in used:
            cond = ("False", reason, f'"{name}" is already in use')
        elif name:
            accepted[key] = name

    check("plural", resources, "PluralConflict")
    check("singular", resources, "SingularConflict")
    shorts = list(want.get("shortNames") or [])
    taken = [s for s in shorts if s not in (had.get("shortNames") or []) and s in resources]
    if taken:
        cond = ("False", "ShortNamesConflict", ", ".join(f'"{s}" is already in use' for s in taken))
    elif shorts or had.get("shortNames"):
        accepted["shortNames"] = shorts
    check("kind", kinds, "KindConflict")
    check("listKind", kinds, "ListKindConflict")
    if want.get("categories"):
        accepted["categories"] = want["categories"]
    now = api.timestamp()
    old = {c.get("type"): c for c in status.get("conditions") or [] if isinstance(c, dict)}
    if cond is None:
        named = _condition("NamesAccepted", "True", "NoConflicts", "no conflicts found", now)
        est = _condition("Established", "True", "InitialNamesAccepted",
                         "the initial names have been accepted", now)
    else:
        named = _condition("NamesAccepted", cond[0], cond[1], cond[2], now)
        est = _condition("Established", "False", "NotAccepted", "not all names are accepted", now)
    conds = []
    for c in (named, est):
        prev = old.get(c["type"])
        if prev and (prev.get("status"), prev.get("reason"), prev.get("message")) == \
                (c["status"], c["reason"], c["message"]):
            c = prev  # unchanged: keep its lastTransitionTime (SetCRDCondition)
        conds.append(c)
    status["acceptedNames"] = {k: accepted[k] for k in
                               ("categories", "kind", "listKind", "plural", "shortNames", "singular")
                               if k in accepted}
    status["conditions"] = conds
    status.setdefault("storedVersions", [])


def established(crd: dict) -> bool:
    return any(isinstance(c, dict) and c.get("type") == "Established" and c.get("status") == "True"
               for c in (crd.get("status") or {}).get("conditions") or [])


def serve(api: Any, crd: dict) -> Callable[[], None]:
    """Register the CRD's resource (replacing its previous registration); the undo."""
    new = CustomResourceStrategy(crd)
    registry = api.registry
    prev = next((s for s in registry.strategies() if getattr(s, "crd_name", None) == crd["metadata"]["name"]),
                None)
    clash = registry.table.get(new.info.group_resource)
    if clash is not None and (prev is None or clash != prev.info):
        return lambda: None  # served by something else (a built-in): never shadow it
    if prev is not None:
        registry.unregister(prev.info)
        api.forget_cacher(prev.info)  # its watch cache decoded with the old schema
    registry.register(new)

    def undo() -> None:
        registry.unregister(new.info)
        if prev is not None:
            registry.register(prev)
    return undo


def unserve(api: Any, crd: dict) -> None:
    for s in api.registry.strategies():
        if getattr(s, "crd_name", None) == crd["metadata"]["name"]:
            api.registry.unregister(s.info)
            api.forget_cacher(s.info)


class CustomResourceDefinitionStrategy(Strategy):
    """apiextensions.k8s.io/v1 CustomResourceDefinition (cluster-scoped, with /status)."""

    info = BUILTIN[RESOURCE]
    key_root = "apiextensions.k8s.io/customresourcedefinitions"
    status_subresource = True
    tracks_generation = True

    def default(self, obj: dict) -> Any:
        """v1 SetDefaults_CustomResourceDefinitionSpec."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return None
        names = spec.get("names")
        if isinstance(names, dict) and isinstance(names.get("kind"), str):
            if not names.get("singular"):
                names["singular"] = names["kind"].lower()
            if not names.get("listKind") and names["kind"]:
                names["listKind"] = names["kind"] + "List"
        spec.setdefault("conversion", {"strategy": "None"})
        return None

    def prepare_for_create(self, obj: dict, extra: Any = None) -> None:
        super().prepare_for_create(obj, extra)
        obj["status"] = {}
        self._stored_versions(obj)

    def prepare_for_update(self, new: dict, old: dict) -> None:
        super().prepare_for_update(new, old)
        self._stored_versions(new)

    @staticmethod
    def _stored_versions(obj: dict) -> None:
        spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
        v = storage_version({"spec": spec}) if isinstance(spec.get("versions"), list) else None
        status = obj.setdefault("status", {})
        stored = list(status.get("storedVersions") or [])
        if v is not None and v.get("name") not in stored:
            stored.append(v.get("name"))
        status["storedVersions"] = stored

    def validate(self, obj: dict) -> list[FieldError]:
        return crd_errors(obj)

    def validate_update(self, new: dict, old: dict) -> list[FieldError]:
        errs = meta_validation.object_meta_update(new.get("metadata") or {}, old.get("metadata") or {})
        return errs + crd_update_errors(new, old, established(old))

    def on_create(self, api: Any, obj: dict) -> Callable[[], None] | None:
        name_status(api, obj)
        return serve(api, obj) if established(obj) else None

    def on_update(self, api: Any, new: dict, old: dict) -> Callable[[], None] | None:
        if new.get("spec") == old.get("spec") and established(new):
            return None
        name_status(api, new)
        return serve(api, new) if established(new) else None

    def on_delete(self, api: Any, obj: dict) -> None:
        """crd_finalizer.go, synchronously: delete every custom object, stop serving."""
        unserve(api, obj)
        group, plural = obj["spec"]["group"], obj["spec"]["names"]["plural"]
        api.storage.delete_prefixes([f"/registry/{group}/{plural}/"], [])


def restore(api: Any) -> int:
    """Serve every stored, Established CRD again (call at API server start, after the
    CRD strategy is registered); returns how many were restored."""
    n = 0
    for crd in api.lister.list(RESOURCE):
        try:
            if established(crd) and storage_version(crd) is not None:
                serve(api, crd)
                n += 1
        except (KeyError, TypeError, AttributeError, ValueError):
            continue  # a CRD that no longer decodes is not served; the others still are
    return n


__all__ = ["CLEANUP_FINALIZER", "CustomResourceDefinitionStrategy", "info_for", "restore"]
