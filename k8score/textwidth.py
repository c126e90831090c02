"""How many terminal columns a string takes: East Asian wide characters count two.

Chinese text in a table (a column of 运行中 / 尚未实现, a pod named 网站-1) shifts every column
after it when cells are padded by ``len``: a CJK character is one code point but two columns in
a terminal and in the site's monospace font. This is the rule of wcwidth(3) and of the Python
``wcwidth`` package, computed with the standard library only (so it runs the same in Pyodide):

- East Asian Width ``W`` (wide) or ``F`` (fullwidth) — CJK ideographs, kana, Hangul syllables,
  fullwidth forms, most emoji — takes 2 columns (Unicode Standard Annex #11);
- combining marks (``Mn``, ``Me``), Hangul medial vowels / final consonants and the invisible
  format characters (``Cf``: ZWSP, ZWJ, ZWNJ, word joiner, BOM, bidi controls...) take 0;
- everything else takes 1, including East Asian *ambiguous* characters such as → and ×, as
  terminals in a non-CJK locale draw them.

>>> width("web-1"), width("运行中"), width("ｋ８ｓ"), width("e\\u0301")
(5, 6, 6, 1)
>>> ljust("运行中", 8) + "|"
'运行中  |'
"""

from __future__ import annotations

import unicodedata

# Drawn as nothing although not Mn/Me/Cf (wcwidth's zero-width table): the line and paragraph
# separators, the Hangul tone marks U+302E/U+302F (Mc, drawn over the syllable) and fillers.
_ZERO_WIDTH = frozenset("\u2028\u2029\u302e\u302f\u3164\uffa0")


def char_width(ch: str) -> int:
    """Columns taken by the one character ``ch`` (0, 1 or 2)."""
    # Hangul Jamo medial vowels and final consonants join the syllable before them.
    if ch in _ZERO_WIDTH or "\u1160" <= ch <= "\u11ff" or "\ud7b0" <= ch <= "\ud7ff":
        return 0
    category = unicodedata.category(ch)
    if category in ("Mn", "Me") or (category == "Cf" and ch != "\xad"):  # a soft hyphen shows
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def width(text: str) -> int:
    """Columns taken by ``text`` on one line (no tabs or newlines expected)."""
    if text.isascii():  # the common case: kubectl's own output
        return len(text)
    return sum(char_width(ch) for ch in text)


def ljust(text: str, columns: int) -> str:
    """``text`` padded with spaces to ``columns`` columns (unchanged when already as wide)."""
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    """``text`` right-aligned in ``columns`` columns (unchanged when already as wide)."""
    return " " * max(0, columns - width(text)) + text
