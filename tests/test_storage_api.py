"""Storage API objects: validation messages, immutability, admission (DefaultStorageClass,
StorageObjectInUseProtection, PersistentVolumeClaimResize) and the default class.

Upstream: pkg/apis/core/validation/validation.go (ValidatePersistentVolume*,
ValidatePersistentVolumeClaim*), pkg/apis/storage/validation/validation.go,
pkg/registry/core/persistentvolume/strategy.go,
plugin/pkg/admission/storage/{storageclass/setdefault,storageobjectinuseprotection,
persistentvolume/resize}/admission.go, printers.go (printPersistentVolume*, printStorageClass).
"""

from __future__ import annotations

import pytest

from storage_fakes import StorageCluster, pv, pvc

from k8score.api.errors import ApiError
from k8score.api.resources import BUILTIN
from k8score.client import Client
from k8score.kubectl import Kubectl


@pytest.fixture(scope="module")
def c():
    return StorageCluster(scheduler=False, controllers=())


def _err(fn, *args, **kw):
    with pytest.raises(ApiError) as e:
        fn(*args, **kw)
    return e.value.code, e.value.message


def test_resource_table_names_pv_and_storage_k8s_io_kinds():
    assert BUILTIN["persistentvolumes"].short_names == ("pv",)
    assert not BUILTIN["persistentvolumes"].namespaced
    assert [BUILTIN[r].api_version for r in ("volumeattachments", "csidrivers", "csinodes")] == \
        ["storage.k8s.io/v1"] * 3


def test_persistent_volume_validation_messages(c):
    assert _err(c.create, "persistentvolumes", {"metadata": {"name": "x"}, "spec": {}}) == (
        422, 'PersistentVolume "x" is invalid: [spec.accessModes: Required value, spec.capacity: Required value, '
             'spec: Required value: must specify a volume type]')
    body = pv("x", "1Gi", modes=("ReadWriteOncePod", "ReadWriteOnce"), policy="Keep")
    body["spec"]["nfs"] = {"server": "nfs", "path": "/exports"}
    code, msg = _err(c.create, "persistentvolumes", body)
    assert "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes" in msg
    assert ('spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", '
            '"Recycle", "Retain"') in msg
    assert "spec.nfs: Forbidden: may not specify more than 1 volume type" in msg
    local = pv("l", "1Gi")
    local["spec"] = {**local["spec"], "local": {"path": "/mnt/disks/ssd1"}}
    del local["spec"]["hostPath"]
    assert _err(c.create, "persistentvolumes", local)[1] == \
        'PersistentVolume "l" is invalid: spec.nodeAffinity: Required value: Local volume requires node affinity'
    zero = pv("z", "0")
    assert _err(c.create, "persistentvolumes", zero)[1] == \
        'PersistentVolume "z" is invalid: spec.capacity[storage]: Invalid value: "0": must be greater than zero'


def test_new_volume_is_pending_with_defaults_and_a_finalizer_and_its_source_is_fixed(c):
    out = c.create("persistentvolumes", pv("fixed", "2Gi"))
    assert out["status"]["phase"] == "Pending" and out["status"]["lastPhaseTransitionTime"]
    assert out["spec"]["persistentVolumeReclaimPolicy"] == "Retain" and out["spec"]["volumeMode"] == "Filesystem"
    assert out["metadata"]["finalizers"] == ["kubernetes.io/pv-protection"]
    out["spec"]["hostPath"] = {"path": "/elsewhere"}
    assert _err(c.api.update, "persistentvolumes", out)[1] == (
        'PersistentVolume "fixed" is invalid: spec.persistentvolumesource: Forbidden: '
        'spec.persistentvolumesource is immutable after creation')
    # status goes through /status only: the main resource keeps it
    fresh = c.get("persistentvolumes", "fixed")
    fresh["status"] = {"phase": "Bound"}
    fresh["spec"]["capacity"] = {"storage": "3Gi"}
    assert c.api.update("persistentvolumes", fresh)["status"]["phase"] == "Pending"


