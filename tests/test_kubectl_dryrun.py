"""kubectl's write options: ``--dry-run``, ``--field-manager``, ``--validate``, ``--server-side``,
``--show-managed-fields`` — what is sent, what is printed, and that a dry run stores nothing.

Upstream texts pinned here:
- staging/src/k8s.io/kubectl/pkg/cmd/util/helpers.go (GetDryRunStrategy, GetValidationDirective,
  PrintFlagsWithDryRunStrategy: ``(dry run)`` / ``(server dry run)``, AddValidateFlags default strict);
- cmd/create/create.go, create_deployment.go, run/run.go, delete/delete.go (PrintObj), scale/scale.go,
  label/label.go, annotate/annotate.go, patch/patch.go: per-command lines and default field managers;
- cmd/apply/apply.go (client-side ``kubectl-client-side-apply``, server-side ``kubectl``,
  ``serverside-applied``, the conflict hint, the --force-conflicts / --dry-run=client errors);
- cli-runtime printers OmitManagedFieldsPrinter (``--show-managed-fields``).
"""

import json

import pytest
import yaml

from k8score import Cluster
from k8score.api.errors import ApiError, status

DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: "nginx:1.14.2"}]
"""


@pytest.fixture(scope="module")
def c():
    cluster = Cluster(nodes=1)
    cluster.kubectl("run p --image=nginx")
    cluster.kubectl("apply -f -", stdin=DEPLOY)
    return cluster


@pytest.fixture
def sent(c):
    """Every Request the API server receives during the test."""
    log = []
    serve = c.apiserver.serve

    def recording(req):
        log.append(req)
        return serve(req)
    c.apiserver.serve = recording
    yield log
    c.apiserver.serve = serve


def _keys(c):
    return c.etcdctl("get /registry --prefix --keys-only")


def _writes(sent):
    return [r for r in sent if r.verb not in ("get", "list", "watch")]


DRY_RUNS = [
    ("create deployment api --image=nginx", "deployment.apps/api created"),
    ("create namespace team", "namespace/team created"),
    ("run q --image=nginx", "pod/q created"),
    ("delete pod p", 'pod "p" deleted from default namespace'),
    ("scale deploy web --replicas=5", "deployment.apps/web scaled"),
    ("label pod p tier=db", "pod/p labeled"),
    ("annotate pod p note=hi", "pod/p annotated"),
    ("patch deploy web -p '{\"spec\":{\"replicas\":4}}'", "deployment.apps/web patched"),
    ("apply -f -", "deployment.apps/web unchanged"),
]


@pytest.mark.parametrize("cmd, line", DRY_RUNS)
def test_dry_runs_print_what_they_would_do_and_store_nothing(c, sent, cmd, line):
    before = _keys(c)
    # a client dry run sends no write at all
    out = c.kubectl(f"{cmd} --dry-run=client", stdin=DEPLOY)
    expected = "deployment.apps/web configured" if cmd.startswith("apply") else line
    assert out == f"{expected} (dry run)\n"
    assert _writes(sent) == []
    # a server dry run sends the write with dryRun=All
    out = c.kubectl(f"{cmd} --dry-run=server", stdin=DEPLOY.replace("replicas: 2", "replicas: 3"))
    expected = "deployment.apps/web configured" if cmd.startswith("apply") else line
    assert out == f"{expected} (server dry run)\n"
    assert [r.options.get("dryRun") for r in _writes(sent)] == ["All"]
    assert _keys(c) == before
    assert c.api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 2
    assert "tier" not in (c.api.get("pods", "p", namespace="default")["metadata"].get("labels") or {})


def test_after_a_dry_run_the_real_command_still_works(c):
    assert c.kubectl("create deployment once --image=nginx --dry-run=server") == \
        "deployment.apps/once created (server dry run)\n"
    assert c.kubectl("create deployment once --image=nginx") == "deployment.apps/once created\n"
    assert c.kubectl("delete deploy once --dry-run=client") == \
        'deployment.apps "once" deleted from default namespace (dry run)\n'
    assert c.kubectl("get deploy once -o name") == "deployment.apps/once\n"
    assert c.kubectl("delete deploy once") == 'deployment.apps "once" deleted from default namespace\n'


def test_dry_run_client_with_output_yaml_prints_the_object(c, sent):
    out = c.kubectl("create deployment api --image=nginx:1.14.2 --replicas=3 --dry-run=client -o yaml")
    assert yaml.safe_load(out) == {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"labels": {"app": "api"}, "name": "api"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}}, "strategy": {},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"image": "nginx:1.14.2", "name": "nginx",
                                                       "resources": {}}]}}},
        "status": {}}
    assert _writes(sent) == []
    pod = json.loads(c.kubectl("run q --image=nginx --dry-run=server -o json"))
    assert pod["metadata"]["namespace"] == "default" and pod["spec"]["containers"][0]["image"] == "nginx"
    assert c.kubectl("run q --image=nginx --dry-run=client -o name") == "pod/q\n"


@pytest.mark.parametrize("flag, message", [
    ("--dry-run=maybe", 'error: Invalid dry-run value (maybe). Must be "none", "server", or "client".\n'),
    ("--validate=loose", 'error: invalid - validate option "loose"; must be one of: strict (or true), warn, '
                         'ignore (or false)\n'),
])
def test_bad_flag_values_are_refused_before_sending(c, sent, flag, message):
    assert c.kubectl(f"create deployment x --image=nginx {flag}") == message
    assert _writes(sent) == []


@pytest.mark.parametrize("cmd, manager", [
    ("create deployment fm{n} --image=nginx", "kubectl-create"),
    ("run fm{n} --image=nginx", "kubectl-run"),
    ("label pod p fm={n} --overwrite", "kubectl-label"),
    ("annotate pod p fm={n} --overwrite", "kubectl-annotate"),
    ("patch pod p -p '{{\"metadata\":{{\"labels\":{{\"fm\":\"p{n}\"}}}}}}'", "kubectl-patch"),
    ("scale deploy web --replicas={n}", "kubectl"),
    ("apply -f -", "kubectl-client-side-apply"),
])
def test_each_command_sends_its_field_manager(c, sent, cmd, manager):
    c.kubectl(cmd.format(n=1), stdin=DEPLOY.replace("replicas: 2", "replicas: 1"))
    assert [r.options.get("fieldManager") for r in _writes(sent)] == [manager]
    sent.clear()
    # --field-manager names someone else; a second change, so a second write
    c.kubectl(cmd.format(n=2) + " --field-manager=ci", stdin=DEPLOY)
    assert [r.options.get("fieldManager") for r in _writes(sent)] == ["ci"]


@pytest.mark.parametrize("flag, directive", [
    ("", "Strict"), ("--validate", "Strict"), ("--validate=true", "Strict"), ("--validate=warn", "Warn"),
    ("--validate=ignore", "Ignore"), ("--validate=false", "Ignore"), ("--validate=strict", "Strict")])
def test_validate_becomes_field_validation(c, sent, flag, directive):
    c.kubectl(f"create deployment v --image=nginx --dry-run=server {flag}")
    c.kubectl(f"apply -f - --dry-run=server {flag}", stdin=DEPLOY.replace("replicas: 2", "replicas: 7"))
    assert [r.options.get("fieldValidation") for r in _writes(sent)] == [directive, directive]


# -- server-side apply ------------------------------------------------------------------------------
def test_server_side_apply_sends_an_apply_patch(c, sent):
    c.kubectl("apply --server-side -f -", stdin=DEPLOY)
    (req,) = _writes(sent)
    assert (req.verb, req.patch_type, req.name, req.namespace) == ("patch", "apply", "web", "default")
    assert req.options["fieldManager"] == "kubectl" and req.options["force"] is False
    assert req.body["metadata"] == {"name": "web", "namespace": "default"}
    sent.clear()
    c.kubectl("apply --server-side --force-conflicts --field-manager=ci -f -", stdin=DEPLOY)
    assert [(r.options["fieldManager"], r.options["force"]) for r in _writes(sent)] == [("ci", True)]


@pytest.mark.parametrize("flags, message", [
    ("--force-conflicts", "error: --force-conflicts only works with --server-side\n"),
    ("--server-side --dry-run=client",
     "error: --dry-run=client doesn't work with --server-side (did you mean --dry-run=server instead?)\n"),
])
def test_server_side_flag_errors(c, sent, flags, message):
    assert c.kubectl(f"apply -f - {flags}", stdin=DEPLOY) == message
    assert sent == []


_HINT = """Please review the fields above--they currently have other managers. Here
are the ways you can resolve this warning:
* If you intend to manage all of these fields, please re-run the apply
  command with the `--force-conflicts` flag.
