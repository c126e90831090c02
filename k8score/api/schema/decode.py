"""Decode a request body into a built-in kind the way kube-apiserver's JSON decoder does.

Upstream decodes a body into the Go struct of the kind with sigs.k8s.io/json
(internal/golang/encoding/json/decode.go + kubernetes_patch.go), case-sensitively:

- a value of the wrong JSON kind is an ``UnmarshalTypeError``, saved (the first one wins)
  while decoding goes on: ``json: cannot unmarshal string into Go struct field
  DeploymentSpec.spec.replicas of type int32`` — the innermost struct's Go name, then the
  JSON names of the struct fields from the top (map keys and list indexes are not shown);
  a number out of range or with a fraction shows its literal (``number 2147483648``);
- types with their own UnmarshalJSON (Quantity, IntOrString, Time) return their error at
  once, which beats a saved one;
- with ``fieldValidation`` Strict or Warn, unknown and duplicate fields are "strict errors"
  with a full path (``unknown field "spec.template.spec.containers[0].foo"``), reported only
  when nothing else failed: Strict makes them a 400, Warn returns them as warnings,
  Ignore drops them silently (unknown fields are dropped from the object in every mode);
- the handler wraps any error as 400 BadRequest ``<Kind> in version "<v>" cannot be handled
  as a <Kind>: <error>`` (apiserver pkg/endpoints/handlers/rest.go transformDecodeError).

>>> obj, warnings = decode("apps/v1", "Deployment",
...     {"apiVersion": "apps/v1", "kind": "Deployment", "spec": {"replicas": 2, "foo": 1}})
>>> obj["spec"], warnings
({'replicas': 2}, ['unknown field "spec.foo"'])
>>> try: decode("apps/v1", "Deployment", {"kind": "Deployment", "spec": {"replicas": "2"}})
... except ApiError as e: print(e.code, e.message)
400 Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32
"""

from __future__ import annotations

import base64
import json
from typing import Any

from ..errors import ApiError
from . import limits, scalars
from ._fast import fast_checker
from .model import Schema, schema_for
from .scalars import GoError, describe

STRICT, WARN, IGNORE = "Strict", "Warn", "Ignore"
_MAX_STRICT_ERRORS = 100  # kubernetes_patch.go saveStrictError


class _Abort(Exception):
    pass


class _Syntax(Exception):
    pass


def decode(api_version: str, kind: str, body: Any, field_validation: str = WARN) -> tuple[Any, list[str]]:
    """Type-check ``body`` (a parsed value, or the raw JSON bytes/str) against ``kind``.

    Returns ``(object, warnings)``: the object as the API server would store it (unknown
    fields and nulls dropped, quantities and times canonical, ``[]byte`` re-encoded) and the
    ``fieldValidation=Warn`` warnings. Raises ApiError 400 (413 for a raw body over 3 MiB).
    ``field_validation`` "" means Warn, the server's default (handlers/rest.go).
    An unknown kind is returned unchanged. The input is never modified.
    """
    if field_validation not in (STRICT, WARN, IGNORE, ""):
        raise ValueError(f"field_validation {field_validation!r}")
    target_version = api_version.rpartition("/")[2]
    text = None
    if isinstance(body, (bytes, str)):
        text = body if isinstance(body, str) else body.decode("utf-8", "replace")
        try:
            body = limits.parse_json(body)
        except limits.JSONSyntaxError as e:
            raise _unrecognized(kind, "couldn't get version/kind; json parse error: " + str(e), text)
    gvk_kind, gvk_version = _interpret(body, kind, target_version, text)
    schema = schema_for(api_version, kind)
    if schema is None:
        return body, []
    try:
        if fast_checker(schema)(body):
            return body, []
    except RecursionError:
        pass
    walker = _Walker(field_validation != IGNORE)
    try:
        out = walker.top(schema, body)
    except _Syntax as e:
        raise _unrecognized(kind, "couldn't get version/kind; json parse error: " + str(e), text, body)
    except _Abort as e:
        raise _cannot(gvk_kind, gvk_version, kind, str(e))
    except RecursionError:
        raise _unrecognized(kind, "couldn't get version/kind; json parse error: "
                            "invalid character '{' exceeded max depth", text, body)
    if walker.error is not None:
        raise _cannot(gvk_kind, gvk_version, kind, walker.error)
    if walker.strict_errors and field_validation == STRICT:
        raise _cannot(gvk_kind, gvk_version, kind,
                      "strict decoding error: " + ", ".join(walker.strict_errors))
    return out, list(walker.strict_errors)


def _cannot(gvk_kind: str, gvk_version: str, kind: str, err: str) -> ApiError:
    return ApiError.bad_request(f'{gvk_kind} in version "{gvk_version}" cannot be handled as a {kind}: {err}')


