"""`tkctl create -f`, and the generators `create deployment` and `create namespace`.

`create -f` POSTs each manifest as is (no last-applied annotation); an existing
object is an error. The generators build the object kubectl builds from flags
(`kubectl create deployment web --image=nginx --port=80`) and POST it the same way.
"""

from __future__ import annotations

import re
from typing import Any

import click

from cli.errors import CommandError, ServerError, TkctlError, raise_collected
from cli.manifests import read_manifests, settle_namespace
from cli.resources import kind_label
from cli.session import Session, pass_session, session_options
from objects.kinds import DEPLOYMENT, NAMESPACE

WRITE_PARAMS = {"fieldManager": "kubectl-create", "fieldValidation": "Strict"}


@click.group("create", invoke_without_command=True)
@click.option("-f", "--filename", "filenames", multiple=True,
              help="A manifest file, a directory of them, or - for stdin. Repeatable.")
@click.option("-R", "--recursive", is_flag=True,
              help="With -f DIR: also read the manifests in its subdirectories.")
@session_options
@click.pass_context
def create(ctx: click.Context, filenames: tuple[str, ...], recursive: bool) -> None:
    """Create objects from manifests, or one object from flags (create deployment|namespace)."""
    if ctx.invoked_subcommand is not None:
        return
    if not filenames:
        raise CommandError("must specify one of -f and -k")
    create_from_files(ctx.find_object(Session), filenames, recursive=recursive)


def create_from_files(session: Session, filenames: tuple[str, ...], *, recursive: bool) -> None:
    manifests = read_manifests(filenames, recursive=recursive)
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


@create.command("deployment")
@click.argument("name")
@click.option("--image", "images", multiple=True, required=True, help="Image for a container. Repeatable.")
@click.option("--port", type=int, default=None, help="The containerPort the container exposes.")
@click.option("-r", "--replicas", type=int, default=1, show_default=True)
@session_options
@pass_session
def create_deployment(session: Session, name: str, images: tuple[str, ...], port: int | None, replicas: int) -> None:
    """Create a deployment with the given name, as kubectl create deployment does."""
    if port is not None and len(images) > 1:
        raise CommandError("cannot specify port with multiple images")
    labels = {"app": name}
    containers: list[dict[str, Any]] = []
    for image in images:
        container: dict[str, Any] = {"name": container_name(image), "image": image, "resources": {}}
        if port is not None:
            container["ports"] = [{"containerPort": port}]
        containers.append(container)
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "strategy": {},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}},
    }
    session.client().post(DEPLOYMENT.collection_path(session.namespace), deployment, params=WRITE_PARAMS)
    click.echo(f"{kind_label(DEPLOYMENT)}/{name} created")


@create.command("namespace")
@click.argument("name")
@session_options
@pass_session
def create_namespace(session: Session, name: str) -> None:
    """Create a namespace with the given name."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
    session.client().post(NAMESPACE.collection_path(None), namespace, params=WRITE_PARAMS)
    click.echo(f"{kind_label(NAMESPACE)}/{name} created")


def container_name(image: str) -> str:
    """kubectl names a generated container after its image: the last path part, no tag or digest."""
    base = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-") or "container"
