"""The container shell: busybox ash semantics on the virtual clock.

Upstream: busybox ``shell/ash.c`` (``ash_vmsg`` message prefix, ``evalcommand`` statuses,
``raise_error_unexpected_syntax`` texts, ``errmsg``), ``coreutils/cat.c``/``libbb`` messages,
``coreutils/date.c`` default format; PID-1 signal rules from ``pid_namespaces(7)``.
"""

from __future__ import annotations

import pytest

from k8score.container.fs import FileSystem
from k8score.container.process import SIGKILL, SIGTERM, Proc, Process
from k8score.container.shell import COMMAND_COST, PROGRAMS, spawner
from k8score.sim import Loop

EPOCH = 1795892400.0   # 2026-11-28T19:00:00Z


def start(argv, *, spawn=True, pid1=True, loop=None, fs=None, env=None):
    loop = loop or Loop(0)
    fs = fs or FileSystem(clock=lambda: loop.now)
    proc = Proc(argv, fs=fs, clock=lambda: loop.now, epoch=EPOCH, env=env or {"HOME": "/root"},
                spawn=spawner(loop) if spawn else None)
    p = Process(loop, PROGRAMS[argv[0].rsplit("/", 1)[-1]], proc, pid1=pid1).start()
    return p, loop, fs


def sh(script, *, until=60.0, **kw):
    p, loop, fs = start(["sh", "-c", script], **kw)
    loop.run(until=until, predicate=lambda: p.exit_code is not None)
    return p


def out(p):
    return p.proc.stdout.getvalue()


def err(p):
    return p.proc.stderr.getvalue()


@pytest.mark.parametrize("spawn", [True, False])
def test_exit_status_and_not_found(spawn):
    assert sh("exit 3", spawn=spawn).exit_code == 3
    assert sh("false", spawn=spawn).exit_code == 1
    p = sh("foo bar", spawn=spawn)
    assert (p.exit_code, err(p)) == (127, "sh: foo: not found\n")
    # argv[0] is ash's arg0: the message names /bin/sh when invoked as /bin/sh
    p, loop, _ = start(["/bin/sh", "-c", "nope; echo after $?"], spawn=spawn)
    loop.run(until=1)
    assert (p.exit_code, err(p), out(p)) == (0, "/bin/sh: nope: not found\n", "after 127\n")


def test_echo_redirect_then_cat_and_missing_file():
    p = sh("echo hi > /tmp/x && cat /tmp/x; echo more >> /tmp/x; cat /tmp/x")
    assert out(p) == "hi\nhi\nmore\n"
    p = sh("cat /tmp/nope")
    assert (p.exit_code, err(p)) == (1, "cat: can't open '/tmp/nope': No such file or directory\n")
    p = sh("cat /tmp/nope 2>/dev/null || echo fallback")
    assert (p.exit_code, err(p), out(p)) == (0, "", "fallback\n")
    p = sh("echo x > /nope/dir/f; echo $?")
    assert err(p) == "sh: can't create /nope/dir/f: nonexistent directory\n" and out(p) == "1\n"
    p = sh("cat < /missing")
    assert (p.exit_code, err(p)) == (1, "sh: can't open /missing: no such file\n")


def test_stderr_redirections():
    p = sh("echo e >&2; echo o 2>&1; cat /none 2>&1; ls /none 2>/dev/null; echo $?")
    assert out(p) == "o\ncat: can't open '/none': No such file or directory\n1\n"
    assert err(p) == "e\n"


def test_and_or_short_circuit_and_status():
    p = sh("false && echo no; true || echo no; false || echo a && echo b; true && false || echo c; echo $?")
    assert out(p) == "a\nb\nc\n0\n"
    p = sh("! true; echo $?; ! false; echo $?")
    assert out(p) == "1\n0\n"