def _unrecognized(kind: str, err: str, text: str | None, body: Any = None) -> ApiError:
    """transformDecodeError when no kind could be read: the body's first 30 bytes too."""
    if text is None:
        try:
            text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):
            text = ""
    data = text.encode("utf-8", "surrogatepass")
    if not data:  # rest.go summarizeData
        summary = "<empty>"
    elif data[:1] == b"{":
        summary = data[:30].decode("utf-8", "replace") + (" ..." if len(data) > 30 else "")
    else:
        summary = data[:30].hex() + (" ..." if len(data) > 30 else "")
    return ApiError.bad_request(f"the object provided is unrecognized (must be of type {kind}): {err} ({summary})")


_FIND_KIND = ('struct { APIVersion string "json:\\"apiVersion,omitempty\\""; '
              'Kind string "json:\\"kind,omitempty\\"" }')


def _interpret(body: Any, kind: str, version: str, text: str | None) -> tuple[str, str]:
    """serializer/json/meta.go SimpleMetaFactory.Interpret: read apiVersion and kind first."""
    if not isinstance(body, dict):
        if body is None:
            return kind, version  # "null" decodes to an empty struct
        raise _unrecognized(kind, "couldn't get version/kind; json parse error: json: cannot unmarshal "
                            f"{describe(body)} into Go value of type {_FIND_KIND}", text, body)
    for field in ("apiVersion", "kind"):
        v = body.get(field)
        if v is not None and type(v) is not str:
            raise _unrecognized(kind, "couldn't get version/kind; json parse error: json: cannot unmarshal "
                                f"{describe(v)} into Go struct field .{field} of type string", text, body)
    av = body.get("apiVersion") or ""
    if av.count("/") > 1:  # schema.ParseGroupVersion
        raise _unrecognized(kind, f"unexpected GroupVersion string: {av}", text, body)
    return (body.get("kind") or kind), (av.rpartition("/")[2] or version)


