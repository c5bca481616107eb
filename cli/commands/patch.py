"""`tkctl patch KIND NAME -p PATCH [--type strategic|merge|json]`: send a patch the server applies.

    read the patch (-p or --patch-file; YAML or JSON, sent as JSON)
    GET each object, PATCH it with the content type of --type
        -> `pod/web patched`, or `pod/web patched (no change)` when the object came back identical

The server implements all three patch kinds; tkctl only chooses the content type.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from cli.dry_run import NONE, SERVER, WritePrinter, dry_run_option, output_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.selection import fetch_selected
from cli.session import Session, pass_session, session_options

PATCH_CONTENT_TYPES = {
    "json": "application/json-patch+json",
    "merge": "application/merge-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}
FIELD_MANAGER = "kubectl-patch"


@click.command("patch")
@click.argument("args", nargs=-1)
@click.option("-p", "--patch", "patch_text", help="The patch, as JSON or YAML.")
@click.option("--patch-file", help="A file holding the patch.")
@click.option("--type", "patch_type", default="strategic", help="strategic (default), merge or json.")
@click.option("-f", "--filename", "filenames", multiple=True, help="Patch the objects in these manifests.")
@dry_run_option
@output_option
@session_options
@pass_session
def patch(session: Session, args: tuple[str, ...], patch_text: str | None, patch_file: str | None,
          patch_type: str, filenames: tuple[str, ...], dry_run: str, output: str | None) -> None:
    """Update fields of objects with a strategic merge, JSON merge or JSON patch."""
    body = _read_patch(patch_text, patch_file)
    if patch_type not in PATCH_CONTENT_TYPES:
        raise CommandError(f'--type must be one of [json merge strategic], not "{patch_type}"')
    # kubectl's patch says no "(dry run)"; a client dry run applies the patch locally, which the
    # server's dry run does for us exactly, storing nothing
    printer = WritePrinter(output, NONE)
    errors: list[Reported] = []
    for live in fetch_selected(session, args, errors, filenames=filenames):
        try:
            patched = session.client().patch_path(live.path, body, content_type=PATCH_CONTENT_TYPES[patch_type],
                                             params=params(SERVER if dry_run != NONE else NONE,
                                                           {"fieldManager": FIELD_MANAGER}))
        except REPORTED as error:
            errors.append(error)
            continue
        printer.done(live.resource, patched, "patched" + ("" if patched != live.obj else " (no change)"))
    raise_collected(errors)


def _read_patch(patch_text: str | None, patch_file: str | None) -> Any:
    if patch_text and patch_file:
        raise CommandError("cannot specify --patch and --patch-file together")
    if patch_file:
        try:
            patch_text = Path(patch_file).read_text()
        except OSError as error:
            raise CommandError(f"unable to read patch file: open {patch_file}: {error.strerror.lower()}") from None
    if not patch_text:
        raise CommandError("must specify --patch or --patch-file containing the contents of the patch")
    try:
        return yaml.safe_load(patch_text)  # JSON is YAML; kubectl converts YAML patches to JSON the same way
    except yaml.YAMLError as error:
        raise CommandError(f"unable to parse \"{patch_text}\": yaml: {error}") from None
