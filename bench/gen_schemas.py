"""Generate ``k8score/api/schema/_data.py`` from upstream's published OpenAPI and Go types.

The machine that builds k8score has no internet, so the inputs are files saved by hand:

  SPEC   upstream's OpenAPI document: either ``api/openapi-spec/swagger.json`` (v2) of
         kubernetes/kubernetes (the same file kubernetes-client/python ships as
         ``kubernetes/swagger.json.unprocessed``) or the directory ``api/openapi-spec/v3/``
         with the per-group ``*_openapi.json`` documents.
  GODIR  (optional) a directory holding the Go packages that define the types:
         ``<group>/<version>/*.go`` of k8s.io/api (kubernetes/api),
         ``meta/pkg/apis/meta/v1/*.go`` of k8s.io/apimachinery and
         ``apiextensions/pkg/apis/apiextensions/v1/*.go`` of k8s.io/apiextensions-apiserver.
         From them the generator takes each field's Go type (``v1.ServiceType``,
         ``v1.ResourceList``, ``*int32`` ...), which the OpenAPI does not carry but the
         API server prints in its decode errors (``... of type v1.ServiceType``).

    python bench/gen_schemas.py SPEC [GODIR] > k8score/api/schema/_data.py

Only what decoding, validation, strategic merge and server-side apply need is kept:
type, format, required, the ``x-kubernetes-*`` list/map/patch extensions, the Go type and
the definition's name; descriptions and defaults are dropped, so the module stays small.
"""

from __future__ import annotations

import json
import os
import re
import sys

# The group-versions k8score serves (k8score/apiserver/resources.py) plus the ones the
# issue lists; every kind of these is kept with the definitions it reaches.
GROUP_VERSIONS = {
    ("", "v1"), ("apps", "v1"), ("batch", "v1"), ("coordination.k8s.io", "v1"),
    ("scheduling.k8s.io", "v1"), ("rbac.authorization.k8s.io", "v1"),
    ("admissionregistration.k8s.io", "v1"), ("storage.k8s.io", "v1"),
    ("authorization.k8s.io", "v1"), ("authentication.k8s.io", "v1"),
    ("apiextensions.k8s.io", "v1"), ("discovery.k8s.io", "v1"), ("policy", "v1"),
    ("autoscaling", "v1"), ("autoscaling", "v2"), ("networking.k8s.io", "v1"),
    ("events.k8s.io", "v1"), ("node.k8s.io", "v1"),
}
EXTRA_ROOTS = ("io.k8s.apimachinery.pkg.apis.meta.v1.Status",
               "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
               "io.k8s.apimachinery.pkg.apis.meta.v1.Patch")

# Definition-name prefixes shortened in the data (the Go package is the segment before the
# type name either way: io.k8s.api.apps.v1.DeploymentSpec is apps/v1's DeploymentSpec).
_PREFIXES = (("io.k8s.api.", ""), ("io.k8s.apimachinery.pkg.apis.meta.", "meta."),
             ("io.k8s.apimachinery.pkg.api.", ""), ("io.k8s.apimachinery.pkg.util.", ""),
             ("io.k8s.apimachinery.pkg.", ""),
             ("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.", "apiextensions."))
_EXT = {"x-kubernetes-list-type": "lt", "x-kubernetes-list-map-keys": "lk",
        "x-kubernetes-patch-merge-key": "mk", "x-kubernetes-patch-strategy": "ps",
        "x-kubernetes-map-type": "mt", "x-kubernetes-preserve-unknown-fields": "pu"}


def short(name: str) -> str:
    for long, s in _PREFIXES:
        if name.startswith(long):
            return s + name[len(long):]
    return name


def load_spec(path: str) -> dict:
    """Definitions keyed by full name, v3 documents normalised to v2's shape."""
    if os.path.isfile(path):
        return json.load(open(path))["definitions"]
    defs: dict = {}
    for fn in sorted(os.listdir(path)):
        if fn.endswith(".json"):
            doc = json.load(open(os.path.join(path, fn)))
            defs.update(doc.get("components", {}).get("schemas", {}))
    return json.loads(json.dumps(defs).replace("#/components/schemas/", "#/definitions/"))


