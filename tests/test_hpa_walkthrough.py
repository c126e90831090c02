"""The HorizontalPodAutoscaler walkthrough of the Kubernetes docs
(https://kubernetes.io/docs/tasks/run-application/horizontal-pod-autoscale-walkthrough/), run as
written: the ``php-apache`` Deployment and Service of https://k8s.io/examples/application/php-apache.yaml
(unchanged), ``kubectl autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10``, the
busybox load generator, then the load stopped.

What upstream's controller (pkg/controller/podautoscaler/horizontal.go) does with it: syncs every
15 s; the first full window of load shows the pod at its 500m limit (250 % of its request), the
proposal ceil(250/50 * 1) = 5 is cut to max(2 * 1, 4) = 4 (the behaviour-less rate limit); 4
pods at 154 % ask for 7 (ceil(1.54 * 4) = 7); at 7 the 0.67 core of demand is 48 % — inside the
tolerance, so 7 stays. After the load stops the recommendation drops to 1 at once, but the
scale-down waits for the 300 s stabilisation window (horizontal-pod-autoscaler-downscale-
stabilization) since the last recommendation of 7."""

import pytest

from k8score import Cluster
from k8score.metrics import install

#: https://k8s.io/examples/application/php-apache.yaml
PHP_APACHE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: php-apache
spec:
  selector:
    matchLabels:
      run: php-apache
  template:
    metadata:
      labels:
        run: php-apache
    spec:
      containers:
      - name: php-apache
        image: registry.k8s.io/hpa-example
        ports:
        - containerPort: 80
        resources:
          limits:
            cpu: 500m
          requests:
            cpu: 200m
---
apiVersion: v1
kind: Service
metadata:
  name: php-apache
  labels:
    run: php-apache
spec:
  ports:
  - port: 80
  selector:
    run: php-apache
