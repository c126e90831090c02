"""Webhook admission: configurations, matching, calls, patches, refusals — against upstream.

Upstream: k8s.io/apiserver/pkg/admission/plugin/webhook/ (mutating/dispatcher.go,
validating/dispatcher.go, generic/webhook.go ShouldCallHook, predicates/{rules,namespace,
object}, errors/statuserror.go ToStatusErr + NewDryRunUnsupportedErr, request/admissionreview.go),
k8s.io/apiserver/pkg/admission/reinvocation.go, pkg/apis/admissionregistration/v1/defaults.go and
pkg/apis/admissionregistration/validation/validation.go.
"""

from __future__ import annotations

import base64
import json

import pytest

from k8score.api.errors import ApiError
from k8score.apiserver.admission.webhook import MutatingWebhook, ValidatingWebhook, WebhookServers, run_mutating
from k8score.apiserver.validation import admissionregistration as v

from test_admission_serviceaccount import Lister, attrs, context


def ns(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def pod(name="web", namespace="default", **labels):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}}


def hook(name, path, **fields):
    h = {"name": name, "sideEffects": "None", "admissionReviewVersions": ["v1"],
         "clientConfig": {"service": {"namespace": "default", "name": "pod-policy", "path": path}},
         "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
         **fields}
    return h


def config(kind, name, *hooks):
    cfg = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
           "webhooks": list(hooks)}
    (v.default_mutating_webhook_configuration if kind.startswith("Mutating")
     else v.default_validating_webhook_configuration)(cfg)
    return cfg


def answer(review, allowed=True, patch=None, **resp):
    out = {"uid": review["request"]["uid"], "allowed": allowed, **resp}
    if patch is not None:
        out["patch"] = base64.b64encode(json.dumps(patch).encode()).decode()
        out["patchType"] = "JSONPatch"
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": out}


def add_team(review):
    return answer(review, patch=[{"op": "add", "path": "/metadata/labels/team", "value": "payments"}],
                  warnings=["team label defaulted"])


def require_team(review):
    labels = review["request"]["object"]["metadata"].get("labels") or {}
    if "team" in labels:
        return answer(review)
    return answer(review, allowed=False, status={"message": "pods need a team label"})


class Setup:
    def __init__(self, *configs):
        self.lister = Lister(("namespaces", ns("default", env="prod")), ("namespaces", ns("sandbox", env="dev")))
        for cfg in configs:
            self.lister.add(cfg["kind"].lower() + "s", cfg)
        self.servers = WebhookServers()
        ctx = context(self.lister)
        self.mutating, self.validating = MutatingWebhook(ctx, self.servers), ValidatingWebhook(ctx, self.servers)

    def create(self, obj, **kw):
        a = attrs("CREATE", "pods", obj, namespace=obj["metadata"]["namespace"], **kw)
        run_mutating([self.mutating], a)
        self.validating.validate(a)
        return a


PROD_ONLY = {"matchLabels": {"env": "prod"}}


@pytest.fixture
def policy():
    s = Setup(config("MutatingWebhookConfiguration", "pod-policy",
                     hook("pod-policy.example.com", "/mutate", namespaceSelector=PROD_ONLY)),
              config("ValidatingWebhookConfiguration", "pod-policy", hook("pod-policy.example.com", "/validate")))
    s.servers.register("default/pod-policy/mutate", add_team)
    s.servers.register("default/pod-policy/validate", require_team)
    return s


def test_mutating_webhook_labels_and_validating_webhook_admits(policy):
    a = policy.create(pod())
    assert a.obj["metadata"]["labels"] == {"team": "payments"}
    assert a.warnings == ["team label defaulted"]
    assert json.loads(a.annotations["mutation.webhook.admission.k8s.io/round_0_index_0"]) == \
        {"configuration": "pod-policy", "webhook": "pod-policy.example.com", "mutated": True}
    assert json.loads(a.annotations["patch.webhook.admission.k8s.io/round_0_index_0"])["patchType"] == "JSONPatch"


