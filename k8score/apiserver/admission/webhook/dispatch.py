"""The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins
(webhook/mutating/dispatcher.go, webhook/validating/dispatcher.go).

Both read the webhook configurations from the lister at each request, pick the webhooks that
match (:mod:`.matching`) and call them with an AdmissionReview (:mod:`.review`):

- mutating webhooks one after another, each seeing the previous one's patch; a ``JSONPatch``
  answer is applied to the object; the audit annotation
  ``mutation.webhook.admission.k8s.io/round_<r>_index_<i>`` records each call (and
  ``patch.webhook.admission.k8s.io/...`` the patch);
- validating webhooks all (upstream: in parallel), in order here; the first refusal wins.

Refusals, as upstream:

- a webhook that answers ``allowed: false``: its Status, message
  ``admission webhook "<name>" denied the request: <message>``, code at least 400 (400 when the
  webhook gave none), the webhook's reason — never subject to ``failurePolicy``;
- a dry-run request and a webhook with ``sideEffects`` other than None/NoneOnDryRun: 400
  ``admission webhook "<name>" does not support dry run`` — never subject to ``failurePolicy``;
- a webhook that cannot be called or answers nonsense: with ``failurePolicy: Fail`` (default) a
  500 ``Internal error occurred: failed calling webhook "<name>": <reason>``; with ``Ignore`` the
  request goes on (audit annotation ``failed-open.…``).

Warnings a webhook returns are appended to ``a.warnings``. ``timeoutSeconds`` only shows in
the URL of call errors: a function here always answers at once.
"""

from __future__ import annotations

import copy
import json

from ....api.errors import ApiError
from ...patch import PatchError, json_patch
from ...request import AdmissionAttributes, PluginContext
from . import matching
from .reinvoke import WebhookReinvokeState, context_of
from .review import (CallError, admission_review, decode_patch, dry_run_unsupported, new_uid,
                     to_status_err, verify_response)
from .servers import WebhookServers

MUTATING_PLUGIN = "MutatingAdmissionWebhook"
VALIDATING_PLUGIN = "ValidatingAdmissionWebhook"
# mutating/dispatcher.go audit annotation prefixes
PATCH_ANNOTATION = "patch.webhook.admission.k8s.io/"
MUTATION_ANNOTATION = "mutation.webhook.admission.k8s.io/"
FAILED_OPEN_MUTATION = "failed-open." + MUTATION_ANNOTATION
FAILED_OPEN_VALIDATING = "failed-open.validating.webhook.admission.k8s.io/"
_DRY_RUN_SAFE = ("None", "NoneOnDryRun")  # SideEffectClassNone, SideEffectClassNoneOnDryRun


def _compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"))


class _WebhookPlugin:
    """generic.Webhook: what both plugins share — matching, the call, the answer's checks."""

    name = ""
    _resource = ""
    _mutating = False

    def __init__(self, ctx: PluginContext, servers: WebhookServers):
        self.ctx = ctx
        self.servers = servers
        self._hooks: tuple = (None, [])   # (the configurations' cache token, their hooks)

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE", "DELETE", "CONNECT")

    def _matching(self, a: AdmissionAttributes) -> list[tuple[int, matching.Hook]]:
        if matching.is_exempt(a):
            return []
        found = self._current_hooks()
        return [(i, h) for i, h in enumerate(found) if matching.should_call(h, a, self.ctx.lister)]

    def _current_hooks(self) -> list[matching.Hook]:
        """matching.hooks of the stored configurations, rebuilt only when they changed (the
        lister's cache token: every write pays otherwise a list, a sort and a walk)."""
        lister = self.ctx.lister
        token_of = getattr(lister, "cache_token", None)
        if token_of is None:
            return matching.hooks(lister, self._resource)
        token = token_of((self._resource,))
        if self._hooks[0] != token:
            self._hooks = (token, matching.hooks(lister, self._resource))
        return self._hooks[1]

    def _call(self, hook: matching.Hook, a: AdmissionAttributes) -> dict:
        """Call one webhook; its verified ``response``. Raises CallError or ApiError."""
        if a.dry_run:
            side_effects = hook.spec.get("sideEffects")
            if side_effects is None:
                raise CallError(hook.name, "Webhook SideEffects is nil")
            if side_effects not in _DRY_RUN_SAFE:
                raise dry_run_unsupported(hook.name)
        uid = new_uid(self.ctx.rng)
        review = admission_review(uid, a)
        answer = self.servers.call(hook.name, hook.get("clientConfig", {}), review,
                                   timeout=hook.get("timeoutSeconds"), lister=self.ctx.lister)
        try:
            resp = verify_response(uid, self._mutating, answer)
        except ValueError as err:
            raise CallError(hook.name, f"received invalid webhook response: {err}") from None
        audit = resp.get("auditAnnotations")
        if isinstance(audit, dict):
            for key, value in audit.items():
                a.annotations[f"{hook.name}/{key}"] = str(value)
        for warning in resp.get("warnings") or ():
            if isinstance(warning, str):
                a.warnings.append(warning)
        if resp.get("allowed") is not True:
            raise to_status_err(hook.name, resp.get("status"))
        return resp


