"""`tkctl taint nodes NODE key=value:Effect ... key:Effect- ...`: change the taints on nodes.

    fetch each node (named, -l or --all)
    without --overwrite: a taint to add whose key and effect the node has is refused
    new list = taints added + the node's others - taints removed (cli/taint_specs.py)
    merge patch spec.taints  -> `node/node-1 tainted` | `untainted` | `modified`
"""

from __future__ import annotations

import click

from cli.dry_run import CLIENT, dry_run_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.metadata_changes import split_resources_and_changes
from cli.selection import fetch_selected
from cli.session import Session, pass_session, session_options
from cli.taint_specs import Taint, existing_conflicts, is_taint_spec, parse_taint_specs, reorganize
from objects.kinds import NODE

MERGE_PATCH = "application/merge-patch+json"


@click.command("taint")
@click.argument("args", nargs=-1)
@click.option("--overwrite", is_flag=True, help="Replace the value of a taint the node already has.")
@click.option("-l", "--selector", help="Taint the nodes with these labels.")
@click.option("--all", "select_all", is_flag=True, help="Taint every node.")
@dry_run_option
@session_options
@pass_session
def taint(session: Session, args: tuple[str, ...], overwrite: bool, selector: str | None, select_all: bool,
          dry_run: str) -> None:
    """Update the taints on nodes."""
    resources, specs = split_resources_and_changes(args, is_change=is_taint_spec, noun="taint")
    try:
        to_add, to_remove = parse_taint_specs(specs)
    except CommandError as error:  # kubectl reports a bad spec as a usage error
        raise CommandError(f"{error}\nSee 'tkctl taint -h' for help and examples") from None
    if select_all and selector:
        raise CommandError("setting 'all' parameter with a label selector is not allowed")
    if not resources:
        raise CommandError("one or more resources must be specified as <resource> <name>")
    if not to_add and not to_remove:
        raise CommandError("at least one taint update is required")

    errors: list[Reported] = []
    for node in fetch_selected(session, resources, errors, selector=selector, select_all=select_all):
        if node.resource != NODE:
            errors.append(CommandError(f"invalid resource type {node.resource.plural}, only node types are supported"))
            continue
        current = [Taint.from_json(t) for t in (node.obj.get("spec") or {}).get("taints") or []]
        try:
            if not overwrite:
                conflicts = existing_conflicts(current, to_add)
                if conflicts:
                    raise CommandError(f"node {node.name} already has {','.join(conflicts)} taint(s) with same "
                                       "effect(s) and --overwrite is false")
            outcome, new = reorganize(current, to_add, to_remove, overwrite=overwrite)
            taints = [t.as_json() for t in new] or None
            if dry_run != CLIENT:  # kubectl's taint says no "(dry run)"
                session.client().patch_path(node.path, {"spec": {"taints": taints}}, content_type=MERGE_PATCH,
                                       params=params(dry_run))
        except REPORTED as error:
            errors.append(error)
            continue
        click.echo(f"{node.reference} {outcome}")
    raise_collected(errors)
