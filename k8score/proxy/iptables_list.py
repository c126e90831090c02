"""``iptables -L``: rules printed the way iptables lists them (iptables/iptables.c ``print_firewall``).

Per chain a heading — ``Chain PREROUTING (policy ACCEPT)`` for a built-in chain,
``Chain KUBE-SERVICES (2 references)`` for a user chain (rules jumping to it) — then the
column header ``target     prot opt source               destination`` and one line per
rule: target (``%-9s ``), protocol (``%-5s``, ``all`` without ``-p``), options ``--``,
source and destination (``%-19s `` each, ``0.0.0.0/0`` — or ``anywhere`` without ``-n`` —
when the rule has none), then each match and the target's options in iptables' own words
(``/* comment */``, ``tcp dpt:80``, ``statistic mode random probability 0.33333333349``,
``to:10.244.1.3:8080``...). ``--line-numbers`` adds a ``num`` column. Chains are
separated by a blank line.

>>> text = "*nat\\n:KUBE-MARK-MASQ - [0:0]\\n-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\\nCOMMIT\\n"
>>> print(list_chains(text, "nat", "KUBE-MARK-MASQ", numeric=True)[0], end="")
Chain KUBE-MARK-MASQ (0 references)
target     prot opt source               destination         
MARK       all  --  0.0.0.0/0            0.0.0.0/0            MARK or 0x4000
"""

from __future__ import annotations

from .ruleset import Rule, RuleSet

# target %-9s, a space or "!", prot %-5s, "-- ", then source and destination each an
# inversion mark (" " or "!") and %-19s
_HEADER = "target     prot opt source               destination         "


def list_chains(save_text: str, table: str, chain: str | None = None, *, numeric: bool = False,
                line_numbers: bool = False) -> tuple[str, str, int]:
    """``(stdout, stderr, exit code)`` of ``iptables -t TABLE -L [CHAIN]`` on these rules."""
    rs = RuleSet.parse(save_text) if save_text else RuleSet()
    chains = rs.chains(table)
    if not chains:
        # an empty (never used) table still has its built-in chains
        chains = list({"filter": ("INPUT", "FORWARD", "OUTPUT"),
                       "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING")}.get(table, ()))
        if not chains:
            return "", (f"iptables v1.8.10 (legacy): can't initialize iptables table `{table}': "
                        "Table does not exist (do you need to insmod?)\n"), 3
    if chain is not None and chain not in chains:
        return "", "iptables: No chain/target/match by that name.\n", 1
    blocks = []
    for c in [chain] if chain else chains:
        if rs.is_builtin(table, c) or (not rs.has_chain(table, c)):
            head = f"Chain {c} (policy {rs.policies.get(table, {}).get(c, 'ACCEPT')})"
        else:
            refs = sum(1 for other in chains for r in rs.rules(table, other) if r.target == c)
            head = f"Chain {c} ({refs} references)"
        lines = [head, ("num  " if line_numbers else "") + _HEADER]
        for n, rule in enumerate(rs.rules(table, c) if rs.has_chain(table, c) else [], 1):
            lines.append((f"{n:<4} " if line_numbers else "") + _line(rule, numeric))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks), "", 0


def _line(rule: Rule, numeric: bool) -> str:
    anywhere = "0.0.0.0/0" if numeric else "anywhere"
    proto, src, dst, extra = "all", " " + anywhere, " " + anywhere, []
    pinv = " "
    pending_dport = []
    for opt, value, neg in rule.matches:
        bang = "!" if neg else ""
        if opt == "-p":
            proto, pinv = value, bang or " "
        elif opt == "-s":
            src = (bang or " ") + value
        elif opt == "-d":
            dst = (bang or " ") + value
        elif opt in ("--dport", "--sport"):
            pending_dport.append(f"{'dpt' if opt == '--dport' else 'spt'}:{bang}{value}")
        elif opt in ("--dst-type", "--src-type"):
            extra.append(f"ADDRTYPE match {opt[2:]} {bang}{value}")
        elif opt == "--mark":
            extra.append(f"mark match {'! ' if neg else ''}{value}")
        elif opt == "--ctstate":
            extra.append(f"{'! ' if neg else ''}ctstate {value}")
        elif opt == "--probability":
            # xt_statistic stores lround(p * 2^31); iptables prints it back with %.11f
            extra.append(f"statistic mode random probability {round(float(value) * 0x80000000) / 0x80000000:.11f}")
        elif opt == "--match-set":
            extra.append(f"{'! ' if neg else ''}match-set {value}")
        elif opt.startswith("--physdev"):
            extra.append(f"PHYSDEV match {'! ' if neg else ''}{opt}")
        elif opt == "--nfacct-name":
            extra.append(f"nfacct-name  {value}")
        elif opt in ("--name", "--seconds", "--rcheck", "--set", "--reap", "--mode", "--update"):
            continue  # printed together below
        else:
            extra.append(f"{bang}{opt} {value or ''}".strip())
    recent = _recent(rule)
    if recent:
        extra.append(recent)
    if rule.comment is not None:
        extra.insert(0, f"/* {rule.comment} */")
    if pending_dport:
        extra.insert(1 if rule.comment is not None else 0, f"{proto} " + " ".join(pending_dport))
    extra.extend(_target_options(rule))
    target = rule.target or ""
    # xtables extensions print each match with a leading space; the columns keep theirs
    return f"{target:<9} {pinv}{proto:<5}-- {src:<20} {dst:<20} " + "".join(" " + e for e in extra)


def _recent(rule: Rule) -> str:
    opts = {o: v for o, v, _ in rule.matches}
    if "--name" not in opts:
        return ""
    verb = "CHECK" if "--rcheck" in opts else "SET" if "--set" in opts else "UPDATE"
    secs = f" seconds: {opts['--seconds']}" if "--seconds" in opts else ""
    reap = " reap" if "--reap" in opts else ""
    return f"recent: {verb}{secs}{reap} name: {opts['--name']} side: source mask: 255.255.255.255"


def _target_options(rule: Rule) -> list[str]:
    a, t = rule.target_args, rule.target
    if t == "DNAT" and a.get("--to-destination"):
        return [f"to:{a['--to-destination']}"]
    if t == "MARK":
        if "--or-mark" in a:
            return [f"MARK or {a['--or-mark']}"]
        if "--xor-mark" in a:
            return [f"MARK xor {a['--xor-mark']}"]
    if t == "MASQUERADE" and "--random-fully" in a:
        return ["random-fully"]
    if t == "REJECT":
        return [f"reject-with {a.get('--reject-with') or 'icmp-port-unreachable'}"]
    return []
