"""`tkctl why TYPE/NAME` (or `TYPE NAME`): why an object is in its state, from the component that decided.

    tkctl why pod/web-1                 the page: state, then each deciding component's part
    tkctl why deploy web -o yaml        the answer as the server sent it (objects.why.Why); json,
                                        jsonpath=, go-template= and custom-columns= read it as get's do
    tkctl why node/node-2 -w            the page again on every change, ticking its countdowns
    tkctl why svc/web                   the pods its selector picks, which serve, and why the others do not
    tkctl why pods [-A]                 one line for each pod that is not Running and Ready

Everything comes from `GET .../{name}/why` (see docs/why.md); the pieces are in cli/why/.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

import click

from apiclient import ApiStatusError
from cli.completion import complete_kind_then_names
from cli.errors import CommandError, Reported, raise_collected
from cli.printers import (COLUMNS_FORMATS, JSONPATH_FORMATS, TEMPLATE_FORMATS, PrintFailure, TemplatePrinter,
                          choose_output, render_objects, render_template)
from cli.resources import Target, parse_targets
from cli.session import Session, pass_session, session_options
from cli.terminal import is_terminal, size
from cli.why.countdowns import Clock
from cli.why.fetch import Answer, explained_kind, fetch_why
from cli.why.listing import explain_each, nothing_to_explain, pods_to_explain, render_listing
from cli.why.page import render_why
from objects.kinds import POD

OUTPUTS = ("json", "yaml", *TEMPLATE_FORMATS, *JSONPATH_FORMATS, *COLUMNS_FORMATS)  # the page stands for a table
PAGE_SEPARATOR = "\n\n"
ONE_OBJECT_TO_WATCH = "you may only watch a single resource or type of resource at a time"


@click.command("why")
@click.argument("args", nargs=-1, required=True, shell_complete=complete_kind_then_names)
@click.option("-A", "--all-namespaces", is_flag=True, help="With `why pods`: the pods of every namespace.")
@click.option("-o", "--output", help="Output format: json, yaml (the answer as the server sent it), "
                                    "jsonpath=TEMPLATE, go-template=TEMPLATE, custom-columns=SPEC.")
@click.option("-w", "--watch", is_flag=True, help="Show the page again on every change, until Ctrl-C.")
@session_options
@pass_session
def why(session: Session, args: tuple[str, ...], all_namespaces: bool, output: str | None, watch: bool) -> None:
    """Explain why an object is in its state, and what would change it."""
    printer = _printer(output)
    targets = parse_targets(args)
    for target in targets:
        explained_kind(target.resource.plural)
    named = [(target, name) for target in targets for name in target.names]
    if named and all_namespaces:
        raise CommandError("a resource cannot be retrieved by name across all namespaces")
    if watch:
        if len(named) != 1 or len(targets) != 1:
            raise CommandError(ONE_OBJECT_TO_WATCH)
        _watch(session, targets[0], printer)
    elif not named:
        _list_pods(session, targets, None if all_namespaces else session.namespace, printer)
    else:
        _explain(session, named, printer)


def _printer(output: str | None) -> str | TemplatePrinter:
    """The page (""), or the printer `get -o` would use; get's tables and names have no Why to show."""
    if not output:
        return ""
    if output.partition("=")[0] not in OUTPUTS:
        raise CommandError(f'unable to match a printer suitable for the output format "{output}", '
                           f"allowed formats are: {','.join(sorted(OUTPUTS))}")
    return choose_output(output, None, no_headers=False, allow_missing_keys=True)


def _documents(printer: str | TemplatePrinter, answers: list[Answer], *, single: bool) -> str:
    """The answers as sent, printed as `get -o` prints objects: the one asked for, or a List."""
    wires = [answer.wire for answer in answers]
    if isinstance(printer, str):
        return render_objects(wires, printer, single=single)
    try:
        return render_template(printer, wires, single=single)
    except PrintFailure as failure:
        click.echo(failure.output, nl=False)  # what the template wrote before it failed, as kubectl shows it
        raise


def _explain(session: Session, named: list[tuple[Target, str]], printer: str | TemplatePrinter) -> None:
    client = session.client()
    answers: list[Answer] = []
    errors: list[Reported] = []
    for target, name in named:
        try:
            answers.append(fetch_why(client, target.resource, session.namespace, name))
        except ApiStatusError as error:
            errors.append(error)
    if printer:
        if answers:
            click.echo(_documents(printer, answers, single=len(named) == 1), nl=False)
    elif answers:
        click.echo(PAGE_SEPARATOR.join(render_why(a.why, Clock(a.why)) for a in answers), nl=False)
    raise_collected(errors)


def _list_pods(session: Session, targets: list[Target], namespace: str | None,
               printer: str | TemplatePrinter) -> None:
    if [target.resource for target in targets] != [POD]:
        raise CommandError("tkctl why lists only pods: name the object, e.g. tkctl why node/NAME")
    client = session.client()
    pods, total = pods_to_explain(client, namespace)
    errors: list[Reported] = []
    answers = explain_each(client, pods, errors)
    if printer:
        click.echo(_documents(printer, answers, single=False), nl=False)
    elif answers:
        click.echo(render_listing(answers, with_namespace=namespace is None), nl=False)
    elif not errors:
        click.echo(nothing_to_explain(namespace, pods=total), err=True)
    raise_collected(errors)


def _watch(session: Session, target: Target, printer: str | TemplatePrinter) -> None:
    # imported here, as commands are (cli/main.py): a plain why never loads the watch threads
    from cli.why.watching import ChangeFeed, Display, sources_of, watch_why

    client = session.client()
    resource, name = target.resource, target.names[0]
    namespace = session.namespace if resource.namespaced else None
    signal.signal(signal.SIGINT, _end_watch)
    feed = ChangeFeed(client, sources_of(resource, namespace, name)).start()
    terminal = size(sys.stdout) if is_terminal(sys.stdout) else None
    display = Display(sys.stdout, printer=printer, terminal=terminal is not None,
                      height=terminal[1] if terminal else None)
    watch_why(lambda: fetch_why(client, resource, namespace, name), feed, display)


def _end_watch(_signum: int, _frame: Any) -> None:
    """Ctrl-C ends the watch: the page stays as the last answer left it, and tkctl exits 0. At once,
    as `get -w` does (cli/commands/get.py): a KeyboardInterrupt raised inside the HTTP client, which
    holds its locks, could leave the watch threads' streams waiting for ever."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)
