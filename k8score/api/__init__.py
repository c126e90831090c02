"""Pure helpers over Kubernetes API types (as upstream's k8s.io/api and its helpers),
shared by the components that need the same rule — e.g. the scheduler and the
taint-eviction controller both ask "does this toleration tolerate that taint?"."""
