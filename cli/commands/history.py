"""`tkctl history`: the revisions the store kept, of one object or of the whole cluster.

    tkctl history deployment/web            a block per revision: when, who, in reaction to
                                            what, the writer's note, the fields it changed
    tkctl history deployment/web -o yaml    the RevisionList as the server sent it
    tkctl history --cluster [--since 5m]    the cluster's log, a line per revision
    tkctl history --cluster --follow        ... and every new revision as it is written
    tkctl history (TYPE/NAME | --cluster) --step
                                            one revision per key press (cli/history/stepping.py)

The revisions come from `GET {object}/history` and `GET .../revisions`
(docs/history.md); the rendering is in cli/history/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

import click

from apiclient import ApiClient
from cli.completion import complete_kind_then_names
from cli.errors import CommandError
from cli.history.blocks import history_page, log_header, log_line
from cli.history.fetch import each_revision, find_revision, object_history
from cli.history.following import follow
from cli.history.points import parse_moment, rfc3339
from cli.history.stepping import HELP, Stepper, step_through
from cli.history.subject import one_object
from cli.printers import render_objects
from cli.session import Session, pass_session, session_options
from cli.terminal import is_terminal
from objects.revisions import API_VERSION, Revision

OUTPUTS = ("json", "yaml")


@click.command("history")
@click.argument("args", nargs=-1, shell_complete=complete_kind_then_names)
@click.option("--cluster", is_flag=True, help="The whole cluster's log, one line per revision.")
@click.option("--since", help="Only revisions newer than this: a duration (5m) or an RFC 3339 time.")
@click.option("-f", "--follow", is_flag=True, help="With --cluster: keep printing new revisions, until Ctrl-C.")
@click.option("--step", is_flag=True, help="One revision per key press: space/enter/j next, k previous, q quit.")
@click.option("-o", "--output", help="Output format: json or yaml (the RevisionList as the server sent it).")
@session_options
@pass_session
def history(session: Session, args: tuple[str, ...], cluster: bool, since: str | None, follow: bool, step: bool,
            output: str | None) -> None:
    """Show how an object (or the cluster) got here: every kept revision, who wrote it and why."""
    _check_flags(args, cluster=cluster, follow=follow, step=step, output=output)
    since_time = rfc3339(parse_moment(since)) if since else None
    client = session.client()
    if cluster:
        newer = _cluster_log(client, since_time)
        if step:
            _step(client, newer(0), newer)
        elif output:
            click.echo(render_objects([_revision_list(newer(0))], output, single=True), nl=False)
        else:
            _print_log(newer, keep_following=follow)
        return
    resource, name = one_object(args, "history")
    namespace = session.namespace if resource.namespaced else None
    answer = object_history(client, resource, namespace, name, since=since_time)
    if not answer.model.items and not since:  # the log serves deleted objects too: none at all is a wrong name
        raise CommandError(f'no revision of {resource.group_resource} "{name}" is kept: it never existed '
                           f"{'in ' + namespace + ' ' if namespace else ''}or went before the retention")
    if output:
        click.echo(render_objects([answer.wire], output, single=True), nl=False)
        return

    def newer(after: int) -> list[Revision]:
        """The object's revisions after `after`, asked afresh each time the reader steps past the newest
        (even from an empty window, which a cached answer would keep empty)."""
        fresh = object_history(client, resource, namespace, name, since=since_time)
        return [item for item in fresh.model.items if item.revision > after]

    if step:
        _step(client, list(answer.model.items), newer)
    else:
        click.echo(history_page(answer.model.items), nl=False)


def _check_flags(args: tuple[str, ...], *, cluster: bool, follow: bool, step: bool, output: str | None) -> None:
    if cluster and args:
        raise CommandError("--cluster shows every object: give it no TYPE/NAME")
    if not cluster and not args:
        raise CommandError("tkctl history needs TYPE/NAME (e.g. deployment/web) or --cluster")
    if follow and not cluster:
        raise CommandError("--follow follows the cluster's log: use it with --cluster")
    if output and output not in OUTPUTS:
        raise CommandError(f'unable to match a printer suitable for the output format "{output}", '
                           f"allowed formats are: {','.join(OUTPUTS)}")
    if step and (follow or output):
        raise CommandError("--step shows one revision at a time: it takes neither --follow nor -o")


def _cluster_log(client: ApiClient, since: str | None) -> Callable[[int], list[Revision]]:
    """The cluster's revisions after a given one (and after --since), without their objects."""
    return lambda after: list(each_revision(client, since_revision=after, since=since, objects=False))


def _revision_list(revisions: list[Revision]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": "RevisionList", "metadata": {},
            "items": [revision.to_wire() for revision in revisions]}


def _print_log(newer: Callable[[int], list[Revision]], *, keep_following: bool) -> None:
    if keep_following:
        signal.signal(signal.SIGINT, _end_follow)
    click.echo(log_header(), nl=False)
    last = 0
    for revision in newer(0):
        click.echo(log_line(revision), nl=False)
        last = revision.revision
    if keep_following:
        follow(newer, after=last, write=lambda text: click.echo(text, nl=False),
               warn=lambda text: click.echo(text, nl=False, err=True))


def _step(client: ApiClient, revisions: list[Revision], newer: Callable[[int], list[Revision]]) -> None:
    click.echo(HELP, err=True)
    stepper = Stepper(revisions, newer=newer, find=lambda revision: find_revision(client, revision))
    step_through(stepper, read_key=_key_reader(), write=lambda text: click.echo(text, nl=False))


def _key_reader() -> Callable[[], str | None]:
    """A key at a time at a terminal; a line at a time from a pipe. None when the keys run out."""
    if is_terminal(sys.stdin):
        def key() -> str | None:
            try:
                return click.getchar()
            except (KeyboardInterrupt, EOFError):
                return None
        return key

    def line() -> str | None:
        read = sys.stdin.readline()
        return read.rstrip("\r\n") if read else None
    return line


def _end_follow(_signum: int, _frame: Any) -> None:
    """Ctrl-C ends --follow quietly, exit 0. At once, as `get -w` does (cli/commands/get.py): a
    KeyboardInterrupt raised inside the HTTP client, which holds its locks, could hang its close."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)
