"""Admission plugins of the API server (upstream plugin/pkg/admission and
k8s.io/apiserver/pkg/admission/plugin): mutating, then validating, in a fixed order."""


def default_admission_plugins(ctx, webhooks) -> list:
    """kube-apiserver's default plugins, in upstream's order (pkg/kubeapiserver/options/plugins.go
    ``AllOrderedPlugins`` restricted to ``defaultOnPlugins``); the chain runs every mutating one
    in this order, then every validating one."""
    from .limitranger import LimitRanger
    from .namespacelifecycle import NamespaceLifecycle
    from .noderestriction import NodeRestriction
    from .nodetaint import TaintNodesByCondition
    from .podsecurity import PodSecurity
    from .priority import Priority
    from .resourcequota import ResourceQuota
    from .serviceaccount import ServiceAccount
    from .storageclass import DefaultStorageClass
    from .storageprotection import PersistentVolumeClaimResize, StorageObjectInUseProtection
    from .tolerations import DefaultTolerationSeconds
    from .webhook import MutatingWebhook, ValidatingWebhook
    return [NamespaceLifecycle(ctx), LimitRanger(ctx), ServiceAccount(ctx), NodeRestriction(ctx),
            TaintNodesByCondition(ctx), Priority(ctx), DefaultTolerationSeconds(ctx),
            DefaultStorageClass(ctx), StorageObjectInUseProtection(ctx), PersistentVolumeClaimResize(ctx),
            PodSecurity(ctx), MutatingWebhook(ctx, webhooks),
            ValidatingWebhook(ctx, webhooks), ResourceQuota(ctx)]