def test_quoting_and_expansion():
    p = sh("""x='a  b'; echo $x "$x" '$x' \\$x "\\$x" ${x}c "${y:-dflt}" ${#x}; echo "it's" 'say "hi"'""")
    assert out(p) == 'a b a  b $x $x $x a bc dflt 4\nit\'s say "hi"\n'
    p = sh('set -- one "two three"; echo $#; for a in "$@"; do echo "[$a]"; done; echo $0', env={})
    assert out(p) == "2\n[one]\n[two three]\nsh\n"
    p = sh('f=/tmp/a.log; echo ${f##*/} ${f%.log} ${f#/} $((3 * (2 + 1) - 10 / 3))')
    assert out(p) == "a.log /tmp/a tmp/a.log 6\n"


def test_command_substitution_status_and_subshell():
    p = sh('x=$(echo hi; exit 4); echo "$x $?"; y=`echo b`; echo $y; (z=1; exit 2); echo "$? [$z]"')
    assert out(p) == "hi 4\nb\n2 []\n"
    p = sh('echo "$(echo a; echo b)" | wc -l')
    assert out(p) == "2\n"


def test_loops_if_case():
    p = sh('i=0; while [ $i -lt 3 ]; do echo $i; i=$((i+1)); done; '
           'until [ $i -eq 0 ]; do i=$((i-1)); done; echo i=$i; '
           'for n in 1 2 3 4; do [ $n = 2 ] && continue; [ $n = 4 ] && break; echo n$n; done')
    assert out(p) == "0\n1\n2\ni=0\nn1\nn3\n"
    p = sh('for x in a.txt b.log; do case $x in *.txt) echo T;; *.log|*.out) echo L;; esac; done; '
           'if [ -d /tmp ]; then echo dir; elif true; then echo no; else echo no; fi; '
           'if false; then :; else echo else; fi')
    assert out(p) == "T\nL\ndir\nelse\n"


def test_syntax_errors_exit_2_with_ash_messages():
    p = sh("if true; then echo x")
    assert (p.exit_code, err(p), out(p)) == (2, 'sh: syntax error: unexpected end of file (expecting "fi")\n', "")
    p = sh("echo first\nfi")
    assert (p.exit_code, out(p), err(p)) == (2, "first\n", 'sh: syntax error: unexpected "fi"\n')
    p = sh("echo 'unterminated")
    assert (p.exit_code, err(p)) == (2, "sh: syntax error: unterminated quoted string\n")


def test_builtin_errors():
    p = sh("cd /nope; echo $?")
    assert err(p) == "sh: cd: line 1: can't cd to /nope: No such file or directory\n" and out(p) == "2\n"
    p = sh("echo a\nexit abc\necho b")
    assert (p.exit_code, out(p), err(p)) == (2, "a\n", "sh: exit: line 2: Illegal number: abc\n")
    p = sh('mkdir -p /w/d && cd /w/d && pwd && cd .. && echo $PWD')
    assert out(p) == "/w/d\n/w\n"


def test_every_simple_command_costs_one_millisecond():
    p = sh(":; :; true; echo x")
    assert p.finished_at == pytest.approx(4 * COMMAND_COST)
    # a busy loop advances the clock, so it can be killed
    p, loop, _ = start(["sh", "-c", "while true; do :; done"])
    loop.run(until=2.0)
    assert p.exit_code is None and loop.now == 2.0
    p.signal(SIGKILL)
    assert (p.exit_code, p.signalled) == (137, SIGKILL)


@pytest.mark.parametrize("argv", [["sleep", "3600"], ["sh", "-c", "sleep 3600"]])
def test_sleep_as_pid1_ignores_sigterm_then_sigkill_137(argv):
    p, loop, _ = start(argv)
    loop.run(until=10)
    assert p.signal(SIGTERM) is False
    loop.run(until=40)
    assert p.exit_code is None
    p.signal(SIGKILL)
    assert (p.exit_code, p.finished_at) == (137, 40.0)


def test_sleep_not_pid1_dies_of_sigterm_143():
    p, loop, _ = start(["sh", "-c", "sleep 3600"], pid1=False)
    loop.run(until=1)
    p.signal(SIGTERM)
    assert p.exit_code == 143


