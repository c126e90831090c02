"""Admission webhooks: MutatingWebhookConfiguration / ValidatingWebhookConfiguration objects
pointing at webhook servers that a page registers as Python functions
(k8s.io/apiserver/pkg/admission/plugin/webhook).

>>> servers = WebhookServers()
>>> servers.register("default/pod-policy/validate", lambda review: {
...     "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
...     "response": {"uid": review["request"]["uid"], "allowed": True}})
>>> # MutatingWebhook(ctx, servers) and ValidatingWebhook(ctx, servers) are the plugins;
>>> # run_mutating(plugins, a) runs a mutating chain with upstream's reinvocation.
"""

from .dispatch import MUTATING_PLUGIN, VALIDATING_PLUGIN, MutatingWebhook, ValidatingWebhook
from .reinvoke import ReinvocationContext, context_of, run_mutating
from .review import CallError, admission_review, to_status_err
from .servers import WebhookServers

__all__ = ["WebhookServers", "MutatingWebhook", "ValidatingWebhook", "run_mutating", "context_of",
           "ReinvocationContext", "CallError", "admission_review", "to_status_err",
           "MUTATING_PLUGIN", "VALIDATING_PLUGIN"]