def test_namespace_selector_skips_the_mutator_so_the_validator_refuses(policy):
    with pytest.raises(ApiError) as e:
        policy.create(pod(namespace="sandbox"))
    err = e.value
    assert err.message == 'admission webhook "pod-policy.example.com" denied the request: pods need a team label'
    assert err.code == 400 and err.reason == ""  # ToStatusErr: codes below 400 become 400
    assert str(err) == ('Error from server: admission webhook "pod-policy.example.com" denied the request: '
                        "pods need a team label")
    policy.create(pod(namespace="sandbox", team="infra"))  # labelled by hand: fine


def test_a_webhook_status_code_and_reason_are_kept(policy):
    policy.servers.register("default/pod-policy/validate", lambda r: answer(
        r, allowed=False, status={"code": 403, "reason": "Forbidden", "message": "no"}))
    with pytest.raises(ApiError) as e:
        policy.create(pod())
    assert (e.value.code, str(e.value)) == (
        403, 'Error from server (Forbidden): admission webhook "pod-policy.example.com" denied the request: no')


def test_the_review_sent_to_the_webhook(policy):
    seen = []
    policy.servers.register("default/pod-policy/validate", lambda r: seen.append(r) or answer(r))
    policy.create(pod(team="a"), dry_run=True)
    [review] = seen
    req = review["request"]
    assert (review["apiVersion"], review["kind"]) == ("admission.k8s.io/v1", "AdmissionReview")
    assert len(req["uid"]) == 36 and req["uid"][14] == "4"
    assert req["kind"] == req["requestKind"] == {"group": "", "version": "v1", "kind": "Pod"}
    assert req["resource"] == {"group": "", "version": "v1", "resource": "pods"}
    assert (req["name"], req["namespace"], req["operation"]) == ("web", "default", "CREATE")
    assert req["userInfo"] == {"username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"]}
    assert req["object"]["metadata"]["labels"] == {"team": "payments"}  # after the mutating webhook
    assert req["oldObject"] is None and req["dryRun"] is True
    assert req["options"] == {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "dryRun": ["All"]}


def test_failure_policy_fail_and_ignore_with_a_raising_webhook(policy):
    def boom(review):
        raise RuntimeError("connection reset by peer")
    policy.servers.register("default/pod-policy/mutate", boom)
    with pytest.raises(ApiError) as e:
        policy.create(pod(team="a"))
    assert (e.value.code, e.value.reason) == (500, "InternalError")
    assert e.value.message == ('Internal error occurred: failed calling webhook "pod-policy.example.com": '
                               'failed to call webhook: Post "https://pod-policy.default.svc:443/mutate?timeout=10s": '
                               "connection reset by peer")
    ignore = Setup(config("MutatingWebhookConfiguration", "p",
                          hook("pod-policy.example.com", "/mutate", failurePolicy="Ignore")))
    ignore.servers.register("default/pod-policy/mutate", boom)
    a = ignore.create(pod(team="a"))
    assert a.obj == pod(team="a")
    assert a.annotations == {"failed-open.mutation.webhook.admission.k8s.io/round_0_index_0":
                             "pod-policy.example.com"}
    # nobody serves the address at all: the service is not found
    ignore.servers.unregister("default/pod-policy/mutate")
    fail = Setup(config("ValidatingWebhookConfiguration", "p", hook("pod-policy.example.com", "/validate")))
    with pytest.raises(ApiError) as e:
        fail.create(pod())
    assert e.value.message.endswith('/validate?timeout=10s": service "pod-policy" not found')


def test_bad_answers_are_call_failures(policy):
    policy.servers.register("default/pod-policy/validate", lambda r: {**answer(r), "response": {
        "uid": "someone-else", "allowed": True}})
    with pytest.raises(ApiError) as e:
        policy.create(pod())
    assert e.value.message.startswith('Internal error occurred: failed calling webhook "pod-policy.example.com": '
                                      'received invalid webhook response: expected response.uid="')
    policy.servers.register("default/pod-policy/validate", lambda r: answer(r, patch=[]))
    with pytest.raises(ApiError, match="validating webhook may not return response.patch"):
        policy.create(pod())


