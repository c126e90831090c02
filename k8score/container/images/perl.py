"""``perl`` (docker-library/perl): just enough Perl for the docs' ``pi`` Job.

The Job example (kubernetes.io "Running an example Job") runs
``perl -Mbignum=bpi -wle 'print bpi(2000)'``: Math::BigFloat's ``bpi(N)`` is pi to ``N``
significant digits, printed with a newline (``-l``). The digits are computed exactly
(Machin's formula on Python integers, no floating point) and rounded to N digits as
Math::BigFloat rounds; the process burns CPU for a time that grows with N² (2000 digits take
:data:`BPI_2000_SECONDS`, roughly what the pure-Perl Math::BigInt::Calc backend needs).

Modelled: the switches ``-M<mod>[=...]``, ``-w``, ``-l``, ``-e``/``-le``/``-wle`` (bundled), and
programs that are a sequence of ``print bpi(N)`` / ``print "text"`` statements. Anything else
exits 255 with Perl's syntax-error shape; ``perl -v`` prints the version line.
"""

from __future__ import annotations

import re

from ..process import Sleep

#: virtual CPU seconds for bpi(2000); bpi(N) scales as N² (schoolbook big-number arithmetic)
BPI_2000_SECONDS = 3.0


def pi_digits(n: int) -> str:
    """Pi to ``n`` significant digits, as ``bpi(n)`` prints it (``3.14...``), exactly."""
    guard = 10
    scale = 10 ** (n + guard)

    def arctan_inv(x: int) -> int:   # arctan(1/x) * scale, by the alternating series
        total, term, k, sign = 0, scale // x, 1, 1
        x2 = x * x
        while term:
            total += sign * (term // k)
            term //= x2
            k += 2
            sign = -sign
        return total

    pi = 4 * (4 * arctan_inv(5) - arctan_inv(239))      # Machin: pi/4 = 4 atan(1/5) - atan(1/239)
    digits = pi // 10 ** guard                           # n + 1 significant digits (truncated)
    digits = (digits + 5) // 10                          # round half up to n digits
    text = str(digits)
    return text[0] + ("." + text[1:] if n > 1 else "")


def _statements(code: str) -> list[tuple[str, str]] | None:
    out = []
    for stmt in (s.strip() for s in code.split(";")):
        if not stmt:
            continue
        m = re.fullmatch(r"print\s*\(?\s*bpi\s*\(\s*(\d+)\s*\)\s*\)?", stmt)
        if m:
            out.append(("bpi", m.group(1)))
            continue
        m = re.fullmatch(r'print\s*\(?\s*"([^"]*)"\s*\)?', stmt)
        if m:
            out.append(("text", m.group(1).replace("\\n", "\n")))
            continue
        return None
    return out


def perl(spec):
    version = spec.ref.rsplit(":", 1)[-1] if ":" in spec.ref.rsplit("/", 1)[-1] else "5.40.0"
    version = version if re.match(r"\d+\.\d+\.\d+$", version) else "5.40.0"

    def program(proc):
        args = proc.argv[1:]
        newline, code, modules = False, None, []
        i = 0
        while i < len(args):
            a = args[i]
            if a in ("-v", "--version"):
                proc.stdout.write(f"\nThis is perl 5, version {version.split('.')[1]}, subversion "
                                  f"{version.split('.')[2]} (v{version}) built for x86_64-linux-gnu\n")
                return 0
            if a.startswith("-M"):
                modules.append(a[2:])
            elif a.startswith("-") and len(a) > 1:
                flags = a[1:]
                newline = newline or "l" in flags
                if flags.endswith("e"):
                    i += 1
                    code = args[i] if i < len(args) else ""
            else:
                break
            i += 1
        if code is None:
            return 0   # a script file or stdin: nothing modelled to run
        stmts = _statements(code)
        if stmts is None or (any(k == "bpi" for k, _ in stmts) and not any(m.startswith("bignum") for m in modules)):
            proc.stderr.write(f"syntax error at -e line 1, near \"{code[:20]}\"\nExecution of -e aborted due to "
                              "compilation errors.\n")
            return 255
        for kind, value in stmts:
            if kind == "bpi":
                n = int(value)
                yield Sleep(BPI_2000_SECONDS * (n / 2000) ** 2)
                text = pi_digits(n) if n > 0 else "NaN"
            else:
                text = value
            proc.stdout.write(text + ("\n" if newline else ""))
        return 0
    return program