def _ref(s: dict) -> str | None:
    if "$ref" in s:
        return s["$ref"].rsplit("/", 1)[1]
    all_of = s.get("allOf")  # v3 wraps a ref that has siblings: allOf: [{$ref}]
    if all_of and len(all_of) == 1 and "$ref" in all_of[0]:
        return all_of[0]["$ref"].rsplit("/", 1)[1]
    return None


# -- Go types -------------------------------------------------------------------------
_FIELD = re.compile(r'^\s+(\w+)\s+([\w.\[\]*]+)\s+`json:"([^",]*)')
_INLINE = re.compile(r'^\s+\*?([\w.]+)\s+`json:",inline')
_NAMED = re.compile(r'^type (\w+) ((?:map\[|\[\])[\w.\[\]*]+)\s*$')


def _qualify(expr: str, pkg: str, imports: dict) -> str:
    """``[]Container`` in core/v1 → ``[]v1.Container``; ``metav1.Time`` → ``v1.Time``."""
    def one(tok: str) -> str:
        if "." in tok:
            alias, name = tok.split(".", 1)
            return imports.get(alias, alias) + "." + name
        if tok in ("map", "string", "bool", "int32", "int64", "int", "float64", "float32", "uint8"):
            return tok
        if tok == "byte":
            return "uint8"
        return pkg + "." + tok
    return re.sub(r"[A-Za-z_][\w.]*", lambda m: one(m.group(0)), expr)


def load_go(godir: str) -> tuple[dict, dict]:
    """(fields, named): fields[(pkgdir, Struct)] = {json: go type}, named[v1.X] = underlying."""
    fields: dict = {}
    inlines: dict = {}
    named: dict = {}
    for root, _dirs, files in os.walk(godir):
        rel = os.path.relpath(root, godir)
        pkg = os.path.basename(root)
        for fn in sorted(files):
            if not fn.endswith(".go") or fn.endswith("_test.go") or fn.startswith(("zz_", "generated")):
                continue
            text = open(os.path.join(root, fn)).read()
            imports = {}
            for alias, path in re.findall(r"^\s*(\w+)?\s*\"([\w.-]+/[\w./-]+)\"\s*$", text, re.M):
                imports[alias or path.rsplit("/", 1)[1]] = path.rsplit("/", 1)[1]
            struct = None
            for line in text.splitlines():
                m = re.match(r"^type (\w+) struct \{", line)
                if m:
                    struct = m.group(1)
                    fields.setdefault((rel, struct), {})
                    continue
                if line.startswith("}"):
                    struct = None
                    continue
                m = _NAMED.match(line)
                if m:
                    named[pkg + "." + m.group(1)] = _qualify(m.group(2), pkg, imports)
                if struct is None:
                    continue
                m = _INLINE.match(line)
                if m:
                    inlines.setdefault((rel, struct), []).append(m.group(1))
                    continue
                m = _FIELD.match(line)
                if m and m.group(3) not in ("", "-"):
                    go = _qualify(m.group(2), pkg, imports).lstrip("*")
                    fields[(rel, struct)][m.group(3)] = go
    # promote the fields of inline-embedded structs of the same package (Volume ⊃ VolumeSource)
    for (rel, struct), embedded in inlines.items():
        for e in embedded:
            if "." not in e:
                for k, v in fields.get((rel, e), {}).items():
                    fields[(rel, struct)].setdefault(k, v)
    return fields, named


def _go_key(full: str) -> tuple[str, str]:
    """Definition name → (package dir under GODIR, struct name)."""
    pkgpath, name = full.rsplit(".", 1)
    if pkgpath.startswith("io.k8s.api."):
        return pkgpath[len("io.k8s.api."):].replace(".", "/"), name
    if pkgpath == "io.k8s.apimachinery.pkg.apis.meta.v1":
        return "meta/pkg/apis/meta/v1", name
    if pkgpath.startswith("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions."):
        return "apiextensions/pkg/apis/apiextensions/" + pkgpath.rsplit(".", 1)[1], name
    return pkgpath, name


def default_go(s: dict) -> str:
    """The Go type a schema decodes into when the Go source does not say otherwise."""
    r = _ref(s)
    if r:
        pkgpath, name = r.rsplit(".", 1)
        return pkgpath.rsplit(".", 1)[1] + "." + name
    t, f = s.get("type"), s.get("format")
    if t == "array":
        return "[]" + default_go(s.get("items", {}))
    if t == "object" and "additionalProperties" in s:
        return "map[string]" + default_go(s["additionalProperties"])
    if t == "integer":
        return f if f in ("int32", "int64") else "int64"
    if t == "string":
        return "[]uint8" if f == "byte" else "string"
    return {"boolean": "bool", "number": "float64", "object": "map[string]interface {}"}.get(t, "interface {}")


