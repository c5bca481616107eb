"""`tkctl get KIND[,KIND...] [NAME...]`: list or fetch objects and print them.

Tables come from the server (see cli/printers.py); every other `-o` format
(json, yaml, name, go-template, jsonpath, custom-columns) fetches plain
objects instead. A name that is missing is reported after the output of the
others, and the command then exits 1, as kubectl does.

`--sort-by` orders the rows or objects (cli/sorting.py); `-w` and
`--watch-only` keep printing changes after the listing (cli/watching.py).
`--at-revision N` and `--at TIME|DURATION` show the objects as they were at
that point of the store's history, in every format (cli/history/points.py).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import dataclass
from typing import Any

import click

from apiclient import ApiStatusError
from cli.errors import CommandError, Reported, raise_collected
from cli.history.fetch import exact_query, object_at
from cli.history.points import parse_moment, revision_at
from cli.printers import (PrintFailure, TableOptions, TemplatePrinter, choose_output, render_names, render_objects,
                          render_tables, render_template)
from cli.resources import Target, object_path, parse_targets
from cli.session import Session, pass_session, session_options
from cli.sorting import SortError, UnsortableField, not_found, sort_objects, sort_table
from objects.kinds import ResourceType

OUTPUT_HELP = ("Output format: json, yaml, name, wide, custom-columns=SPEC, custom-columns-file=FILE, "
               "go-template=TEMPLATE, go-template-file=FILE, jsonpath=TEMPLATE, jsonpath-file=FILE, "
               "jsonpath-as-json=TEMPLATE.")


@click.command("get")
@click.argument("args", nargs=-1)
@click.option("-A", "--all-namespaces", is_flag=True, help="List across all namespaces.")
@click.option("-l", "--selector", help="Label selector, e.g. -l app=web,tier!=db.")
@click.option("--field-selector", help="Field selector, e.g. --field-selector status.phase=Running.")
@click.option("-o", "--output", help=OUTPUT_HELP)
@click.option("--template", help="The template (or template file, with a -file format) for -o go-template, "
                                 "jsonpath or custom-columns; alone, it means -o go-template.")
@click.option("--allow-missing-template-keys", type=click.BOOL, is_flag=False, flag_value=True, default=True,
              help="Print nothing for a missing key in a template instead of failing (default true).")
@click.option("--no-headers", is_flag=True, help="Leave out the header line of tables.")
@click.option("--show-labels", is_flag=True, help="Add a LABELS column.")
@click.option("-L", "--label-columns", multiple=True,
              help="Labels to show as columns, e.g. -L app,tier (repeatable; headers are upper-cased).")
@click.option("--sort-by", help="Sort by a JSONPath field, e.g. --sort-by=.metadata.name.")
@click.option("-w", "--watch", is_flag=True, help="After listing, watch for changes.")
@click.option("--watch-only", is_flag=True, help="Watch for changes, without listing first.")
@click.option("--output-watch-events", is_flag=True, help="Show the watch event type (ADDED, MODIFIED, DELETED).")
@click.option("--at-revision", type=int, help="Show the objects as they were at this revision of the cluster.")
@click.option("--at", help="Show the objects as they were at this time: a duration ago (5m) or an RFC 3339 time.")
@session_options
@pass_session
def get(session: Session, args: tuple[str, ...], **flags: Any) -> None:
    """Show one or many objects."""
    given = GetFlags(**flags)
    try:
        if given.watch or given.watch_only:
            _watch(session, args, given)
        else:
            _get(session, args, given, _past_revision(session, given))
    except UnsortableField as fatal:  # kubectl dies with klog's fatal line, not an `error: ...`
        click.echo(str(fatal), err=True)
        click.get_current_context().exit(1)
    except KeyboardInterrupt:  # Ctrl-C ends a watch: kubectl exits 1 and says nothing
        click.get_current_context().exit(1)


@dataclass(frozen=True)
class GetFlags:
    all_namespaces: bool
    selector: str | None
    field_selector: str | None
    output: str | None
    template: str | None
    allow_missing_template_keys: bool
    no_headers: bool
    show_labels: bool
    label_columns: tuple[str, ...]  # as given: `-L a,b -L c`
    sort_by: str | None
    watch: bool
    watch_only: bool
    output_watch_events: bool
    at_revision: int | None
    at: str | None

    def printer(self) -> str | TemplatePrinter:
        return choose_output(self.output, self.template, no_headers=self.no_headers,
                             allow_missing_keys=self.allow_missing_template_keys)

    def query(self) -> dict[str, str]:
        pairs = (("labelSelector", self.selector), ("fieldSelector", self.field_selector))
        return {key: value for key, value in pairs if value}

    def table_options(self, printer: str | TemplatePrinter, *, with_kind: bool) -> TableOptions:
        # `-L a,b -L c` is three columns, as pflag's string slices read it
        labels = tuple(label for value in self.label_columns if value for label in value.split(","))
        return TableOptions(wide=printer == "wide", with_namespace=self.all_namespaces, with_kind=with_kind,
                            no_headers=self.no_headers, show_labels=self.show_labels, label_columns=labels)


def _past_revision(session: Session, flags: GetFlags) -> int | None:
    """The revision --at-revision or --at names, or None for the cluster as it is now."""
    if flags.at_revision is not None and flags.at:
        raise CommandError("--at and --at-revision both name a point of the history: give one")
    if flags.at_revision is not None:
        if flags.at_revision < 1:
            raise CommandError("--at-revision: revisions start at 1")
        return flags.at_revision
    return revision_at(session.client(), parse_moment(flags.at)) if flags.at else None


def _get(session: Session, args: tuple[str, ...], flags: GetFlags, revision: int | None = None) -> None:
    targets = parse_targets(args)
    printer = flags.printer()
    named = any(target.names for target in targets)
    if named and flags.selector:
        raise CommandError("name cannot be provided when a selector is specified")
    if named and flags.all_namespaces:
        raise CommandError("a resource cannot be retrieved by name across all namespaces")
    namespace = None if flags.all_namespaces else session.namespace
    query = flags.query() if revision is None else {**flags.query(), **exact_query(revision)}
    errors: list[Reported] = []

    single = len(targets) == 1 and len(targets[0].names) == 1
    sort_by = None if single else flags.sort_by  # kubectl sorts nothing when one object was named
    if printer in ("", "wide"):
        if sort_by:
            query["includeObject"] = "Object"  # the rows need whole objects to sort by any field
        tables = _fetch_tables(session, targets, namespace, query, errors, revision)
        if sort_by:
            tables = _sorted_tables(tables, targets, sort_by)
        text = render_tables(tables, flags.table_options(printer, with_kind=len(targets) > 1))
        click.echo(text, nl=False)
        if not text and not errors:
            click.echo(_nothing_found(targets, namespace), err=True)
    else:
        found = _fetch_objects(session, targets, namespace, query, errors, revision)
        if sort_by:
            found = sort_objects(found, sort_by)
        if found or not errors:  # when every name was missing, kubectl prints only the errors
            click.echo(_render_objects(printer, found, single=single), nl=False)
    raise_collected(errors)


def _watch(session: Session, args: tuple[str, ...], flags: GetFlags) -> None:
    # imported here, as commands are (cli/main.py): a plain get never pays for loading the watch code
    from cli.watching import ONE_TARGET_ONLY, WatchRequest, check_one_kind, watch

    if flags.at_revision is not None or flags.at:
        raise CommandError("--at and --at-revision show one past moment: they cannot be watched (-w)")
    targets = parse_targets(args)
    printer = flags.printer()
    check_one_kind(targets)
    if len(targets[0].names) > 1:  # kubectl lists them all, and only then refuses to watch them
        if not flags.watch_only:
            _get(session, args, flags)
        raise CommandError(ONE_TARGET_ONLY)
    if targets[0].names and flags.selector:
        raise CommandError("name cannot be provided when a selector is specified")
    request = WatchRequest(targets[0], None if flags.all_namespaces else session.namespace, flags.query(),
                           watch_only=flags.watch_only, output_events=flags.output_watch_events,
                           sort_by=flags.sort_by)
    signal.signal(signal.SIGINT, _end_watch)
    watch(session, request, printer, flags.table_options(printer, with_kind=False))


def _end_watch(_signum: int, _frame: Any) -> None:
    """Ctrl-C ends a watch as kubectl's does: exit 1, saying nothing. At once, with no cleanup: a
    KeyboardInterrupt raised wherever the signal lands (inside the HTTP client, holding its locks)
    could leave the client's close waiting for ever, and the watch would never end."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a write the signal interrupted cannot be flushed again
            stream.flush()
    os._exit(1)


