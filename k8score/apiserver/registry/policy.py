"""Strategies of the policy-like resources: RBAC (rbac.authorization.k8s.io), LimitRange,
ResourceQuota, PersistentVolumeClaim, StorageClass and the admission webhook
configurations (pkg/registry/{rbac,core,storage,admissionregistration}/*/strategy.go)."""

from __future__ import annotations

from typing import Any

from ...api.field import FieldError
from ...api.resources import BUILTIN
from ..admission.limitranger import limit_range_defaults
from ..admission.storageclass import storage_class_defaults
from ..authz import validation as rbac
from ..validation import admissionregistration as webhooks
from ..validation import pdb as pdb_validation
from ..validation import policy
from .strategy import Strategy


class _RBAC(Strategy):
    def name_errors(self, name: str) -> list[str]:
        return rbac.rbac_name(name)  # ValidateRBACName: path segment names


class RoleStrategy(_RBAC):
    info = BUILTIN["roles"]
    rules = staticmethod(rbac.role)
    update_rules = staticmethod(rbac.role_update)


class ClusterRoleStrategy(_RBAC):
    info = BUILTIN["clusterroles"]
    rules = staticmethod(rbac.cluster_role)
    update_rules = staticmethod(rbac.cluster_role_update)


class RoleBindingStrategy(_RBAC):
    info = BUILTIN["rolebindings"]
    rules = staticmethod(rbac.role_binding)
    update_rules = staticmethod(rbac.role_binding_update)


class ClusterRoleBindingStrategy(_RBAC):
    info = BUILTIN["clusterrolebindings"]
    rules = staticmethod(rbac.cluster_role_binding)
    update_rules = staticmethod(rbac.cluster_role_binding_update)


class LimitRangeStrategy(Strategy):
    info = BUILTIN["limitranges"]

    def default(self, obj: dict) -> Any:
        limit_range_defaults(obj)

    rules = staticmethod(policy.limit_range)


class ResourceQuotaStrategy(Strategy):
    info = BUILTIN["resourcequotas"]
    status_subresource = True
    initial_status: dict = {}
    rules = staticmethod(policy.resource_quota)
    update_rules = staticmethod(policy.resource_quota_update)


class PersistentVolumeClaimStrategy(Strategy):
    info = BUILTIN["persistentvolumeclaims"]
    status_subresource = True
    initial_status = {"phase": "Pending"}

    def default(self, obj: dict) -> Any:
        # SetDefaults_PersistentVolumeClaimSpec (pkg/apis/core/v1/defaults.go): volumeMode Filesystem
        spec = obj.get("spec")
        if isinstance(spec, dict):
            spec.setdefault("volumeMode", "Filesystem")

    rules = staticmethod(policy.persistent_volume_claim)
    update_rules = staticmethod(policy.persistent_volume_claim_update)


class StorageClassStrategy(Strategy):
    info = BUILTIN["storageclasses"]

    def default(self, obj: dict) -> Any:
        storage_class_defaults(obj)

    rules = staticmethod(policy.storage_class)
    update_rules = staticmethod(policy.storage_class_update)


class MutatingWebhookConfigurationStrategy(Strategy):
    info = BUILTIN["mutatingwebhookconfigurations"]
    tracks_generation = True

    def default(self, obj: dict) -> Any:
        webhooks.default_mutating_webhook_configuration(obj)

    rules = staticmethod(webhooks.mutating_webhook_configuration)

    def validate_update(self, new: dict, old: dict) -> list[FieldError]:
        from ..validation import meta
        # the update validation replaces the create rules (it tolerates faults the stored object had)
        return meta.object_meta_update(new.get("metadata") or {}, old.get("metadata") or {}) + \
            self._meta_errors(new) + webhooks.mutating_webhook_configuration_update(new, old)


class ValidatingWebhookConfigurationStrategy(Strategy):
    info = BUILTIN["validatingwebhookconfigurations"]
    tracks_generation = True

    def default(self, obj: dict) -> Any:
        webhooks.default_validating_webhook_configuration(obj)

    rules = staticmethod(webhooks.validating_webhook_configuration)

    def validate_update(self, new: dict, old: dict) -> list[FieldError]:
        from ..validation import meta
        return meta.object_meta_update(new.get("metadata") or {}, old.get("metadata") or {}) + \
            self._meta_errors(new) + webhooks.validating_webhook_configuration_update(new, old)


class PodDisruptionBudgetStrategy(Strategy):
    """pkg/registry/policy/poddisruptionbudget/strategy.go: status starts empty and is the
    disruption controller's (and the eviction subresource's) to write; a spec change bumps
    generation, so the eviction API refuses to decrement a budget computed for an older one."""
    info = BUILTIN["poddisruptionbudgets"]
    status_subresource = True
    tracks_generation = True
    initial_status: dict = {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0,
                            "expectedPods": 0}
    rules = staticmethod(pdb_validation.pdb)
    update_rules = staticmethod(lambda new, old: pdb_validation.pdb(new))


STRATEGIES = (RoleStrategy, ClusterRoleStrategy, RoleBindingStrategy, ClusterRoleBindingStrategy,
              LimitRangeStrategy, ResourceQuotaStrategy, PersistentVolumeClaimStrategy,
              StorageClassStrategy, MutatingWebhookConfigurationStrategy,
              ValidatingWebhookConfigurationStrategy, PodDisruptionBudgetStrategy)
