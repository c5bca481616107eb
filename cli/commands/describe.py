"""`tkctl describe KIND [NAME...]`: fetch an object and what relates to it, and print a readable page.

The requests follow kubectl's (see KUBERNETES_API.md §5): the object, then its
events by field selector on the involved object's name, namespace and uid;
for a node also the pods bound to it, for a deployment its replica sets, and
for a pod tinykube's scheduling explanation (pods/NAME/explanation).
"""

from __future__ import annotations

from typing import Any

import click

from cli.client import ApiClient
from cli.completion import complete_kind_then_names
from cli.describers import describe_deployment, describe_generic, describe_node, describe_pod
from cli.errors import ServerError, TkctlError, raise_collected
from cli.resources import object_path, parse_targets
from cli.session import Session, pass_session, session_options
from objects.kinds import DEPLOYMENT, EVENT, NODE, POD, REPLICASET, ResourceType

PAGE_SEPARATOR = "\n\n"


@click.command("describe")
@click.argument("args", nargs=-1, required=True, shell_complete=complete_kind_then_names)
@click.option("-l", "--selector", help="Describe the objects of KIND with these labels.")
@session_options
@pass_session
def describe(session: Session, args: tuple[str, ...], selector: str | None) -> None:
    """Show the details of objects, with their events."""
    client = session.client()
    namespace = session.namespace
    errors: list[TkctlError] = []
    pages: list[str] = []
    for target in parse_targets(args):
        rt = target.resource
        if target.names:
            objects = []
            for name in target.names:
                try:
                    objects.append(client.get(object_path(rt, namespace, name)))
                except ServerError as error:
                    errors.append(error)
        else:
            params = {"labelSelector": selector} if selector else None
            objects = client.get(rt.collection_path(namespace), params=params).get("items") or []
        pages.extend(render_page(client, rt, obj) for obj in objects)
    if pages:
        click.echo(PAGE_SEPARATOR.join(pages), nl=False)
    elif not errors:
        click.echo(f"No resources found in {namespace} namespace.", err=True)
    raise_collected(errors)


def render_page(client: ApiClient, rt: ResourceType, obj: dict[str, Any]) -> str:
    events = _events(client, rt, obj)
    if rt == POD:
        return describe_pod(obj, events, _explanation(client, obj))
    if rt == NODE:
        return describe_node(obj, _pods_on(client, obj["metadata"]["name"]), events)
    if rt == DEPLOYMENT:
        return describe_deployment(obj, _replica_sets_of(client, obj), events)
    return describe_generic(obj, events)


def _events(client: ApiClient, rt: ResourceType, obj: dict[str, Any]) -> list[dict[str, Any]]:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or ""
    selector = [f"involvedObject.name={meta['name']}", f"involvedObject.namespace={namespace}"]
    if rt != POD:
        selector.append(f"involvedObject.kind={rt.kind}")
    selector.append(f"involvedObject.uid={meta.get('uid', '')}")
    path = EVENT.collection_path(namespace or None)
    return client.get(path, params={"fieldSelector": ",".join(selector)}).get("items") or []


def _explanation(client: ApiClient, pod: dict[str, Any]) -> dict[str, Any] | None:
    """The scheduler's last verdict on the pod; None before its first attempt (or on a server without one)."""
    meta = pod["metadata"]
    try:
        return client.get(f"{object_path(POD, meta.get('namespace'), meta['name'])}/explanation")
    except ServerError as error:
        if error.not_found:
            return None
        raise


def _pods_on(client: ApiClient, node_name: str) -> list[dict[str, Any]]:
    selector = f"spec.nodeName={node_name},status.phase!=Succeeded,status.phase!=Failed"
    return client.get(POD.collection_path(None), params={"fieldSelector": selector}).get("items") or []


def _replica_sets_of(client: ApiClient, deployment: dict[str, Any]) -> list[dict[str, Any]]:
    match_labels = ((deployment.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    selector = ",".join(f"{key}={value}" for key, value in sorted(match_labels.items()))
    path = REPLICASET.collection_path(deployment["metadata"].get("namespace"))
    try:
        return client.get(path, params={"labelSelector": selector}).get("items") or []
    except ServerError as error:
        if error.not_found:  # kubectl tolerates a server without replica sets
            return []
        raise
