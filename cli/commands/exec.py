"""`tkctl exec POD [-c C] [-i] [-t] -- COMMAND...`: run a command in a container, as kubectl does.

kubectl's steps: GET the pod, refuse a completed one, default the container
(the server validates `-c`), then open the WebSocket (cli/remote_command.py)
and leave with the remote command's exit code, saying
`command terminated with exit code N` when it is not 0.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.completion import complete_pod_names
from cli.errors import CommandError
from cli.pods import default_container, fetch_pod, pod_name
from cli.remote_command import ExecRequest, run_in_this_terminal
from cli.session import Session, pass_session, session_options
from cli.terminal import is_terminal
from objects.kinds import POD
from objects.phases import is_finished_phase

DASH = "--"
SEE_HELP = "See 'tkctl exec -h' for help and examples"


class CommandAfterDash(click.Command):
    """Keeps what follows `--` apart: kubectl needs to know whether the command came after it."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if DASH in args:
            at = args.index(DASH)
            ctx.meta["after_dash"] = args[at + 1:]
            args = args[:at]
        else:
            ctx.meta["after_dash"] = None
        return super().parse_args(ctx, args)


@click.command("exec", cls=CommandAfterDash)
@click.argument("args", nargs=-1, shell_complete=complete_pod_names)
@click.option("-c", "--container", help="The container to run in (default: the pod's first).")
@click.option("-i", "--stdin", "stdin", is_flag=True, help="Pass stdin to the command.")
@click.option("-t", "--tty", "tty", is_flag=True, help="Give the command a terminal (with -i, from a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print only the command's output.")
@session_options
@pass_session
@click.pass_context
def exec_(ctx: click.Context, session: Session, args: tuple[str, ...], container: str | None, stdin: bool,
          tty: bool, quiet: bool) -> None:
    """Run a command in a container."""
    target, command = _target_and_command(args, ctx.meta["after_dash"])
    warn = (lambda _message: None) if quiet else (lambda message: click.echo(message, err=True))
    pod = fetch_pod(session.client(), session.namespace, target, warn)
    phase = (pod.get("status") or {}).get("phase")
    if is_finished_phase(phase):
        raise CommandError(f"cannot exec into a container in a completed pod; current phase is {phase}")
    if container is None:
        container = default_container(pod, warn, warn_about_init=False)
    raw = _uses_terminal(stdin=stdin, tty=tty, warn=warn)
    request = ExecRequest(command=command, container=container, stdin=stdin, tty=raw)
    code = _run(session, pod, request)
    if code:
        if not quiet:
            click.echo(f"command terminated with exit code {code}", err=True)
        ctx.exit(code)


def _target_and_command(args: tuple[str, ...], after_dash: list[str] | None) -> tuple[str, list[str]]:
    """kubectl 1.32's rules: `POD -- COMMAND`; the old `POD COMMAND` is refused (names before `--`
    after the first are ignored, as kubectl ignores them)."""
    if not args:
        raise CommandError("pod, type/name or --filename must be specified")
    if after_dash is None and len(args) > 1:
        raise CommandError(f"exec [POD] [COMMAND] is not supported anymore. "
                           f"Use exec [POD] -- [COMMAND] instead\n{SEE_HELP}")
    if not after_dash:
        raise CommandError("you must specify at least one command for the container")
    return args[0], after_dash


def _uses_terminal(*, stdin: bool, tty: bool, warn: Any) -> bool:
    """kubectl's SetupTTY: a TTY only with -i, -t and a terminal on stdin."""
    if not (stdin and tty):
        return False
    if not is_terminal(sys.stdin):
        warn("Unable to use a TTY - input is not a terminal or the right kind of file")
        return False
    return True


def _run(session: Session, pod: dict[str, Any], request: ExecRequest) -> int:
    namespace = (pod.get("metadata") or {}).get("namespace") or session.namespace
    path = f"{POD.collection_path(namespace)}/{pod_name(pod)}/exec"
    return run_in_this_terminal(session.connection, path, request)
