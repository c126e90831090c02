"""The ServiceAccount admission plugin (plugin/pkg/admission/serviceaccount/admission.go).

On pod CREATE it

1. sets ``spec.serviceAccountName`` to ``default`` when the pod names none (and keeps the
   deprecated ``spec.serviceAccount`` alias equal, as the v1 conversion does);
2. refuses the pod when that ServiceAccount does not exist (403, ``error looking up service
   account default/foo: serviceaccount "foo" not found``);
3. unless ``automountServiceAccountToken: false`` (the pod's setting wins over the
   ServiceAccount's), adds the projected ``kube-api-access-<5 chars>`` volume — a bound token,
   the cluster CA from ConfigMap ``kube-root-ca.crt`` and the namespace — and mounts it read-only
   at ``/var/run/secrets/kubernetes.io/serviceaccount`` in every init container and container
   that has nothing mounted there yet;
4. copies the ServiceAccount's ``imagePullSecrets`` when the pod has none.

Mirror pods (annotation ``kubernetes.io/config.mirror``) are never changed: they may not name a
ServiceAccount, refer to Secrets or project a token. The plugin is both mutating (``admit``)
and validating (``validate``), as upstream: validation re-checks what later mutating plugins
(webhooks) may have changed.

Differences from upstream: the lookup reads the API server's watch cache only. Upstream retries
a missing ``default`` ServiceAccount for up to ~2 s (it "should be auto-created by the
controller"); a synchronous simulation cannot wait, so a pod created in the same instant as its
namespace is refused until the ServiceAccount controller has run.
"""

from __future__ import annotations

from ...api.errors import ApiError
from ..request import AdmissionAttributes, PluginContext
from . import podrefs
from .namespacelifecycle import new_forbidden

# admission.go constants
PLUGIN_NAME = "ServiceAccount"
DEFAULT_SERVICE_ACCOUNT_NAME = "default"                        # DefaultServiceAccountName
ENFORCE_MOUNTABLE_SECRETS = "kubernetes.io/enforce-mountable-secrets"  # EnforceMountableSecretsAnnotation
VOLUME_NAME_PREFIX = "kube-api-access-"                         # ServiceAccountVolumeName + "-"
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"  # DefaultAPITokenMountPath
MIRROR_POD_ANNOTATION = "kubernetes.io/config.mirror"           # api.MirrorPodAnnotationKey
# pkg/serviceaccount/claims.go WarnOnlyBoundTokenExpirationSeconds: 1 h + 7 s, so that the
# API server can tell admission-injected tokens (and warn on their stale use) from others
WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS = 60 * 60 + 7
# core/v1 ProjectedVolumeSourceDefaultMode (0644), set explicitly (kubernetes#104464)
PROJECTED_DEFAULT_MODE = 0o644
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"  # rootcacertpublisher RootCACertConfigMapName
# apimachinery pkg/util/rand alphanums, as names.SimpleNameGenerator uses them (5 chars)
_ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789"
_SUFFIX_LEN = 5


def token_volume_source() -> dict:
    """TokenVolumeSource(): the projected volume every automounting pod gets."""
    return {
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": WARN_ONLY_BOUND_TOKEN_EXPIRATION_SECONDS,
                                     "path": "token"}},
            {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            {"downwardAPI": {"items": [{"path": "namespace",
                                        "fieldRef": {"apiVersion": "v1",
                                                     "fieldPath": "metadata.namespace"}}]}},
        ],
        "defaultMode": PROJECTED_DEFAULT_MODE,
    }


def _is_pod(a: AdmissionAttributes) -> bool:
    # shouldIgnore: pods only, main resource or ephemeralcontainers, with an object
    return (a.info.plural == "pods" and a.info.group == ""
            and a.subresource in (None, "", "ephemeralcontainers") and isinstance(a.obj, dict))


def _spec(pod: dict) -> dict:
    spec = pod.get("spec")
    return spec if isinstance(spec, dict) else {}


def _is_mirror(pod: dict) -> bool:
    ann = (pod.get("metadata") or {}).get("annotations") if isinstance(pod.get("metadata"), dict) else None
    return isinstance(ann, dict) and MIRROR_POD_ANNOTATION in ann


