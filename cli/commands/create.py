"""`tkctl create -f`, and the generators `create deployment` and `create namespace`.

`create -f` POSTs each manifest as is (no last-applied annotation); an existing
object is an error. The generators build the object kubectl builds from flags
(`kubectl create deployment web --image=nginx --port=80`) and POST it the same way.
"""

from __future__ import annotations

import re
from typing import Any

import click

from apiclient import ApiStatusError
from cli.dry_run import CLIENT, WritePrinter, dry_run_option, output_option, params
from cli.errors import REPORTED, CommandError, Reported, raise_collected
from cli.manifests import read_manifests, settle_namespace
from cli.session import Session, pass_session, session_options
from objects.kinds import DEPLOYMENT, NAMESPACE, ResourceType

WRITE_PARAMS = {"fieldManager": "kubectl-create", "fieldValidation": "Strict"}


@click.group("create", invoke_without_command=True)
@click.option("-f", "--filename", "filenames", multiple=True,
              help="A manifest file, a directory of them, or - for stdin. Repeatable.")
@click.option("-R", "--recursive", is_flag=True,
              help="With -f DIR: also read the manifests in its subdirectories.")
@dry_run_option
@output_option
@session_options
@click.pass_context
def create(ctx: click.Context, filenames: tuple[str, ...], recursive: bool, dry_run: str,
           output: str | None) -> None:
    """Create objects from manifests, or one object from flags (create deployment|namespace)."""
    if ctx.invoked_subcommand is not None:
        return
    if not filenames:
        raise CommandError("must specify one of -f and -k")
    create_from_files(ctx.find_object(Session), filenames, recursive=recursive,
                      printer=WritePrinter(output, dry_run))


def create_from_files(session: Session, filenames: tuple[str, ...], *, recursive: bool,
                      printer: WritePrinter) -> None:
    manifests = read_manifests(filenames, recursive=recursive)
    errors: list[Reported] = []
    for manifest in manifests:
        try:
            namespace = settle_namespace(manifest, session.namespace, enforced=session.namespace_flag is not None)
            created = _create(session, manifest.resource, namespace, manifest.body, printer.dry_run)
        except ApiStatusError as error:
            errors.append(error.when("creating", manifest.source))
            continue
        except REPORTED as error:
            errors.append(error)
            continue
        printer.done(manifest.resource, created, "created")
    raise_collected(errors)


def _create(session: Session, resource: ResourceType, namespace: str | None, body: dict[str, Any],
            dry_run: str) -> dict[str, Any]:
    """POST `body`, or for a client dry run only say what would have been posted."""
    if dry_run == CLIENT:
        return body
    return session.client().post_path(resource.collection_path(namespace), body, params=params(dry_run, WRITE_PARAMS))


@create.command("deployment")
@click.argument("name")
@click.option("--image", "images", multiple=True, required=True, help="Image for a container. Repeatable.")
@click.option("--port", type=int, default=None, help="The containerPort the container exposes.")
@click.option("-r", "--replicas", type=int, default=1, show_default=True)
@dry_run_option
@output_option
@session_options
@pass_session
def create_deployment(session: Session, name: str, images: tuple[str, ...], port: int | None, replicas: int,
                      dry_run: str, output: str | None) -> None:
    """Create a deployment with the given name, as kubectl create deployment does."""
    if port is not None and len(images) > 1:
        raise CommandError("cannot specify port with multiple images")
    labels = {"app": name}
    containers: list[dict[str, Any]] = []
    for image in images:
        container: dict[str, Any] = {"name": container_name(image), "image": image}
        if port is not None:
            container["ports"] = [{"containerPort": port}]
        container["resources"] = {}
        containers.append(container)
    # in the Go struct's field order, which `-o json` of a client dry run shows; an explicit -n is written in
    deployment = {
        "kind": "Deployment", "apiVersion": "apps/v1",
        "metadata": {"name": name, **({"namespace": session.namespace_flag} if session.namespace_flag else {}),
                     "labels": labels},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels},
                 "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}, "strategy": {}},
    }
    printer = WritePrinter(output, dry_run)
    printer.done(DEPLOYMENT, _generated(session, DEPLOYMENT, deployment, dry_run), "created",
                 in_field_order=dry_run == CLIENT)


@create.command("namespace")
@click.argument("name")
@dry_run_option
@output_option
@session_options
@pass_session
def create_namespace(session: Session, name: str, dry_run: str, output: str | None) -> None:
    """Create a namespace with the given name."""
    namespace = {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name}}
    printer = WritePrinter(output, dry_run)
    printer.done(NAMESPACE, _generated(session, NAMESPACE, namespace, dry_run), "created",
                 in_field_order=dry_run == CLIENT)


def _generated(session: Session, resource: ResourceType, obj: dict[str, Any], dry_run: str) -> dict[str, Any]:
    """Create what a generator built. A client dry run shows it as kubectl prints its typed objects:
    in field order, every empty struct present (`creationTimestamp: null`, `spec: {}`, `status: {}`)."""
    if dry_run != CLIENT:
        return _create(session, resource, session.namespace if resource.namespaced else None, obj, dry_run)
    meta = obj["metadata"]
    placed = {key: meta[key] for key in ("name", "namespace") if key in meta}
    shown = {**obj, "metadata": {**placed, "creationTimestamp": None, **meta},
             "spec": obj.get("spec") or {}, "status": {}}
    template = shown["spec"].get("template")
    if template is not None:
        shown["spec"] = {**shown["spec"], "template": {**template, "metadata": {"creationTimestamp": None,
                                                                                **template["metadata"]}}}
    return shown


def container_name(image: str) -> str:
    """kubectl names a generated container after its image: the last path part, no tag or digest."""
    base = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-") or "container"
