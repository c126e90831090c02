"""AdmissionReview in and out (k8s.io/apiserver/pkg/admission/plugin/webhook/request and
webhook/errors): what a webhook is sent, how its answer is checked, and the Status a refusal
becomes.

>>> err = to_status_err("pod-policy.example.com", {"message": "pods need a team label"})
>>> err.code, err.message
(400, 'admission webhook "pod-policy.example.com" denied the request: pods need a team label')
>>> to_status_err("x", {"code": 403, "reason": "Forbidden"}).message
'admission webhook "x" denied the request: Forbidden'
"""

from __future__ import annotations

import base64
import binascii
import copy
import json

from ....api.errors import ApiError, status
from ...authn import user_info_dict
from ...tokens import uuid_from

REVIEW_API_VERSION = "admission.k8s.io/v1"
JSON_PATCH = "JSONPatch"  # admissionv1.PatchTypeJSONPatch, the only patch type


class CallError(Exception):
    """webhookutil.ErrCallingWebhook: the webhook could not be called or answered nonsense.

    Only these errors are subject to ``failurePolicy``; ``str()`` is upstream's
    ``failed calling webhook "<name>": <reason>``.
    """

    def __init__(self, webhook: str, reason: str):
        super().__init__(f'failed calling webhook "{webhook}": {reason}')
        self.webhook = webhook
        self.reason = reason


def new_uid(rng) -> str:
    """A request UID: a version-4 UUID drawn from the API server's seeded generator."""
    return uuid_from(rng)


# the options object of each operation and the query parameters it carries
_OPTIONS = {"CREATE": ("CreateOptions", ("fieldManager", "fieldValidation")),
            "UPDATE": ("UpdateOptions", ("fieldManager", "fieldValidation")),
            "DELETE": ("DeleteOptions", ("gracePeriodSeconds", "propagationPolicy"))}


def _options(a) -> dict | None:
    if a.operation not in _OPTIONS:
        return None
    kind, keys = _OPTIONS[a.operation]
    opts: dict = {"kind": kind, "apiVersion": "meta.k8s.io/v1"}
    if a.dry_run:
        opts["dryRun"] = ["All"]
    for key in keys:
        if key in (a.options or {}):
            opts[key] = a.options[key]
    return opts


def _kind(a) -> dict:
    obj = a.obj if isinstance(a.obj, dict) else None
    if a.subresource and obj and isinstance(obj.get("kind"), str) and isinstance(obj.get("apiVersion"), str):
        # a subresource body of its own kind (Binding, Eviction, TokenRequest...)
        group, _, version = obj["apiVersion"].rpartition("/")
        return {"group": group, "version": version, "kind": obj["kind"]}
    return {"group": a.info.group, "version": a.info.version, "kind": a.info.kind}


def admission_review(uid: str, a) -> dict:
    """CreateV1AdmissionReview: the request a webhook function receives (deep copies)."""
    resource = {"group": a.info.group, "version": a.info.version, "resource": a.info.plural}
    kind = _kind(a)
    req: dict = {"uid": uid, "kind": kind, "resource": resource}
    if a.subresource:
        req["subResource"] = a.subresource
    req["requestKind"] = dict(kind)
    req["requestResource"] = dict(resource)
    if a.subresource:
        req["requestSubResource"] = a.subresource
    name = a.name
    if not name and isinstance(a.obj, dict) and isinstance(a.obj.get("metadata"), dict):
        name = a.obj["metadata"].get("name")
    if name:
        req["name"] = name
    if a.namespace:
        req["namespace"] = a.namespace
    req["operation"] = a.operation
    req["userInfo"] = user_info_dict(a.user)
    req["object"] = copy.deepcopy(a.obj) if a.obj is not None else None
    req["oldObject"] = copy.deepcopy(a.old) if a.old is not None else None
    req["dryRun"] = bool(a.dry_run)
    req["options"] = _options(a)
    return {"kind": "AdmissionReview", "apiVersion": REVIEW_API_VERSION, "request": req}


def verify_response(uid: str, mutating: bool, review: object) -> dict:
    """VerifyAdmissionResponse: the ``response`` of a well-formed answer, else ValueError."""
    if not isinstance(review, dict):
        raise ValueError(f"expected webhook response of {REVIEW_API_VERSION}, Kind=AdmissionReview, "
                         f"got {type(review).__name__}")
    if review.get("apiVersion") != REVIEW_API_VERSION or review.get("kind") != "AdmissionReview":
        raise ValueError(f"expected webhook response of {REVIEW_API_VERSION}, Kind=AdmissionReview, got "
                         f"{review.get('apiVersion', '')}, Kind={review.get('kind', '')}")
    resp = review.get("response")
    if not isinstance(resp, dict):
        raise ValueError("webhook response was absent")
    if resp.get("uid") != uid:
        raise ValueError(f'expected response.uid="{uid}", got "{resp.get("uid", "")}"')
    patch, patch_type = resp.get("patch") or "", resp.get("patchType") or ""
    if patch_type and not patch:
        raise ValueError("webhook returned response.patchType but not response.patch")
    if patch and not patch_type:
        raise ValueError("webhook returned response.patch but not response.patchType")
    if patch and not mutating:
        raise ValueError("validating webhook may not return response.patch")
    if patch_type and patch_type != JSON_PATCH:
        raise ValueError(f'webhook returned invalid response.patchType of "{patch_type}"')
    return resp


def decode_patch(resp: dict) -> list:
    """The base64 JSONPatch of a response ([] when none); ValueError when it does not decode."""
    raw = resp.get("patch")
    if not raw:
        return []
    try:
        data = base64.b64decode(raw, validate=True) if isinstance(raw, str) else bytes(raw)
        ops = json.loads(data)
    except (binascii.Error, ValueError, TypeError) as err:
        raise ValueError(str(err)) from None
    if not isinstance(ops, list):
        raise ValueError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    return ops


def to_status_err(webhook: str, result: object) -> ApiError:
    """webhookerrors.ToStatusErr: the webhook's Status, code raised to at least 400."""
    result = copy.deepcopy(result) if isinstance(result, dict) else {}
    code = result.get("code")
    code = code if isinstance(code, int) and not isinstance(code, bool) and code >= 400 else 400
    denied = f'admission webhook "{webhook}" denied the request'
    message, reason = result.get("message"), result.get("reason")
    if isinstance(message, str) and message:
        text = f"{denied}: {message}"
    elif isinstance(reason, str) and reason:
        text = f"{denied}: {reason}"
    else:
        text = f"{denied} without explanation"
    st = status(code, reason if isinstance(reason, str) else "", text,
                result.get("details") if isinstance(result.get("details"), dict) else None)
    if not st["reason"]:
        del st["reason"]  # a webhook that gave no reason: kubectl prints "Error from server: ..."
    return ApiError(st)


def dry_run_unsupported(webhook: str) -> ApiError:
    """NewDryRunUnsupportedErr: 400 BadRequest, whatever the failurePolicy."""
    return ApiError.bad_request(f'admission webhook "{webhook}" does not support dry run')