def _sa_name(spec: dict) -> str:
    # v1 -> internal conversion: serviceAccountName, else the deprecated serviceAccount
    for key in ("serviceAccountName", "serviceAccount"):
        if isinstance(spec.get(key), str) and spec[key]:
            return spec[key]
    return ""


def _should_automount(sa: dict, spec: dict) -> bool:
    """shouldAutomount: the pod's preference wins, then the ServiceAccount's, else true."""
    for value in (spec.get("automountServiceAccountToken"), sa.get("automountServiceAccountToken")):
        if isinstance(value, bool):
            return value
    return True


class ServiceAccount:
    """Mutating + validating admission for pods; see the module docstring."""

    name = PLUGIN_NAME

    def __init__(self, ctx: PluginContext, *, limit_secret_references: bool = False):
        self.ctx = ctx
        # LimitSecretReferences: off upstream; a ServiceAccount can still ask for it
        # with the kubernetes.io/enforce-mountable-secrets annotation
        self.limit_secret_references = limit_secret_references

    def handles(self, operation: str) -> bool:
        return operation in ("CREATE", "UPDATE")

    # -- lookups -------------------------------------------------------------------
    def _service_account(self, a: AdmissionAttributes, name: str) -> dict:
        sa = self.ctx.lister.get("serviceaccounts", name, a.namespace)
        if sa is None:
            # getServiceAccount: errors.NewNotFound(api.Resource("serviceaccount"), name)
            missing = ApiError.not_found("serviceaccount", name).message
            raise new_forbidden(a, f"error looking up service account {a.namespace}/{name}: {missing}")
        return sa

    def _generate_name(self, base: str) -> str:
        rng = self.ctx.rng
        return base + "".join(rng.choice(_ALPHANUMS) for _ in range(_SUFFIX_LEN))

    # -- mutating ------------------------------------------------------------------
    def admit(self, a: AdmissionAttributes) -> str | None:
        if not _is_pod(a) or a.operation != "CREATE":
            return None  # only pod creation is mutated
        pod = a.obj
        if _is_mirror(pod):
            # the kubelet deletes a mirror pod whose spec differs from its manifest: never mutate
            return self.validate(a)
        if not isinstance(pod.get("spec"), dict):
            return None  # validation reports the missing spec
        spec = pod["spec"]
        name = _sa_name(spec) or DEFAULT_SERVICE_ACCOUNT_NAME
        spec["serviceAccountName"] = name
        spec["serviceAccount"] = name  # v1 keeps the deprecated alias in sync
        sa = self._service_account(a, name)
        note = f"serviceAccountName={name}"
        if _should_automount(sa, spec):
            volume = self._mount_token(spec)
            if volume:
                note += f", volume {volume}"
        if not spec.get("imagePullSecrets") and isinstance(sa.get("imagePullSecrets"), list):
            pulls = [{"name": s["name"]} for s in sa["imagePullSecrets"] if isinstance(s, dict) and "name" in s]
            if pulls:
                spec["imagePullSecrets"] = pulls
        self.validate(a)
        return note

    def _mount_token(self, spec: dict) -> str | None:
        """mountServiceAccountToken; returns the volume's name when one was added."""
        volumes = spec.get("volumes")
        if volumes is not None and not isinstance(volumes, list):
            return None  # a wrong type: validation answers 422
        volume_name = next((v["name"] for v in volumes or ()
                            if isinstance(v, dict) and isinstance(v.get("name"), str)
                            and v["name"].startswith(VOLUME_NAME_PREFIX)), None)
        has_volume = volume_name is not None
        if volume_name is None:
            volume_name = self._generate_name(VOLUME_NAME_PREFIX)
        mount = {"name": volume_name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH}
        needs_volume = False
        for key in ("initContainers", "containers"):
            for c in podrefs.dicts(spec.get(key)):
                mounts = c.get("volumeMounts")
                if mounts is None:
                    mounts = c["volumeMounts"] = []
                elif not isinstance(mounts, list):
                    continue
                # an existing mount at the path keeps the token out of this container
                if any(isinstance(m, dict) and m.get("mountPath") == TOKEN_MOUNT_PATH for m in mounts):
                    continue
                mounts.append(dict(mount))
                needs_volume = True
        if has_volume or not needs_volume:
            return None
        spec["volumes"] = list(volumes or []) + [{"name": volume_name, "projected": token_volume_source()}]
        return volume_name

    # -- validating ----------------------------------------------------------------
    def validate(self, a: AdmissionAttributes) -> str | None:
        if not _is_pod(a):
            return None
        pod = a.obj
        spec = _spec(pod)
        if a.operation == "UPDATE" and a.subresource == "ephemeralcontainers":
            return self._limit_ephemeral(a, spec)
        if a.operation != "CREATE":
            return None
        if _is_mirror(pod):
            if _sa_name(spec):
                raise new_forbidden(a, "a mirror pod may not reference service accounts")
            if podrefs.secret_names(pod):
                raise new_forbidden(a, "a mirror pod may not reference secrets")
            if any("serviceAccountToken" in s for s in podrefs.projected_sources(pod)):
                raise new_forbidden(a, "a mirror pod may not use ServiceAccountToken volume projections")
            return None
        name = _sa_name(spec)
        if not name:
            raise new_forbidden(a, f"no service account specified for pod {a.namespace}/"
                                   f"{(pod.get('metadata') or {}).get('name', '')}")
        sa = self._service_account(a, name)
        if self._enforce_mountable(sa):
            why = _limit_secret_references(sa, spec)
            if why:
                raise new_forbidden(a, why)
        return None

    def _enforce_mountable(self, sa: dict) -> bool:
        if self.limit_secret_references:
            return True
        ann = (sa.get("metadata") or {}).get("annotations") or {}
        # strconv.ParseBool accepts 1, t, T, TRUE, true, True
        return ann.get(ENFORCE_MOUNTABLE_SECRETS) in ("1", "t", "T", "TRUE", "true", "True")

    def _limit_ephemeral(self, a: AdmissionAttributes, spec: dict) -> None:
        name = _sa_name(spec)
        if not name:
            raise new_forbidden(a, f"no service account specified for pod {a.namespace}/{a.name}")
        sa = self._service_account(a, name)
        if self._enforce_mountable(sa):
            why = _env_refs(_mountable(sa), spec.get("ephemeralContainers"), "ephemeral container", sa)
            if why:
                raise new_forbidden(a, why)
        return None