class _Walker:
    """The precise (slow) decoder: builds the stored object and Go's errors with paths."""

    def __init__(self, strict: bool):
        self.strict = strict
        self.struct: str | None = None  # errorContext.Struct
        self.fields: list[str] = []  # errorContext.FieldStack
        self.path: list[str] = []  # strictFieldStack
        self.error: str | None = None  # savedError
        self.strict_errors: list[str] = []
        self._seen: set[str] = set()

    # -- errors -------------------------------------------------------------------------
    def _type_msg(self, value: str, go: str) -> str:
        if self.struct is not None or self.fields:
            return (f"json: cannot unmarshal {value} into Go struct field "
                    f"{self.struct or ''}.{'.'.join(self.fields)} of type {go}")
        return f"json: cannot unmarshal {value} into Go value of type {go}"

    def _save(self, msg: str) -> None:
        if self.error is None:
            self.error = msg

    def _strict(self, what: str, key: str) -> None:
        if not self.strict or len(self.strict_errors) >= _MAX_STRICT_ERRORS:
            return
        path = "".join(self.path) + "." + key if self.path else key
        msg = f"{what} {json.dumps(path, ensure_ascii=False)}"
        if msg not in self._seen:
            self._seen.add(msg)
            self.strict_errors.append(msg)

    def _push(self, piece: str) -> None:
        self.path.append("." + piece if self.path else piece)

    # -- walking ------------------------------------------------------------------------
    def top(self, s: Schema, body: Any) -> Any:
        if body is None:
            return {}
        return self.walk(s, body)

    def walk(self, s: Schema, v: Any) -> Any:
        if v is None:
            return None
        codec = s.codec
        if codec is not None:
            return self._codec(s, codec, v)
        t = s.type
        if t == "object":
            if s.additional is not None:
                return self._map(s, v)
            if s.name is not None:
                return self._struct(s, v)
            if type(v) is dict or isinstance(v, dict):
                return self._raw(v)
            return self._bad(v, s.go)
        if t == "array":
            return self._array(s, v)
        try:
            if t == "string":
                if s.format == "byte":
                    if type(v) is list:
                        return self._bytes_list(v)
                    return scalars.b64(v) if type(v) is str else self._bad(v, s.go)
                return v if type(v) is str else self._bad(v, s.go)
            if t == "integer":
                self._no_nan(v)
                return scalars.integer(v, s.format if s.format in ("int32", "int64") else "int64")
            if t == "number":
                self._no_nan(v)
                return scalars.floating(v)
            if t == "boolean":
                return v if type(v) is bool else self._bad(v, s.go)
        except GoError as e:
            if str(e).startswith("illegal base64"):  # saved as is: not a type error
                self._save(str(e))
            else:
                self._save(self._type_msg(str(e), s.go))
            return None
        return self._raw(v)

    def _bad(self, v: Any, go: str) -> None:
        self._raw(v)  # a NaN anywhere is still a syntax error, which beats a type error
        self._save(self._type_msg(describe(v), go))
        return None

    def _no_nan(self, v: Any) -> None:
        if isinstance(v, float):
            try:
                limits.check_value(v)
            except limits.JSONSyntaxError as e:
                raise _Syntax(str(e)) from None

    def _raw(self, v: Any) -> Any:
        try:
            limits.check_value(v)
        except limits.JSONSyntaxError as e:
            raise _Syntax(str(e)) from None
        return _plain(v)

    def _codec(self, s: Schema, codec: str, v: Any) -> Any:
        try:
            if codec == "quantity":
                self._no_nan(v)
                return scalars.quantity(v)
            if codec == "int-or-string":
                if type(v) is str:
                    return v
                self._no_nan(v)
                try:
                    return scalars.integer(v, "int32")
                except GoError as e:  # IntOrString.UnmarshalJSON → json.Unmarshal(&IntVal)
                    raise _Abort(self._type_msg(str(e), "int32")) from None
            if codec in ("time", "microtime"):
                if type(v) is not str:  # Time.UnmarshalJSON → json.Unmarshal(&str)
                    self._raw(v)
                    raise _Abort(self._type_msg(describe(v), "string"))
                return scalars.time(v, codec == "microtime")
        except GoError as e:
            raise _Abort(str(e)) from None
        return self._raw(v)

    def _items(self, v: Any) -> list:
        pairs = getattr(v, "pairs", None)
        return pairs if pairs is not None else list(v.items())

    def _struct(self, s: Schema, v: Any) -> Any:
        if not isinstance(v, dict):
            return self._bad(v, s.go)
        props = s.properties
        out: dict = {}
        seen: set = set()
        saved = (self.struct, len(self.fields), len(self.path))
        for k, x in self._items(v):
            k = _key(k)
            sub = props.get(k)
            if sub is None:
                self._strict("unknown field", k)
                self._raw(x)
                continue
            if k in seen:
                self._strict("duplicate field", k)
            seen.add(k)
            self.fields.append(k)
            self.struct = s.go_type
            self._push(k)
            y = self.walk(sub, x)
            self.struct = saved[0]
            del self.fields[saved[1]:]
            del self.path[saved[2]:]
            if y is None:
                out.pop(k, None)
            else:
                out[k] = y
        return out

    def _map(self, s: Schema, v: Any) -> Any:
        if not isinstance(v, dict):
            return self._bad(v, s.go)
        elem = s.additional
        out: dict = {}
        seen: set = set()
        depth = len(self.path)
        for k, x in self._items(v):
            k = _key(k)
            if k in seen:
                self._strict("duplicate field", k)
            seen.add(k)
            self._push(k)
            y = self.walk(elem, x)
            del self.path[depth:]
            out[k] = _zero(elem) if y is None else y
        return out

    def _array(self, s: Schema, v: Any) -> Any:
        if type(v) is not list:
            if isinstance(v, tuple):
                v = list(v)
            else:
                return self._bad(v, s.go)
        elem = s.items
        out = []
        depth = len(self.path)
        for i, x in enumerate(v):
            self.path.append(f"[{i}]")
            y = self.walk(elem, x) if elem is not None else self._raw(x)
            del self.path[depth:]
            out.append(_zero(elem) if y is None and elem is not None else y)
        return out

    def _bytes_list(self, v: list) -> Any:
        # JSON array into []byte: each element decodes as a uint8
        data = bytearray()
        for x in v:
            try:
                data.append(scalars.integer(x, "uint8") if x is not None else 0)
            except GoError as e:
                self._save(self._type_msg(str(e), "uint8"))
                return None
        return base64.b64encode(bytes(data)).decode()


def _key(k: Any) -> str:
    if type(k) is str:
        return k
    if isinstance(k, str):
        return str(k)
    return json.dumps(k) if isinstance(k, (bool, int, float)) or k is None else str(k)


def _zero(s: Schema) -> Any:
    """Go's zero value as it marshals, for a null list element or map value."""
    if s.codec == "quantity":
        return "0"
    if s.codec == "int-or-string":
        return 0
    if s.codec is not None:
        return None
    return {"string": "" if s.format != "byte" else None, "integer": 0, "number": 0,
            "boolean": False}.get(s.type or "", {} if s.type == "object" and s.name else None)


def _plain(v: Any) -> Any:
    """A JSON value as plain dict/list/str/int/float/bool/None (tuples to lists, keys str)."""
    t = type(v)
    if t is dict or isinstance(v, dict):
        return {_key(k): _plain(x) for k, x in v.items()}
    if t is list or isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if v is None or t in (str, int, bool):
        return v
    if isinstance(v, float):
        return float(v)
    if isinstance(v, (str, int)):
        return v
    raise _Syntax(f"json: unsupported type: {t.__name__}")
