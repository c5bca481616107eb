"""`tkctl replace -f FILE`: PUT each manifest over the live object, which must exist.

    manifest without a resourceVersion -> GET the live one and send it along
        (so the PUT replaces what is there now, as kubectl's --overwrite default does)
    PUT                                                         "pod/web replaced"
    --force: DELETE, wait until gone, POST                      `pod "web" deleted`, "pod/web replaced"

A manifest carrying a stale resourceVersion is the server's Conflict, in kubectl's words.
"""

from __future__ import annotations

import time
from typing import Any

import click

from apiclient import ApiClient, ApiStatusError
from cli import progress
from cli.dry_run import CLIENT, NONE, WritePrinter, dry_run_option, output_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.manifests import Manifest, read_manifests, settle_namespace
from cli.resources import kind_label, object_path
from cli.session import Session, pass_session, session_options

WRITE_PARAMS = {"fieldManager": "kubectl-replace", "fieldValidation": "Strict"}
POLL_INTERVAL_SECONDS = 0.2


@click.command("replace")
@click.option("-f", "--filename", "filenames", multiple=True, help="The manifests to replace the objects with.")
@click.option("-R", "--recursive", is_flag=True,
              help="With -f DIR: also read the manifests in its subdirectories.")
@click.option("--force", is_flag=True, help="Delete the objects and create them again from the manifests.")
@click.option("--grace-period", type=int, default=-1, help="With --force: seconds the old object gets to end.")
@click.option("--timeout", type=float, default=60.0, help="With --force: seconds to wait for the deletion.")
@dry_run_option
@output_option
@session_options
@pass_session
def replace(session: Session, filenames: tuple[str, ...], recursive: bool, force: bool, grace_period: int,
            timeout: float, dry_run: str, output: str | None) -> None:
    """Replace objects by their manifests."""
    if not filenames:
        raise CommandError("must specify one of -f and -k")
    if force and dry_run != NONE:
        raise CommandError("--dry-run can not be used when --force is set")
    printer = WritePrinter(output, dry_run)
    client = session.client()
    errors: list[Reported] = []
    for manifest in read_manifests(filenames, recursive=recursive):
        try:
            namespace = settle_namespace(manifest, session.namespace, enforced=session.namespace_flag is not None)
            if force:
                _delete_and_wait(client, manifest, namespace, grace_period=grace_period, timeout=timeout)
                replaced = client.post_path(manifest.resource.collection_path(namespace), manifest.body,
                                       params=WRITE_PARAMS)
            elif dry_run == CLIENT:
                replaced = manifest.body
            else:
                replaced = _put(client, manifest, namespace, dry_run)
        except ApiStatusError as error:
            errors.append(error.when("replacing", manifest.source))
            continue
        except REPORTED as error:
            errors.append(error)
            continue
        printer.done(manifest.resource, replaced, "replaced")
    raise_collected(errors)


def _put(client: ApiClient, manifest: Manifest, namespace: str | None, dry_run: str) -> dict[str, Any]:
    path = object_path(manifest.resource, namespace, manifest.name)
    body: dict[str, Any] = manifest.body
    if not (body.get("metadata") or {}).get("resourceVersion"):
        live = client.get_path(path)
        body["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"]
    return client.put_path(path, body, params=params(dry_run, WRITE_PARAMS))


def _delete_and_wait(client: ApiClient, manifest: Manifest, namespace: str | None, *, grace_period: int,
                     timeout: float) -> None:
    path = object_path(manifest.resource, namespace, manifest.name)
    options: dict[str, Any] = {"propagationPolicy": "Background"}
    if grace_period >= 0:
        options["gracePeriodSeconds"] = grace_period
    try:
        deleted = client.delete_path(path, options)
    except ApiStatusError as error:
        if not error.not_found:
            raise
    else:
        click.echo(f'{kind_label(manifest.resource)} "{manifest.name}" deleted')
        uid = (deleted.get("metadata") or {}).get("uid")
        with progress.waiting(f"waiting for {kind_label(manifest.resource)}/{manifest.name} to be deleted"):
            _wait_until_gone(client, path, uid, timeout=timeout)
    metadata = manifest.body.setdefault("metadata", {})
    metadata.pop("resourceVersion", None)  # a fresh object: the old version would be refused
    metadata.pop("uid", None)


def _wait_until_gone(client: ApiClient, path: str, uid: str | None, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while client.exists(path, uid=uid):
        if time.monotonic() >= deadline:
            raise CommandError("timed out waiting for the condition")
        time.sleep(POLL_INTERVAL_SECONDS)