@pytest.mark.parametrize("spawn", [True, False])
def test_trap_exit_on_sigterm_after_the_foreground_sleep(spawn):
    p, loop, _ = start(["sh", "-c", "trap 'echo bye; exit 0' TERM; while true; do sleep 1; done"], spawn=spawn)
    loop.run(until=10.5)
    assert p.signal(SIGTERM) is True
    assert p.exit_code is None                  # the trap waits for `sleep 1` to finish
    loop.run(until=20, predicate=lambda: p.exit_code is not None)
    assert (p.exit_code, out(p)) == (0, "bye\n")
    assert 10.5 < p.finished_at <= 11.5


def test_trap_reset_and_ignore():
    p, loop, _ = start(["sh", "-c", "trap 'exit 9' TERM; trap - TERM; sleep 100"])
    loop.run(until=1)
    assert p.signal(SIGTERM) is False          # PID 1 without a handler again
    p, loop, _ = start(["sh", "-c", "trap '' TERM; sleep 100; echo done"], pid1=False)
    loop.run(until=1)
    p.signal(SIGTERM)
    loop.run(until=200)
    assert (p.exit_code, out(p)) == (0, "done\n")


def test_trap_interrupts_wait_and_exit_trap_runs():
    p, loop, _ = start(["sh", "-c", "trap 'echo term' TERM; trap 'echo exiting' EXIT; "
                        "sleep 100 & wait; echo status=$?"])
    loop.run(until=5)
    p.signal(SIGTERM)
    loop.run(until=6)
    assert (p.exit_code, out(p)) == (0, "term\nstatus=143\nexiting\n")


def test_liveness_exec_example_timeline():
    """docs: tasks/configure-pod-container/configure-liveness-readiness-startup-probes (exec)."""
    p, loop, fs = start(["/bin/sh", "-c", "touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600"])
    loop.run(until=10)
    assert fs.exists("/tmp/healthy")
    loop.run(until=31)
    assert not fs.exists("/tmp/healthy")
    assert p.exit_code is None
    loop.run(until=700)
    assert p.exit_code == 0


def test_date_default_format_and_counter_example():
    p = sh("date; date +%Y-%m-%dT%H:%M:%S%z; date -u +%s")
    assert out(p) == "Sat Nov 28 19:00:00 UTC 2026\n2026-11-28T19:00:00+0000\n1795892400\n"
    # docs: concepts/cluster-administration/logging (counter)
    p, loop, _ = start(["/bin/sh", "-c", 'i=0; while true; do echo "$i: $(date)"; i=$((i+1)); sleep 1; done'])
    loop.run(until=2.5)
    assert out(p).splitlines() == ["0: Sat Nov 28 19:00:00 UTC 2026", "1: Sat Nov 28 19:00:01 UTC 2026",
                                   "2: Sat Nov 28 19:00:02 UTC 2026"]


def test_background_job_and_kill():
    p = sh("sleep 5 & pid=$!; kill $pid; wait $pid; echo killed=$?; sleep 2 & wait; echo done")
    assert out(p) == "killed=143\ndone\n"
    # 6 commands in this shell; `sleep 2 &` costs its 1 ms in the background shell, which
    # starts at 4 ms: its sleep ends at 2.005, `wait` returns, `echo done` ends at 2.006
    assert p.finished_at == pytest.approx(2.006, abs=1e-6)
    p = sh("kill 4242")
    assert (p.exit_code, err(p)) == (1, "sh: can't kill pid 4242: No such process\n")


def test_export_env_and_errexit():
    p = sh("A=1; export B=2; C=3 env | grep -E '^[ABC]='", env={})
    assert out(p) == "B=2\nC=3\n"
    p = sh("set -e; echo a; false; echo b")
    assert (p.exit_code, out(p)) == (1, "a\n")
    p = sh("set -e; if false; then :; fi; false || true; echo ok")
    assert (p.exit_code, out(p)) == (0, "ok\n")