"""
#: the walkthrough's `kubectl run -i --tty load-generator ...` without the interactive terminal
LOAD = ('run load-generator --image=busybox:1.28 --restart=Never -- /bin/sh -c '
        '"while sleep 0.01; do wget -q -O- http://php-apache; done"')


@pytest.fixture(scope="module")
def walk():
    c = Cluster(nodes=2, seed=0, metrics_server=False)
    install(c)
    out = {"apply": c.apply(PHP_APACHE)}
    c.run(30)
    out["autoscale"] = c.kubectl("autoscale deployment php-apache --cpu-percent=50 --min=1 --max=10")
    out["hpa_new"] = c.kubectl("get hpa")
    c.run(30)
    out["hpa_idle"] = c.kubectl("get hpa")
    c.kubectl(LOAD)
    t0 = c.now
    changes, last = [], None

    def follow(seconds):
        nonlocal last
        end = c.now + seconds
        while c.now < end - 1e-9:
            c.run(1)
            n = c.api.get("deployments", "php-apache", namespace="default")["spec"]["replicas"]
            if n != last:
                changes.append((round(c.now - t0), n))
                last = n
    follow(75)
    out["hpa_loaded"] = c.kubectl("get hpa")
    out["top"] = c.kubectl("top pods -l run=php-apache")
    c.kubectl("delete pod load-generator --now")
    out["stopped"] = round(c.now - t0)
    follow(345)
    out["hpa_end"] = c.kubectl("get hpa")
    out["describe"] = c.kubectl("describe hpa php-apache")
    out["changes"] = changes
    out["events"] = [(round(e["lastTimestamp"] and _t(e) - t0), e["type"], e["reason"], e["message"])
                     for e in c.events("default") if e["involvedObject"]["kind"] == "HorizontalPodAutoscaler"]
    out["status"] = c.api.get("horizontalpodautoscalers", "php-apache", namespace="default")["status"]
    return out


def _t(ev):
    from k8score.sim.clock import parse
    return parse(ev["lastTimestamp"])


def test_the_manifests_apply_unchanged_and_autoscale_creates_the_hpa(walk):
    assert [(o["kind"], o["metadata"]["name"]) for o in walk["apply"]] == \
        [("Deployment", "php-apache"), ("Service", "php-apache")]
    assert walk["autoscale"] == (
        "Flag --cpu-percent has been deprecated, Use --cpu with percentage or resource quantity format "
        "(e.g., '70%' for utilization or '500m' for milliCPU).\n"
        "horizontalpodautoscaler.autoscaling/php-apache autoscaled\n")


def test_get_hpa_before_the_first_sync_and_idle(walk):
    assert walk["hpa_new"] == (
        "NAME         REFERENCE               TARGETS              MINPODS   MAXPODS   REPLICAS   AGE\n"
        "php-apache   Deployment/php-apache   cpu: <unknown>/50%   1         10        0          0s\n")
    assert walk["hpa_idle"] == (
        "NAME         REFERENCE               TARGETS       MINPODS   MAXPODS   REPLICAS   AGE\n"
        "php-apache   Deployment/php-apache   cpu: 0%/50%   1         10        1          30s\n")


def test_load_scales_up_to_seven_in_two_steps(walk):
    # seconds after the load generator started -> replicas
    # the default topology spreading puts new replicas on node-2 too, which pulls the image
    # first (6 s): their CPU is not counted until they have a full metrics window, so the
    # second step comes one 15 s sync later than on a single warm node
    assert walk["changes"][:3] == [(1, 1), (16, 4), (46, 7)]
    # 0.67 core over 7 pods of 200m: under 50 %, within the tolerance
    assert walk["hpa_loaded"].splitlines()[1].split()[:7] == \
        ["php-apache", "Deployment/php-apache", "cpu:", "48%/50%", "1", "10", "7"]
    pods = walk["top"].splitlines()[1:]
    assert len(pods) == 7 and all(80 <= int(line.split()[1][:-1]) <= 110 for line in pods)


def test_scale_down_waits_for_the_stabilization_window(walk):
    assert walk["stopped"] == 75
    # the last recommendation of 7 is the sync at 75 s; 300 s later the sync at 375 s scales down
    assert walk["changes"][3:] == [(376, 1)]
    assert walk["hpa_end"].splitlines()[1].split()[3:7] == ["0%/50%", "1", "10", "1"]


def test_events_and_conditions_carry_upstream_texts(walk):
    assert [e[1:] for e in walk["events"]] == [
        ("Normal", "SuccessfulRescale", "New size: 4; reason: cpu resource utilization (percentage of request) above target"),
        ("Normal", "SuccessfulRescale", "New size: 7; reason: cpu resource utilization (percentage of request) above target"),
        ("Normal", "SuccessfulRescale", "New size: 1; reason: All metrics below target"),
    ]
    assert [e[0] for e in walk["events"]] == [15, 45, 375]     # lastTimestamp has whole seconds
    conds = {c["type"]: (c["status"], c["reason"], c["message"]) for c in walk["status"]["conditions"]}
    assert conds == {
        "AbleToScale": ("True", "ReadyForNewScale", "recommended size matches current size"),
        "ScalingActive": ("True", "ValidMetricFound", "the HPA was able to successfully calculate a replica count "
                                                      "from cpu resource utilization (percentage of request)"),
        "ScalingLimited": ("True", "TooFewReplicas", "the desired replica count is less than the minimum replica count"),
    }
    assert [c["type"] for c in walk["status"]["conditions"]] == ["AbleToScale", "ScalingActive", "ScalingLimited"]
    assert walk["status"]["currentMetrics"] == [
        {"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "0", "averageUtilization": 0}}}]


def test_describe_hpa_after_the_scale_down(walk):
    lines = walk["describe"].splitlines()
    assert lines[5:12] == [
        "Reference:                                             Deployment/php-apache",
        "Metrics:                                               ( current / target )",
        "  resource cpu on pods  (as a percentage of request):  0% (0) / 50%",
        "Min replicas:                                          1",
        "Max replicas:                                          10",
        "Deployment pods:                                       1 current / 1 desired",
        "Conditions:"]
    assert lines[12:17] == [
        "  Type            Status  Reason            Message",
        "  ----            ------  ------            -------",
        "  AbleToScale     True    ReadyForNewScale  recommended size matches current size",
        "  ScalingActive   True    ValidMetricFound  the HPA was able to successfully calculate a replica count "
        "from cpu resource utilization (percentage of request)",
        "  ScalingLimited  True    TooFewReplicas    the desired replica count is less than the minimum replica count"]
    assert lines[17].split() == ["Events:"] and lines[18].split()[:2] == ["Type", "Reason"]
    assert lines[20].split()[:2] == ["Normal", "SuccessfulRescale"]