def compact(s: dict, go: str | None, keep: set) -> dict | str:
    """A property/items schema in the data's short form; a bare ref stays a string."""
    r = _ref(s)
    out: dict = {}
    for long, k in _EXT.items():
        if long in s:
            out[k] = s[long]
    if go and go != default_go(s):
        out["go"] = go
    if r:
        keep.add(r)
        if not out:
            return short(r)
        out["$"] = short(r)
        return out
    if "type" in s:
        out["t"] = s["type"]
    if "format" in s:
        out["f"] = s["format"]
    if "enum" in s:
        out["e"] = s["enum"]
    if "items" in s:
        out["i"] = compact(s["items"], _elem(go), keep)
    if "additionalProperties" in s and isinstance(s["additionalProperties"], dict):
        out["a"] = compact(s["additionalProperties"], _elem(go), keep)
    return out


def _elem(go: str | None, named: dict | None = None) -> str | None:
    if not go:
        return None
    go = _NAMED_TYPES.get(go, go)
    if go.startswith("[]"):
        return go[2:].lstrip("*")
    if go.startswith("map["):
        depth, i = 0, 3
        for i, ch in enumerate(go[3:], 3):
            depth += ch == "["
            depth -= ch == "]"
            if depth == 0:
                break
        return go[i + 1:].lstrip("*")
    return None


_NAMED_TYPES: dict = {}


def generate(spec: dict, go_fields: dict) -> tuple[dict, dict]:
    kinds: dict = {}
    roots = list(EXTRA_ROOTS)
    for name, s in sorted(spec.items()):
        for gvk in s.get("x-kubernetes-group-version-kind", []):
            gv = (gvk["group"], gvk["version"])
            if gv in GROUP_VERSIONS and not name.startswith("io.k8s.apimachinery"):
                api_version = f"{gv[0]}/{gv[1]}" if gv[0] else gv[1]
                kinds[f"{api_version}/{gvk['kind']}"] = short(name)
                roots.append(name)
    defs: dict = {}
    todo, seen = list(roots), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        s = spec[name]
        gomap = go_fields.get(_go_key(name), {})
        keep: set = set()
        d: dict = {}
        if "type" in s:
            d["t"] = s["type"]
        if "format" in s:
            d["f"] = s["format"]
        for long, k in _EXT.items():
            if long in s:
                d[k] = s[long]
        if s.get("required"):
            d["r"] = s["required"]
        if "properties" in s:
            d["p"] = {k: compact(v, gomap.get(k), keep) for k, v in sorted(s["properties"].items())}
        defs[short(name)] = d
        todo.extend(sorted(keep - seen))
    return dict(sorted(defs.items())), dict(sorted(kinds.items()))


def main(argv: list[str]) -> None:
    spec = load_spec(argv[1])
    go_fields: dict = {}
    if len(argv) > 2:
        go_fields, named = load_go(argv[2])
        _NAMED_TYPES.update(named)
    defs, kinds = generate(spec, go_fields)
    text = json.dumps(defs)
    named = {k: v for k, v in sorted(_NAMED_TYPES.items()) if f'"{k}"' in text or f"]{k}" in text}
    print('"""Generated by bench/gen_schemas.py from upstream\'s OpenAPI (api/openapi-spec) and the')
    print("Go types of k8s.io/api, k8s.io/apimachinery and k8s.io/apiextensions-apiserver. Do not")
    print('edit; regenerate. Format: see k8score/api/schema/model.py."""')
    print("# fmt: off")
    print("true, false, null = True, False, None  # the tables below are JSON")
    print("KINDS = " + json.dumps(kinds, separators=(",", ":")))
    print("NAMED = " + json.dumps(named, separators=(",", ":")))
    print("DEFS = {")
    for k, v in defs.items():
        print(f" {json.dumps(k)}:{json.dumps(v, separators=(',', ':'))},")
    print("}")

if __name__ == "__main__":
    main(sys.argv)
