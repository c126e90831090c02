"""``kubectl get rolebindings|clusterrolebindings`` columns (pkg/printers/internalversion/
printers.go: printRoleBinding, printClusterRoleBinding; pkg/apis/rbac/helpers.go SubjectsStrings).

Roles and ClusterRoles have no printer upstream: their storage uses the default table
convertor (pkg/registry/rbac/role/storage: ``rest.NewDefaultTableConvertor``), so they print
``NAME  CREATED AT`` like every other built-in kind without one (:mod:`.columns` ``table_for``).

Registered into :data:`k8score.kubectl.columns.TABLES`.

>>> rb = {"metadata": {"name": "r"}, "roleRef": {"kind": "Role", "name": "reader"},
...       "subjects": [{"kind": "ServiceAccount", "name": "robot", "namespace": "shop"},
...                    {"kind": "User", "name": "alice"}, {"kind": "User", "name": "bob"}]}
>>> _binding_row(rb, 0.0, True)[3:]
['alice, bob', '', 'shop/robot']
"""

from __future__ import annotations

from .timefmt import since


def _m(obj: dict) -> dict:
    return obj.get("metadata") or {}


def subjects_strings(subjects: list | None) -> tuple[list[str], list[str], list[str]]:
    """rbac.SubjectsStrings: users, groups and ``namespace/name`` service accounts, in order
    (subjects of another kind are not shown)."""
    users: list[str] = []
    groups: list[str] = []
    sas: list[str] = []
    for s in subjects or ():
        kind, name = (s or {}).get("kind"), (s or {}).get("name", "")
        if kind == "ServiceAccount":
            sas.append(f"{s.get('namespace', '')}/{name}")
        elif kind == "User":
            users.append(name)
        elif kind == "Group":
            groups.append(name)
    return users, groups, sas


def _binding_row(b: dict, now: float, wide: bool) -> list[str]:
    # ROLE is ``Kind/name``; the wide lists are joined with ", " (not ",")
    ref = b.get("roleRef") or {}
    row = [_m(b).get("name", ""), f"{ref.get('kind', '')}/{ref.get('name', '')}",
           since(_m(b).get("creationTimestamp"), now)]
    if wide:
        row += [", ".join(part) for part in subjects_strings(b.get("subjects"))]
    return row


_BINDING_COLUMNS = [("NAME", 0), ("ROLE", 0), ("AGE", 0), ("USERS", 1), ("GROUPS", 1), ("SERVICEACCOUNTS", 1)]

RBAC_TABLES = {
    "rolebindings": (_BINDING_COLUMNS, _binding_row),
    "clusterrolebindings": (_BINDING_COLUMNS, _binding_row),
}

__all__ = ["RBAC_TABLES", "subjects_strings"]