class MutatingWebhook(_WebhookPlugin):
    """MutatingAdmissionWebhook: ``admit(a)`` patches ``a.obj`` in place or raises ApiError."""

    name = MUTATING_PLUGIN
    _resource = matching.MUTATING
    _mutating = True

    def admit(self, a: AdmissionAttributes) -> str | None:
        rctx = context_of(a)
        state = rctx.values.setdefault(MUTATING_PLUGIN, WebhookReinvokeState())
        if rctx.is_reinvoke and state.output_changed(a.obj):
            # in-tree plugins changed the object in round 1: every IfNeeded webhook runs again
            state.require_reinvoking_previous()
        round_ = 1 if rctx.is_reinvoke else 0
        called = []
        try:
            for index, hook in self._matching(a):
                # a webhook skipped in round 0 is never called for the first time in round 1
                if rctx.is_reinvoke and not state.should_reinvoke(hook.uid):
                    continue
                called.append(hook.name)
                changed = self._one(hook, a, round_, index)
                if changed:
                    state.require_reinvoking_previous()
                    rctx.should_reinvoke = True
                if hook.spec.get("reinvocationPolicy") == "IfNeeded":
                    state.add_reinvocable(hook.uid)
        finally:
            if called:  # nothing to compare against in round 1 when no webhook ran
                state.set_last_output(a.obj)
        return f"called {', '.join(called)}" if called else None

    def _one(self, hook: matching.Hook, a: AdmissionAttributes, round_: int, index: int) -> bool:
        """Call one mutating webhook; True when its patch changed the object."""
        key = f"round_{round_}_index_{index}"
        try:
            resp = self._call(hook, a)
            try:
                ops = decode_patch(resp)
            except ValueError as err:
                raise CallError(hook.name, f"received undecodable patch in webhook response: {err}") from None
        except CallError as err:
            if hook.spec.get("failurePolicy") == "Ignore":
                a.annotations[FAILED_OPEN_MUTATION + key] = hook.name
                return False
            raise ApiError.internal(str(err)) from None
        changed = False
        if ops:
            if not isinstance(a.obj, dict):
                raise ApiError.internal(f'admission webhook "{hook.name}" attempted to modify the object, '
                                        "which is not supported for this operation")
            try:
                patched = json_patch(a.obj, ops)
            except PatchError as err:
                raise ApiError.internal(str(err)) from None
            if not isinstance(patched, dict):
                raise ApiError.internal(f'admission webhook "{hook.name}" replaced the object with a non-object')
            changed = patched != a.obj
            if changed:
                # in place: the pipeline holds a reference to a.obj
                a.obj.clear()
                a.obj.update(patched)
                a.annotations[PATCH_ANNOTATION + key] = _compact(
                    {"configuration": hook.configuration, "webhook": hook.name,
                     "patch": copy.deepcopy(ops), "patchType": "JSONPatch"})
        a.annotations[MUTATION_ANNOTATION + key] = _compact(
            {"configuration": hook.configuration, "webhook": hook.name, "mutated": changed})
        return changed


class ValidatingWebhook(_WebhookPlugin):
    """ValidatingAdmissionWebhook: ``validate(a)`` raises the first webhook's refusal."""

    name = VALIDATING_PLUGIN
    _resource = matching.VALIDATING

    def validate(self, a: AdmissionAttributes) -> str | None:
        errors: list[ApiError] = []
        called = []
        for index, hook in self._matching(a):
            called.append(hook.name)
            try:
                self._call(hook, a)
            except CallError as err:
                if hook.spec.get("failurePolicy") == "Ignore":
                    a.annotations[f"{FAILED_OPEN_VALIDATING}round_0_index_{index}"] = hook.name
                    continue
                errors.append(ApiError.internal(str(err)))
            except ApiError as err:
                errors.append(err)
        if errors:
            raise errors[0]  # upstream: "TODO: merge status errors; until then, the first one"
        return f"called {', '.join(called)}" if called else None
