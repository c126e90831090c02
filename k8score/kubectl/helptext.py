"""Help texts kubectl prints for a parent command given no subcommand.

cobra's help template (kubectl/pkg/util/templates) over each command's Long, Example and
subcommands; kubectl/pkg/cmd/rollout/rollout.go's Run is ``cmdutil.DefaultSubCommandRun``:
the help on stdout and exit code 1. The texts are what the kubectl v1.37.1 binary prints
(``kubectl rollout``), kept byte for byte: cobra's template leaves the blanks of indented
lines in Long/Example, so some lines end in spaces.
"""

from __future__ import annotations

#: ``kubectl rollout`` (rollout.go rolloutLong, rolloutExample, rolloutValidResources)
ROLLOUT = (
    'Manage the rollout of one or many resources.\n'
    '        \n'
    ' Valid resource types include:\n'
    '\n'
    '  *  deployments\n'
    '  *  daemonsets\n'
    '  *  statefulsets\n'
    '\n'
    'Examples:\n'
    '  # Rollback to the previous deployment\n'
    '  kubectl rollout undo deployment/abc\n'
    '  \n'
    '  # Check the rollout status of a daemonset\n'
    '  kubectl rollout status daemonset/foo\n'
    '  \n'
    '  # Restart a deployment\n'
    '  kubectl rollout restart deployment/abc\n'
    '  \n'
    "  # Restart deployments with the 'app=nginx' label\n"
    '  kubectl rollout restart deployment --selector=app=nginx\n'
    '\n'
    'Available Commands:\n'
    '  history       View rollout history\n'
    '  pause         Mark the provided resource as paused\n'
    '  restart       Restart a resource\n'
    '  resume        Resume a paused resource\n'
    '  status        Show the status of the rollout\n'
    '  undo          Undo a previous rollout\n'
    '\n'
    'Usage:\n'
    '  kubectl rollout SUBCOMMAND [options]\n'
    '\n'
    'Use "kubectl rollout <command> --help" for more information about a given command.\n'
    'Use "kubectl options" for a list of global command-line options (applies to all commands).\n'
)

__all__ = ["ROLLOUT"]
