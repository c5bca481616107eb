"""`tkctl attach (POD | TYPE/NAME) [-c C] [-i] [-t]`: attach to a container's running process, as kubectl does.

kubectl 1.32's steps: find the pod (a workload's most active pod), refuse a
completed one, pick the container (-c, else the default one, saying so), then
settle the terminal: the container's tty decides, not -t (without one, -t is
refused with a message; with one, it is implied), and a terminal is used only
with -i from a terminal. Then "If you don't see a command prompt, try pressing
enter." and the v5.channel.k8s.io stream (cli/remote_command.py): output from
now on, stdin with -i, until the container's process ends or Ctrl-C detaches.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.completion import complete_pod_names
from cli.errors import CommandError
from cli.pods import default_container, fetch_pod, has_container, pod_name
from cli.remote_command import AttachRequest, run_in_this_terminal
from cli.session import Session, pass_session, session_options
from cli.terminal import is_terminal
from objects.kinds import POD
from objects.phases import is_finished_phase

PROMPT_HINT = "If you don't see a command prompt, try pressing enter."


@click.command("attach")
@click.argument("args", nargs=-1, shell_complete=complete_pod_names)
@click.option("-c", "--container", help="The container to attach to (default: the pod's default or first).")
@click.option("-i", "--stdin", "stdin", is_flag=True, help="Pass stdin to the container.")
@click.option("-t", "--tty", "tty", is_flag=True, help="Stdin is a TTY.")
@click.option("-q", "--quiet", is_flag=True, help="Only print output from the remote session.")
@session_options
@pass_session
@click.pass_context
def attach(ctx: click.Context, session: Session, args: tuple[str, ...], container: str | None, stdin: bool,
           tty: bool, quiet: bool) -> None:
    """Attach to a process that is already running inside an existing container."""
    if not args:
        raise CommandError("at least 1 argument is required for attach")
    if len(args) > 2:
        raise CommandError(f"expected POD, TYPE/NAME, or TYPE NAME, (at most 2 arguments) saw {len(args)}: "
                           f"[{' '.join(args)}]")
    warn = (lambda _message: None) if quiet else (lambda message: click.echo(message, err=True))
    target = "/".join(args) if len(args) == 2 else args[0]
    pod = fetch_pod(session.client(), session.namespace, target, warn)
    phase = (pod.get("status") or {}).get("phase")
    if is_finished_phase(phase):
        raise CommandError(f"cannot attach a container in a completed pod; current phase is {phase}")
    spec = _container_spec(pod, container, warn)
    raw = _uses_terminal(spec, stdin=stdin, tty=tty, warn=warn)
    warn(PROMPT_HINT)
    request = AttachRequest(container=spec["name"], stdin=stdin, tty=raw)
    code = _run(session, pod, request)
    if not quiet and stdin and raw and (pod.get("spec") or {}).get("restartPolicy", "Always") == "Always":
        click.echo(f"Session ended, resume using 'tkctl attach {pod_name(pod)} -c {spec['name']} -i -t' command "
                   "when the pod is running")
    if code:
        ctx.exit(code)


def _container_spec(pod: dict[str, Any], name: str | None, warn: Any) -> dict[str, Any]:
    """kubectl's FindOrDefaultContainerByName: -c among every kind of container, else the default one."""
    if name is None:
        name = default_container(pod, warn, warn_about_init=False)
        if name is None:
            raise CommandError(f"cannot attach to the container: pod {pod_name(pod)} has no containers")
    elif not has_container(pod, name):
        raise CommandError(f"cannot attach to the container: container {name} not found in pod {pod_name(pod)}")
    spec = pod.get("spec") or {}
    every = [c for key in ("containers", "initContainers", "ephemeralContainers") for c in spec.get(key) or []]
    return next(c for c in every if c.get("name") == name)


def _uses_terminal(spec: dict[str, Any], *, stdin: bool, tty: bool, warn: Any) -> bool:
    """The container's tty decides; a terminal is used only with -i from a real one (kubectl's SetupTTY)."""
    if tty and not spec.get("tty"):
        warn(f"error: Unable to use a TTY - container {spec['name']} did not allocate one")
        tty = False
    elif spec.get("tty"):
        tty = True  # a container started with a TTY must be attached with one
    if not stdin or not tty:
        return False
    if not is_terminal(sys.stdin):
        warn("Unable to use a TTY - input is not a terminal or the right kind of file")
        return False
    return True


def _run(session: Session, pod: dict[str, Any], request: AttachRequest) -> int:
    namespace = (pod.get("metadata") or {}).get("namespace") or session.namespace
    path = f"{POD.collection_path(namespace)}/{pod_name(pod)}/attach"
    try:
        return run_in_this_terminal(session.connection, path, request)
    except KeyboardInterrupt:
        return 0  # Ctrl-C detaches; the container goes on
