"""`tkctl cordon NODE` and `tkctl uncordon NODE`: mark a node (un)schedulable through `spec.unschedulable`.

The scheduler leaves a cordoned node out of its filter stage; the pods already
there keep running (`drain` is what moves them). A node already in the wanted
state is not written to: `node/node-1 already cordoned`.
"""

from __future__ import annotations

import click

from apiclient import ApiClient
from cli.dry_run import CLIENT, NONE, SUFFIX, dry_run_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.selection import LiveObject, fetch_selected
from cli.session import Session, pass_session, session_options

MERGE_PATCH = "application/merge-patch+json"


def set_schedulable(client: ApiClient, node: LiveObject, *, cordoned: bool, dry_run: str = NONE) -> str:
    """Cordon or uncordon one node; returns kubectl's words for what happened (`cordoned (dry run)`)."""
    verb = "cordoned" if cordoned else "uncordoned"
    if bool((node.obj.get("spec") or {}).get("unschedulable")) == cordoned:
        return f"already {verb}{SUFFIX[dry_run]}"
    if dry_run != CLIENT:
        client.patch_path(node.path, {"spec": {"unschedulable": True if cordoned else None}}, content_type=MERGE_PATCH,
                     params=params(dry_run))
    return f"{verb}{SUFFIX[dry_run]}"


def _node_command(name: str, *, cordoned: bool) -> click.Command:
    @click.command(name)
    @click.argument("nodes", nargs=-1)
    @click.option("-l", "--selector", help="Act on the nodes with these labels.")
    @dry_run_option
    @session_options
    @pass_session
    def command(session: Session, nodes: tuple[str, ...], selector: str | None, dry_run: str) -> None:
        if not nodes and not selector:
            raise CommandError(f"USAGE: {name} NODE [flags]\nSee 'tkctl {name} -h' for help and examples")
        errors: list[Reported] = []
        for node in fetch_selected(session, ("nodes", *nodes), errors, selector=selector):
            try:
                outcome = set_schedulable(session.client(), node, cordoned=cordoned, dry_run=dry_run)
                click.echo(f"{node.reference} {outcome}")
            except REPORTED as error:
                errors.append(error)
        raise_collected(errors)

    command.help = f"Mark nodes as {'un' if cordoned else ''}schedulable."
    return command


cordon = _node_command("cordon", cordoned=True)
uncordon = _node_command("uncordon", cordoned=False)