def test_dry_run_needs_side_effects_none_whatever_the_failure_policy():
    # sideEffects Unknown can only exist from older API versions (v1 validation refuses it)
    unknown = hook("legacy.example.com", "/mutate", sideEffects="Unknown", failurePolicy="Ignore")
    s = Setup(config("MutatingWebhookConfiguration", "legacy", unknown))
    calls = []
    s.servers.register("default/pod-policy/mutate", lambda r: calls.append(r) or answer(r))
    with pytest.raises(ApiError) as e:
        s.create(pod(), dry_run=True)
    assert (e.value.code, e.value.message) == (400, 'admission webhook "legacy.example.com" does not support dry run')
    assert calls == []
    s.create(pod())  # not a dry run: called
    unknown["sideEffects"] = "None"
    s.create(pod(), dry_run=True)
    assert [c["request"]["dryRun"] for c in calls] == [False, True]


def test_webhooks_run_in_configuration_name_order_and_see_earlier_patches():
    order = []

    def label(value):
        def fn(review):
            labels = review["request"]["object"]["metadata"]["labels"]
            order.append((value, dict(labels)))
            return answer(review, patch=[{"op": "add", "path": "/metadata/labels/by", "value": value}])
        return fn
    s = Setup(config("MutatingWebhookConfiguration", "b-config", hook("b.example.com", "/b")),
              config("MutatingWebhookConfiguration", "a-config", hook("a.example.com", "/a"),
                     hook("a2.example.com", "/a2")))
    for name in ("a", "a2", "b"):
        s.servers.register(f"default/pod-policy/{name}", label(name))
    a = s.create(pod())
    assert order == [("a", {}), ("a2", {"by": "a"}), ("b", {"by": "a2"})]
    assert a.obj["metadata"]["labels"] == {"by": "b"}
    assert sorted(k for k in a.annotations if k.startswith("mutation.")) == [
        f"mutation.webhook.admission.k8s.io/round_0_index_{i}" for i in range(3)]


@pytest.mark.parametrize("policy_, calls", [("IfNeeded", 2), ("Never", 1)])
def test_reinvocation_if_needed(policy_, calls):
    seen = []

    def first(review):
        seen.append("first")
        return answer(review)
    s = Setup(config("MutatingWebhookConfiguration", "a", hook("first.example.com", "/1", reinvocationPolicy=policy_)),
              config("MutatingWebhookConfiguration", "b", hook("second.example.com", "/2")))
    s.servers.register("default/pod-policy/1", first)
    s.servers.register("default/pod-policy/2", add_team)
    s.create(pod())
    assert seen == ["first"] * calls


def test_rules_selectors_and_exemptions():
    status_hook = hook("status.example.com", "/s", rules=[{"operations": ["UPDATE"], "apiGroups": ["*"],
                                                          "apiVersions": ["*"], "resources": ["*/status"]}])
    labelled = hook("labelled.example.com", "/l", objectSelector={"matchLabels": {"watch": "me"}})
    cluster = hook("cluster.example.com", "/c", rules=[{"operations": ["*"], "apiGroups": [""],
                                                       "apiVersions": ["v1"], "resources": ["*"],
                                                       "scope": "Cluster"}])
    s = Setup(config("ValidatingWebhookConfiguration", "v", status_hook, labelled, cluster))
    called = []
    for path in ("s", "l", "c"):
        s.servers.register(f"default/pod-policy/{path}", lambda r, p=path: called.append(p) or answer(r))
    old = pod()
    s.validating.validate(attrs("UPDATE", "pods", pod(), old, name="web", subresource="status"))
    s.validating.validate(attrs("UPDATE", "pods", pod(), old, name="web"))      # not pods/status
    s.validating.validate(attrs("CREATE", "pods", pod(watch="me")))
    s.validating.validate(attrs("CREATE", "pods", pod()))                       # object selector: no
    s.validating.validate(attrs("CREATE", "nodes", {"metadata": {"name": "n"}}, namespace=None))
    assert called == ["s", "l", "c"]
    # requests on webhook configurations are never intercepted
    exempt = attrs("CREATE", "validatingwebhookconfigurations", {"metadata": {"name": "x"}}, namespace=None)
    s.servers.register("default/pod-policy/c", lambda r: pytest.fail("called"))
    s.validating.validate(exempt)
    with pytest.raises(ApiError) as e:  # a namespace that does not exist: 404
        ns_hook = Setup(config("ValidatingWebhookConfiguration", "v", hook("n.example.com", "/n",
                                                                           namespaceSelector=PROD_ONLY)))
        ns_hook.validating.validate(attrs("CREATE", "pods", pod(namespace="ghost"), namespace="ghost"))
    assert (e.value.code, e.value.message) == (404, 'namespaces "ghost" not found')