def test_claim_validation_and_defaulted_class(c):
    assert _err(c.create, "persistentvolumeclaims", {"metadata": {"name": "x"},
                                                     "spec": {"resources": {"requests": {"storage": "0"}}}})[1] == (
        'PersistentVolumeClaim "x" is invalid: [spec.accessModes: Required value: at least 1 access mode is '
        'required, spec.resources[storage]: Invalid value: "0": must be greater than zero]')
    # DefaultStorageClass: no class named -> the default one; "" means no class and is kept
    got = c.create("persistentvolumeclaims", pvc("defaulted", cls=None))
    assert got["spec"]["storageClassName"] == "standard"
    assert got["metadata"]["finalizers"] == ["kubernetes.io/pvc-protection"]
    assert got["status"] == {"phase": "Pending"}
    assert c.create("persistentvolumeclaims", pvc("classless", cls=""))["spec"]["storageClassName"] == ""


def test_pending_claim_spec_is_immutable_and_cannot_grow(c):
    claim = c.create("persistentvolumeclaims", pvc("grow", "1Gi"))
    claim["spec"]["accessModes"] = ["ReadWriteMany"]
    code, msg = _err(c.api.update, "persistentvolumeclaims", claim, "default")
    assert code == 422 and "spec: Forbidden: spec is immutable after creation except resources.requests" in msg
    claim = c.get("persistentvolumeclaims", "grow")
    claim["spec"]["resources"]["requests"]["storage"] = "2Gi"
    # validation runs before admission: a Pending claim's requests are part of its fixed spec
    code, msg = _err(c.api.update, "persistentvolumeclaims", claim, "default")
    assert code == 422 and msg.endswith("for bound claims\n  changed: resources")


def test_storage_class_fields_are_fixed_and_the_default_class_is_standard(c):
    c.create("storageclasses", {"metadata": {"name": "fast"}, "provisioner": "a.example.com/ssd",
                                "parameters": {"type": "ssd"}})
    sc = c.get("storageclasses", "fast")
    assert (sc["reclaimPolicy"], sc["volumeBindingMode"]) == ("Delete", "Immediate")
    sc["parameters"] = {"type": "hdd"}
    sc["volumeBindingMode"] = "WaitForFirstConsumer"
    assert _err(c.api.update, "storageclasses", sc)[1] == (
        'StorageClass.storage.k8s.io "fast" is invalid: [parameters: Forbidden: updates to parameters are '
        'forbidden., volumeBindingMode: Invalid value: "WaitForFirstConsumer": field is immutable]')
    std = c.get("storageclasses", "standard")
    assert (std["provisioner"], std["reclaimPolicy"], std["volumeBindingMode"], std["allowVolumeExpansion"]) == \
        ("disk.csi.k8score.io", "Delete", "WaitForFirstConsumer", True)
    out = Kubectl(Client(c.api, user="kubernetes-admin"), lambda: c.loop.now).run("get sc")
    assert out.splitlines()[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                                           "ALLOWVOLUMEEXPANSION", "AGE"]
    assert out.splitlines()[2].split()[:6] == ["standard", "(default)", "disk.csi.k8score.io", "Delete",
                                               "WaitForFirstConsumer", "true"]


def test_volume_attachment_csi_node_and_csi_driver(c):
    va = {"metadata": {"name": "va"}, "spec": {"attacher": "disk.csi.k8score.io", "nodeName": "node-1", "source": {}}}
    assert _err(c.create, "volumeattachments", va)[1] == (
        'VolumeAttachment.storage.k8s.io "va" is invalid: spec.source: Required value: must specify exactly one '
        'of inlineVolumeSpec and persistentVolumeName')
    va["spec"]["source"] = {"persistentVolumeName": "pv-1"}
    made = c.create("volumeattachments", va)
    assert made["status"] == {"attached": False}
    made["spec"]["nodeName"] = "node-2"
    assert "spec: Invalid value: storage.VolumeAttachmentSpec{...}: field is immutable" in \
        _err(c.api.update, "volumeattachments", made)[1]
    drv = c.create("csidrivers", {"metadata": {"name": "disk.csi.k8score.io"}, "spec": {}})
    assert drv["spec"]["attachRequired"] is True and drv["spec"]["volumeLifecycleModes"] == ["Persistent"]
    node = {"metadata": {"name": "node-1"}, "spec": {"drivers": [
        {"name": "disk.csi.k8score.io", "nodeID": ""}, {"name": "disk.csi.k8score.io", "nodeID": "n1"}]}}
    msg = _err(c.create, "csinodes", node)[1]
    assert "spec.drivers[0].nodeID: Required value: nodeID must be provided" in msg
    assert 'spec.drivers[1].name: Duplicate value: "disk.csi.k8score.io"' in msg
