"""`tkctl create -f`: POST each manifest as is (no last-applied annotation); an existing object is an error."""

from __future__ import annotations

import click

from cli.errors import ServerError, TkctlError, raise_collected
from cli.manifests import read_manifests, settle_namespace
from cli.resources import kind_label
from cli.session import Session, pass_session, session_options

WRITE_PARAMS = {"fieldManager": "kubectl-create", "fieldValidation": "Strict"}


@click.command("create")
@click.option("-f", "--filename", "filenames", multiple=True, required=True,
              help="A manifest file, a directory of them, or - for stdin. Repeatable.")
@session_options
@pass_session
def create(session: Session, filenames: tuple[str, ...]) -> None:
    """Create objects from manifests."""
    manifests = read_manifests(filenames)
    client = session.client()
    errors: list[TkctlError] = []
    for manifest in manifests:
        try:
            namespace = settle_namespace(manifest, session.namespace, enforced=session.namespace_flag is not None)
            created = client.post(manifest.resource.collection_path(namespace), manifest.body, params=WRITE_PARAMS)
        except ServerError as error:
            errors.append(error.when("creating", manifest.source))
            continue
        except TkctlError as error:
            errors.append(error)
            continue
        name = (created.get("metadata") or {}).get("name") or manifest.name
        click.echo(f"{kind_label(manifest.resource)}/{name} created")
    raise_collected(errors)
