"""`tkctl apply -f`: make the cluster match the manifests, creating or patching each object.

For every object, in file order:

    GET the live object
      404 -> POST manifest + last-applied annotation          "pod/web created"
      200 -> patch = three-way(last-applied, manifest, live)  (cli/three_way.py)
               empty -> send nothing                          "pod/web unchanged"
               else  -> PATCH merge-patch+json                "pod/web configured"

An object that fails is reported after the others were applied, and the
command exits 1. kubectl sends a strategic merge patch here; why a JSON merge
patch is enough for tinykube is explained in cli/three_way.py.

With --dry-run=server every write carries dryRun=All. With --dry-run=client
nothing is written, and an existing object reads "configured", as kubectl's
does, whatever the patch would have been.
"""

from __future__ import annotations

from typing import Any

import click

from apiclient import ApiClient, ApiStatusError
from cli.dry_run import CLIENT, NONE, WritePrinter, dry_run_option, output_option, params
from cli.encoding import compact_json
from cli.errors import REPORTED, Reported, raise_collected
from cli.manifests import Manifest, read_manifests, settle_namespace
from cli.resources import object_path
from cli.session import Session, pass_session, session_options
from cli.three_way import LAST_APPLIED, last_applied, three_way_merge_patch, with_last_applied

FIELD_MANAGER = "kubectl-client-side-apply"
MERGE_PATCH = "application/merge-patch+json"
WRITE_PARAMS = {"fieldManager": FIELD_MANAGER, "fieldValidation": "Strict"}


@click.command("apply")
@click.option("-f", "--filename", "filenames", multiple=True, required=True,
              help="A manifest file, a directory of them, or - for stdin. Repeatable.")
@click.option("-R", "--recursive", is_flag=True,
              help="With -f DIR: also read the manifests in its subdirectories.")
@dry_run_option
@output_option
@session_options
@pass_session
def apply(session: Session, filenames: tuple[str, ...], recursive: bool, dry_run: str, output: str | None) -> None:
    """Create or update objects from manifests."""
    printer = WritePrinter(output, dry_run)
    manifests = read_manifests(filenames, recursive=recursive)
    client = session.client()
    errors: list[Reported] = []
    for manifest in manifests:
        try:
            outcome, obj = apply_one(client, manifest, session.namespace,
                                     enforced=session.namespace_flag is not None, dry_run=dry_run)
        except REPORTED as error:
            errors.append(error)
            continue
        printer.done(manifest.resource, obj, outcome)
    raise_collected(errors)


def apply_one(client: ApiClient, manifest: Manifest, namespace: str, *, enforced: bool,
              dry_run: str = NONE) -> tuple[str, dict[str, Any]]:
    """Apply one object; returns `created`, `configured` or `unchanged`, and the object as it now is
    (as it would be, for a dry run)."""
    rt = manifest.resource
    object_namespace = settle_namespace(manifest, namespace, enforced=enforced)
    modified = with_last_applied(manifest.body)
    path = object_path(rt, object_namespace, manifest.name)
    write_params = params(dry_run, WRITE_PARAMS)
    try:
        live = client.get_path(path)
    except ApiStatusError as error:
        if not error.not_found:
            raise error.when("retrieving current configuration of", manifest.source) from None
        if dry_run == CLIENT:
            return "created", modified
        try:
            return "created", client.post_path(rt.collection_path(object_namespace), modified, params=write_params)
        except ApiStatusError as create_error:
            raise create_error.when("creating", manifest.source) from None

    original = last_applied(live)
    if original is None:
        click.echo(f"Warning: resource {rt.group_resource}/{manifest.name} is missing the {LAST_APPLIED} "
                   "annotation which is required by tkctl apply. tkctl apply should only be used on resources "
                   "created declaratively by tkctl apply. The missing annotation will be patched automatically.",
                   err=True)
    patch = three_way_merge_patch(original or {}, modified, live)
    if dry_run == CLIENT:
        return "configured", modified
    if not patch:
        return "unchanged", live
    try:
        return "configured", client.patch_path(path, patch, content_type=MERGE_PATCH, params=write_params)
    except ApiStatusError as error:
        raise error.when(_patch_action(manifest, patch, object_namespace), manifest.source) from None


def _patch_action(manifest: Manifest, patch: dict, namespace: str | None) -> str:
    """kubectl's wording for a failed patch, naming the patch and the object."""
    rt = manifest.resource
    return (f"applying patch:\n{compact_json(patch)}\nto:\n"
            f'Resource: "{rt.group}/{rt.version}, Resource={rt.plural}", '
            f'GroupVersionKind: "{rt.group}/{rt.version}, Kind={rt.kind}"\n'
            f'Name: "{manifest.name}", Namespace: "{namespace or ""}"\nfor:')
