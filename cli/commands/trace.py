"""`tkctl trace TYPE/NAME`: the causal tree through an object, from a person's command to running containers.

    tkctl trace deployment/web              the tree: each write under the one it reacted to,
                                            with who wrote it and how long after its cause
    tkctl trace node/node-2 --since 10m     only writes of the last ten minutes (default: 1 h,
                                            the log's default retention)
    tkctl trace pod/web-1 -o json           the Trace as the server sent it

The server builds the tree from its revision log (`GET {object}/trace`,
docs/history.md); cli/history/tree.py draws it.
"""

from __future__ import annotations

import click

from cli.completion import complete_kind_then_names
from cli.errors import CommandError
from cli.history.fetch import object_trace
from cli.history.points import parse_moment, rfc3339
from cli.history.subject import one_object
from cli.history.tree import render_trace
from cli.printers import render_objects
from cli.session import Session, pass_session, session_options

DEFAULT_SINCE = "1h"  # the master keeps an hour of history unless told otherwise (--history-age)
OUTPUTS = ("json", "yaml")


@click.command("trace")
@click.argument("args", nargs=-1, shell_complete=complete_kind_then_names)
@click.option("--since", default=DEFAULT_SINCE, show_default=True,
              help="Only writes newer than this: a duration (10m) or an RFC 3339 time.")
@click.option("-o", "--output", help="Output format: json or yaml (the Trace as the server sent it).")
@session_options
@pass_session
def trace(session: Session, args: tuple[str, ...], since: str, output: str | None) -> None:
    """Show what led to an object's state and what followed from it, write by write."""
    if output and output not in OUTPUTS:
        raise CommandError(f'unable to match a printer suitable for the output format "{output}", '
                           f"allowed formats are: {','.join(OUTPUTS)}")
    resource, name = one_object(args, "trace")
    namespace = session.namespace if resource.namespaced else None
    answer = object_trace(session.client(), resource, namespace, name, since=rfc3339(parse_moment(since)))
    if output:
        click.echo(render_objects([answer.wire], output, single=True), nl=False)
    else:
        click.echo(render_trace(answer.model, namespace=session.namespace), nl=False)
