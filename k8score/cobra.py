"""What cobra-built CLIs (kubectl, etcdctl) print for a mistyped command.

spf13/cobra command.go ``SuggestionsFor``: a command is suggested when its name is within
Levenshtein distance ``SuggestionsMinimumDistance`` (2) of what was typed, or starts with
it, both compared case-insensitively (``ld(..., ignoreCase=true)``). Suggestions come out in
the order the subcommands were added (``c.commands``, unsorted), so callers pass the names in
that order, not alphabetically.

>>> print(suggestions("gte", ["get", "put", "del"]), end="")
<BLANKLINE>
<BLANKLINE>
Did you mean this?
	get
"""

from __future__ import annotations

from typing import Iterable

SUGGESTIONS_MINIMUM_DISTANCE = 2  # spf13/cobra command.go


def levenshtein(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def suggestions(typed: str, names: Iterable[str]) -> str:
    """cobra's "Did you mean this?" block for ``typed`` among ``names`` (in their order), or ""."""
    t = typed.lower()
    hits = [n for n in names
            if levenshtein(t, n.lower()) <= SUGGESTIONS_MINIMUM_DISTANCE or n.lower().startswith(t)]
    return "\n\nDid you mean this?\n" + "".join(f"\t{n}\n" for n in hits) if hits else ""