def _mountable(sa: dict) -> set[str]:
    return {s.get("name") for s in sa.get("secrets") or () if isinstance(s, dict)}


def _env_refs(allowed: set[str], containers: object, what: str, sa: dict) -> str | None:
    sa_name = sa["metadata"]["name"]
    for c in podrefs.dicts(containers):
        for env in podrefs.dicts(c.get("env")):
            ref = podrefs.get_path(env, "valueFrom", "secretKeyRef", "name")
            if ref is not None and ref not in allowed:
                return (f'{what} {c.get("name")} with envVar {env.get("name")} referencing '
                        f'secret.secretName="{ref}" is not allowed because service account '
                        f"{sa_name} does not reference that secret")
        for src in podrefs.dicts(c.get("envFrom")):
            ref = podrefs.get_path(src, "secretRef", "name")
            if ref is not None and ref not in allowed:
                return (f'{what} {c.get("name")} with envFrom referencing secret.secretName="{ref}" '
                        f"is not allowed because service account {sa_name} does not reference that secret")
    return None


def _limit_secret_references(sa: dict, spec: dict) -> str | None:
    """limitSecretReferences: the pod may only use Secrets its ServiceAccount lists."""
    allowed = _mountable(sa)
    sa_name = sa["metadata"]["name"]
    for vol in podrefs.dicts(spec.get("volumes")):
        ref = podrefs.get_path(vol, "secret", "secretName")
        if ref is not None and ref not in allowed:
            return (f'volume with secret.secretName="{ref}" is not allowed because service account '
                    f"{sa_name} does not reference that secret")
    why = (_env_refs(allowed, spec.get("initContainers"), "init container", sa)
           or _env_refs(allowed, spec.get("containers"), "container", sa))
    if why:
        return why
    pulls = {s.get("name") for s in sa.get("imagePullSecrets") or () if isinstance(s, dict)}
    for i, ref in enumerate(podrefs.dicts(spec.get("imagePullSecrets"))):
        if ref.get("name") not in pulls:
            return (f'imagePullSecrets[{i}].name="{ref.get("name")}" is not allowed because service '
                    f"account {sa_name} does not reference that imagePullSecret")
    return None


__all__ = ["ServiceAccount", "token_volume_source", "TOKEN_MOUNT_PATH", "VOLUME_NAME_PREFIX"]
