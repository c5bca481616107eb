"""`--dry-run=none|client|server` and `-o` on the commands that write, as kubectl reads them.

    client  send nothing; print what would have been sent (-o) or the usual
            sentence with " (dry run)": `pod/web created (dry run)`
    server  send the write with dryRun=All: the master runs every check and
            stores nothing (master/api/dry_run.py); " (server dry run)"

A bare `--dry-run` is kubectl's deprecated spelling of client, with its warning.
With `-o`, a write prints the object (the server's answer, or for client the
object as it would have been sent) instead of the sentence, one YAML document
per object, as kubectl's printers do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from cli.errors import CommandError
from cli.resources import kind_label
from objects.kinds import ResourceType

if TYPE_CHECKING:  # the printers (templates, YAML) load only when -o asks for them
    from cli.printers import TemplatePrinter

NONE, CLIENT, SERVER = "none", "client", "server"
_BARE = "unchanged"  # what a bare --dry-run reads as (kubectl's NoOptDefVal)
SUFFIX = {NONE: "", CLIENT: " (dry run)", SERVER: " (server dry run)"}
SERVER_DRY_RUN_PARAMS = {"dryRun": "All"}


def _strategy(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value == _BARE:
        click.echo("Warning: --dry-run is deprecated and can be replaced with --dry-run=client.", err=True)
        return CLIENT
    if value not in (NONE, CLIENT, SERVER):
        raise CommandError(f'Invalid dry-run value ({value}). Must be "none", "server", or "client".')
    return value


def dry_run_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds `dry_run`: NONE, CLIENT or SERVER."""
    return click.option(
        "--dry-run", "dry_run", is_flag=False, flag_value=_BARE, default=NONE, callback=_strategy,
        metavar="none|client|server",
        help='"client": only print what would be sent; "server": the server checks it and stores nothing.',
    )(command)


def output_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """Adds `output`: the -o a write prints its objects in (json, yaml, name, or a template)."""
    return click.option("-o", "--output", default=None,
                        help="Print the written objects: json|yaml|name|go-template=...|jsonpath=...")(command)


def params(dry_run: str, base: dict[str, str] | None = None) -> dict[str, str]:
    """The query a write sends: `base`, plus dryRun=All for a server dry run."""
    return {**(base or {}), **(SERVER_DRY_RUN_PARAMS if dry_run == SERVER else {})}


class WritePrinter:
    """What a write prints per object: kubectl's sentence, or the object in the -o format."""

    def __init__(self, output: str | None, dry_run: str):
        self.dry_run = dry_run
        self.format: str | TemplatePrinter | None = None
        if output:
            from cli.printers import choose_output
            chosen = choose_output(output, None, no_headers=False, allow_missing_keys=True)
            if chosen in ("", "wide"):  # tables are for get
                raise CommandError(f'unable to match a printer suitable for the output format "{output}"')
            self.format = chosen
        self._printed = 0

    def done(self, resource: ResourceType, obj: dict[str, Any], operation: str, *,
             in_field_order: bool = False) -> None:
        """Print that `obj` was `operation` (created, configured ...), in the chosen form.

        `in_field_order`: `obj` is what kubectl holds as a typed object, whose JSON keeps
        the Go struct's field order (a generator's client dry run); else keys are sorted."""
        # a client dry run of a manifest with only a generateName has no name yet
        reference = f"{kind_label(resource)}/{(obj.get('metadata') or {}).get('name', '')}"
        if self.format is None:
            click.echo(f"{reference} {operation}{SUFFIX[self.dry_run]}")
            return
        from cli.encoding import go_yaml, indented_json
        from cli.printers import render_template
        if self.format == "name":
            click.echo(reference)
        elif self.format == "json":
            click.echo(indented_json(obj, sort_keys=not in_field_order), nl=False)
        elif self.format == "yaml":
            click.echo(("---\n" if self._printed else "") + go_yaml(obj), nl=False)
        else:
            click.echo(render_template(self.format, [obj], single=True), nl=False)
        self._printed += 1