* If you do not intend to manage all of the fields, please edit your
  manifest to remove references to the fields that should keep their
  current managers.
* You may co-own fields by updating your manifest to match the existing
  value; in this case, you'll become the manager if the other manager(s)
  stop managing the field (remove it from their configuration).
See https://kubernetes.io/docs/reference/using-api/server-side-apply/#conflicts
"""


def test_conflict_and_unsupported_server_print_kubectls_texts(c):
    conflict = 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    answers = iter([ApiError(status(409, "Conflict", conflict)),
                    ApiError(status(415, "UnsupportedMediaType", "the body of the request was in an unknown "
                                                                 "format"))])
    serve = c.apiserver.serve

    def refusing(req):
        if req.verb == "patch":
            raise next(answers)
        return serve(req)
    c.apiserver.serve = refusing
    try:
        assert c.kubectl("apply --server-side -f -", stdin=DEPLOY) == f"error: {conflict}\n{_HINT}"
        assert c._kubectl.last_exit_code == 1
        assert c.kubectl("apply --server-side -f -", stdin=DEPLOY) == (
            "error: Server-side apply not available on the server: (the body of the request was in an unknown "
            "format)\n")
    finally:
        c.apiserver.serve = serve


def _apply_patches_served(cluster) -> bool:
    try:
        cluster.api.patch("deployments", "web", {"apiVersion": "apps/v1", "kind": "Deployment",
                                                 "metadata": {"name": "web"}}, patch_type="apply",
                          namespace="default", field_manager="probe", dry_run="All")
    except ApiError:
        return False
    return True


def test_server_side_apply_end_to_end():
    c = Cluster(nodes=1)
    c.kubectl("apply -f -", stdin=DEPLOY)  # client-side: kubectl-client-side-apply owns spec.replicas
    out = c.kubectl("apply --server-side -f -", stdin=DEPLOY.replace("replicas: 2", "replicas: 6"))
    assert out.startswith('error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" '
                          'using apps/v1: .spec.replicas\n')
    assert out.endswith(_HINT)
    assert c.api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 2
    assert c.kubectl("apply --server-side --force-conflicts -f -", stdin=DEPLOY.replace("replicas: 2", "replicas: 6")) \
        == "deployment.apps/web serverside-applied\n"
    assert c.api.get("deployments", "web", namespace="default")["spec"]["replicas"] == 6


# -- managedFields hidden by default --------------------------------------------------------------------
def test_get_hides_managed_fields_unless_asked(c):
    fields = [{"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1"}]
    # the object as the server returns it once it stores managedFields
    obj = c.api.get("deployments", "web", namespace="default")
    obj["metadata"]["managedFields"] = fields
    serve = c.apiserver.serve
    c.apiserver.serve = lambda req: obj if req.verb == "get" else serve(req)
    try:
        plain = yaml.safe_load(c.kubectl("get deploy web -o yaml"))
        shown = json.loads(c.kubectl("get deploy web -o json --show-managed-fields"))
    finally:
        c.apiserver.serve = serve
    assert "managedFields" not in plain["metadata"]
    assert plain["metadata"]["name"] == "web"
    assert shown["metadata"]["managedFields"] == fields
