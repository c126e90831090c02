"""Admission plugins of the API server (upstream plugin/pkg/admission and
k8s.io/apiserver/pkg/admission/plugin): mutating, then validating, in a fixed order."""
