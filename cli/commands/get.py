"""`tkctl get KIND[,KIND...] [NAME...]`: list or fetch objects and print them.

Tables come from the server (see cli/printers.py); every other `-o` format
(json, yaml, name, go-template, jsonpath, custom-columns) fetches plain
objects instead. A name that is missing is reported after the output of the
others, and the command then exits 1, as kubectl does.
"""

from __future__ import annotations

from typing import Any

import click

from cli.errors import CommandError, ServerError, TkctlError, raise_collected
from cli.printers import (PrintFailure, TableOptions, TemplatePrinter, choose_output, render_names, render_objects,
                          render_tables, render_template)
from cli.resources import Target, object_path, parse_targets
from cli.session import Session, pass_session, session_options
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
@session_options
@pass_session
def get(session: Session, args: tuple[str, ...], all_namespaces: bool, selector: str | None,
        field_selector: str | None, output: str | None, template: str | None, allow_missing_template_keys: bool,
        no_headers: bool, show_labels: bool) -> None:
    """Show one or many objects."""
    targets = parse_targets(args)
    printer = choose_output(output, template, no_headers=no_headers,
                            allow_missing_keys=allow_missing_template_keys)
    named = any(target.names for target in targets)
    if named and selector:
        raise CommandError("name cannot be provided when a selector is specified")
    if named and all_namespaces:
        raise CommandError("a resource cannot be retrieved by name across all namespaces")
    namespace = None if all_namespaces else session.namespace
    query = {key: value for key, value in (("labelSelector", selector), ("fieldSelector", field_selector)) if value}
    errors: list[TkctlError] = []

    single = len(targets) == 1 and len(targets[0].names) == 1
    if printer in ("", "wide"):
        tables = _fetch_tables(session, targets, namespace, query, errors)
        options = TableOptions(wide=printer == "wide", with_namespace=all_namespaces, with_kind=len(targets) > 1,
                               no_headers=no_headers, show_labels=show_labels)
        text = render_tables(tables, options)
        click.echo(text, nl=False)
        if not text and not errors:
            click.echo(_nothing_found(targets, namespace), err=True)
    else:
        found = _fetch_objects(session, targets, namespace, query, errors)
        if found or not errors:  # when every name was missing, kubectl prints only the errors
            click.echo(_render_objects(printer, found, single=single), nl=False)
    raise_collected(errors)


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
                  errors: list[TkctlError]) -> list[tuple[ResourceType, dict[str, Any]]]:
    client = session.client()
    tables = []
    for target in targets:
        rt = target.resource
        if not target.names:
            tables.append((rt, client.get(rt.collection_path(namespace), params=query, table=True)))
            continue
        combined: dict[str, Any] | None = None
        for name in target.names:
            try:
                table = client.get(object_path(rt, namespace, name), table=True)
            except ServerError as error:
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
                   errors: list[TkctlError]) -> list[tuple[ResourceType, dict[str, Any]]]:
    client = session.client()
    found = []
    for target in targets:
        rt = target.resource
        if not target.names:
            listed = client.get(rt.collection_path(namespace), params=query)
            found.extend((rt, _typed(rt, item)) for item in listed.get("items") or [])
            continue
        for name in target.names:
            try:
                found.append((rt, _typed(rt, client.get(object_path(rt, namespace, name)))))
            except ServerError as error:
                errors.append(error)
    return found


def _typed(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    """List items may leave out kind and apiVersion, as the real apiserver does; kubectl fills them in."""
    return {"apiVersion": rt.api_version, "kind": rt.kind, **obj}


def _nothing_found(targets: list[Target], namespace: str | None) -> str:
    if namespace is not None and all(target.resource.namespaced for target in targets):
        return f"No resources found in {namespace} namespace."
    return "No resources found"
