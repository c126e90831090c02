"""``kubectl rollout history``: the history viewers of kubectl/pkg/polymorphichelpers/history.go.

- Deployments (DeploymentHistoryViewer): one revision per ReplicaSet the Deployment controls,
  from the ``deployment.kubernetes.io/revision`` annotation; the CHANGE-CAUSE is the
  ReplicaSet's ``kubernetes.io/change-cause``, and ``--revision=N`` prints that ReplicaSet's
  pod template (labels include ``pod-template-hash``) with the change cause added to its
  annotations.
- DaemonSets and StatefulSets (DaemonSetHistoryViewer, StatefulSetHistoryViewer): the
  ControllerRevisions the object controls among those its selector lists
  (controlledHistory); ``--revision=N`` applies the revision's data to the object as a
  strategic merge patch (applyDaemonSetHistory) and prints the resulting template.

The table goes through a tabwriter (tabbedString); the template does not: printTemplate writes
DescribePodTemplate's lines straight into a buffer, so its tabs reach the terminal as they are.

>>> print(history_table({1: "", 3: "kubectl set image"}), end="")
REVISION  CHANGE-CAUSE
1         <none>
3         kubectl set image
"""

from __future__ import annotations

import copy
from typing import Any

from ..apiserver.smp import strategic_merge_patch
from .args import CommandError
from .columns import selector_string
from .describe import _pod_template
from .describe_blocks import Writer
from .tabwriter import DESCRIBE_MINWIDTH, DESCRIBE_PADDING, tabwrite

__all__ = ["REVISION", "CHANGE_CAUSE", "NO_HISTORY", "HISTORY_KINDS", "view_history", "history_table",
           "print_template", "deployment_revisions", "controller_revisions"]

#: deploymentutil.RevisionAnnotation; history.go ChangeCauseAnnotation
REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"
#: history.go ViewHistory / printHistory without any revision
NO_HISTORY = "No rollout history found."
#: the kinds HistoryViewerFor has a viewer for (HistoryVisitor)
HISTORY_KINDS = ("deployments", "daemonsets", "statefulsets")


def history_table(causes: dict[int, str]) -> str:
    """``REVISION  CHANGE-CAUSE`` rows in revision order, ``<none>`` for an empty cause."""
    rows = "".join(f"{rev}\t{causes[rev] or '<none>'}\n" for rev in sorted(causes))
    return tabwrite("REVISION\tCHANGE-CAUSE\n" + rows, DESCRIBE_MINWIDTH, DESCRIBE_PADDING)


def print_template(template: dict) -> str:
    """history.go printTemplate: DescribePodTemplate through a PrefixWriter, no tabwriter."""
    w = Writer()
    _pod_template(w, template)
    return "".join(w.parts)


def _annotations(obj: dict) -> dict:
    return (obj.get("metadata") or {}).get("annotations") or {}


def _controlled_by(obj: dict, owner: dict) -> bool:
    uid = (owner.get("metadata") or {}).get("uid")
    return any(r.get("controller") and r.get("uid") == uid for r in (obj.get("metadata") or {}).get("ownerReferences") or ())


def deployment_revisions(client: Any, d: dict) -> dict[int, dict]:
    """revision -> pod template (change cause folded into its annotations); a ReplicaSet
    without a parsable revision is skipped (upstream logs a warning)."""
    ns = (d.get("metadata") or {}).get("namespace")
    out: dict[int, dict] = {}
    for rs in client.list("replicasets", namespace=ns)["items"]:
        if not _controlled_by(rs, d):
            continue
        try:
            rev = int(_annotations(rs).get(REVISION, ""))
        except ValueError:
            continue
        template = copy.deepcopy((rs.get("spec") or {}).get("template") or {})
        cause = _annotations(rs).get(CHANGE_CAUSE)
        if cause:
            template.setdefault("metadata", {}).setdefault("annotations", {})[CHANGE_CAUSE] = cause
        out[rev] = template
    return out


def controller_revisions(client: Any, obj: dict) -> list[dict]:
    """controlledHistory: the ControllerRevisions the selector lists that ``obj`` controls."""
    meta = obj.get("metadata") or {}
    listed = client.list("controllerrevisions", namespace=meta.get("namespace"),
                         label_selector=selector_string((obj.get("spec") or {}).get("selector")))["items"]
    return [r for r in listed if _controlled_by(r, obj)]


def _applied_template(obj: dict, revision: dict) -> dict:
    """applyDaemonSetHistory / applyStatefulSetHistory: the object patched with the revision's
    data (``{"spec": {"template": {..., "$patch": "replace"}}}``), then its template."""
    patched = strategic_merge_patch(obj, revision.get("data") or {}, None)
    return (patched.get("spec") or {}).get("template") or {}


def view_history(client: Any, plural: str, obj: dict, revision: int) -> str:
    """HistoryViewer.ViewHistory: the table, or with ``revision`` > 0 that revision's template.
    CommandError when the revision does not exist."""
    if plural == "deployments":
        templates = deployment_revisions(client, obj)
        if not templates:
            return NO_HISTORY
        if revision > 0:
            if revision not in templates:
                raise CommandError("error: unable to find the specified revision")
            return print_template(templates[revision])
        return history_table({rev: _annotations(t).get(CHANGE_CAUSE, "") for rev, t in templates.items()})
    # printHistory: a later ControllerRevision with the same revision number wins
    by_rev = {r.get("revision", 0): r for r in controller_revisions(client, obj)}
    if not by_rev:
        return NO_HISTORY
    if revision > 0:
        if revision not in by_rev:
            raise CommandError("error: unable to find the specified revision")
        return print_template(_applied_template(obj, by_rev[revision]))
    return history_table({rev: _annotations(r).get(CHANGE_CAUSE, "") for rev, r in by_rev.items()})