def _sorted_tables(tables: list[tuple[ResourceType, dict[str, Any]]], targets: list[Target],
                   sort_by: str) -> list[tuple[ResourceType, dict[str, Any]]]:
    """Each listed kind's rows sorted on their own. A kind whose rows cannot be sorted prints nothing (kubectl
    then says no resources were found); objects fetched by name cannot be sorted at all in kubectl's tables."""
    if any(target.names for target in targets):
        raise SortError(not_found(sort_by))
    kept = []
    for resource, table in tables:
        try:
            kept.append((resource, sort_table(table, sort_by)))
        except SortError:
            continue
    return kept


def _render_objects(printer: str | TemplatePrinter, found: list[tuple[ResourceType, dict[str, Any]]], *,
                    single: bool) -> str:
    if printer == "name":
        return render_names(found)
    objects = [obj for _, obj in found]
    if isinstance(printer, str):
        return render_objects(objects, printer, single=single)
    try:
        return render_template(printer, objects, single=single)
    except PrintFailure as failure:
        click.echo(failure.output, nl=False)  # what the template wrote before it failed, as kubectl shows it
        raise


def _fetch_tables(session: Session, targets: list[Target], namespace: str | None, query: dict[str, str],
                  errors: list[Reported], revision: int | None) -> list[tuple[ResourceType, dict[str, Any]]]:
    client = session.client()
    tables = []
    for target in targets:
        rt = target.resource
        if not target.names:
            tables.append((rt, client.get_path(rt.collection_path(namespace), params=query, table=True)))
            continue
        combined: dict[str, Any] | None = None
        for name in target.names:
            try:
                if revision is None:
                    table = client.get_path(object_path(rt, namespace, name), table=True)
                else:
                    table = object_at(client, rt, namespace, name, revision, table=True)
            except ApiStatusError as error:
                errors.append(error)
                continue
            if combined is None:
                combined = table
            else:
                combined["rows"].extend(table.get("rows") or [])
        if combined is not None:
            tables.append((rt, combined))
    return tables


def _fetch_objects(session: Session, targets: list[Target], namespace: str | None, query: dict[str, str],
                   errors: list[Reported], revision: int | None) -> list[tuple[ResourceType, dict[str, Any]]]:
    client = session.client()
    found = []
    for target in targets:
        rt = target.resource
        if not target.names:
            listed = client.get_path(rt.collection_path(namespace), params=query)
            found.extend((rt, _typed(rt, item)) for item in listed.get("items") or [])
            continue
        for name in target.names:
            try:
                if revision is None:
                    found.append((rt, _typed(rt, client.get_path(object_path(rt, namespace, name)))))
                else:
                    found.append((rt, object_at(client, rt, namespace, name, revision)))
            except ApiStatusError as error:
                errors.append(error)
    return found


def _typed(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """List items may leave out kind and apiVersion, as the real apiserver does; kubectl fills them in."""
    return {"apiVersion": rt.api_version, "kind": rt.kind, **obj}


def _nothing_found(targets: list[Target], namespace: str | None) -> str:
    if namespace is not None and all(target.resource.namespaced for target in targets):
        return f"No resources found in {namespace} namespace."
    return "No resources found"