def test_configuration_defaults_and_validation():
    cfg = config("MutatingWebhookConfiguration", "m", hook("pod-policy.example.com", "/mutate"))
    h = cfg["webhooks"][0]
    assert (h["failurePolicy"], h["matchPolicy"], h["namespaceSelector"], h["objectSelector"],
            h["timeoutSeconds"], h["reinvocationPolicy"], h["rules"][0]["scope"],
            h["clientConfig"]["service"]["port"]) == ("Fail", "Equivalent", {}, {}, 10, "Never", "*", 443)
    assert v.mutating_webhook_configuration(cfg) == []
    bad = {"webhooks": [
        {"name": "hook", "clientConfig": {"url": "http://x/a?b=c", "service": None}, "timeoutSeconds": 31,
         "rules": [{"operations": ["*", "CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                    "resources": ["*/*", "pods"]}]},
        {"name": "dup.example.com", "sideEffects": "Unknown", "admissionReviewVersions": ["v2"],
         "clientConfig": {"service": {"namespace": "default", "name": "", "path": "no-slash", "port": 0}}},
        {"name": "dup.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
         "clientConfig": {"url": "https://hooks.example.com/check"}},
    ]}
    msgs = [str(e) for e in v.validating_webhook_configuration(bad)]
    assert msgs == [
        'webhooks[0].name: Invalid value: "hook": should be a domain with at least three segments separated by dots',
        'webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{"*", "CREATE"}: '
        "if '*' is present, must not specify other operations",
        'webhooks[0].rules[0].resources: Invalid value: []string{"*/*", "pods"}: '
        "if '*/*' is present, must not specify other resources",
        "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun",
        "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds",
        'webhooks[0].clientConfig.url: Invalid value: "http": \'https\' is the only allowed URL scheme; '
        "desired format: https://host[/path]",
        'webhooks[0].clientConfig.url: Invalid value: "b=c": query parameters are not permitted in the URL',
        "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1",
        'webhooks[1].sideEffects: Unsupported value: "Unknown": supported values: "None", "NoneOnDryRun"',
        "webhooks[1].clientConfig.service.name: Required value: service name is required",
        "webhooks[1].clientConfig.service.port: Invalid value: 0: port is not valid: "
        "must be between 1 and 65535, inclusive",
        "webhooks[1].clientConfig.service.path: Invalid value: \"no-slash\": must start with a '/'",
        'webhooks[1].admissionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1',
        'webhooks[2].name: Duplicate value: "dup.example.com"',
    ]
    # an update may keep what the stored object already had (sideEffects Unknown, duplicates)
    upd = [str(e) for e in v.validating_webhook_configuration_update(bad, bad)]
    assert not any("sideEffects: Unsupported" in m or "Duplicate" in m or "must include" in m for m in upd)
    fixed = {"webhooks": bad["webhooks"][2:]}  # an old object without those faults: no leniency
    strict = [str(e) for e in v.validating_webhook_configuration_update(bad, fixed)]
    assert strict == msgs
