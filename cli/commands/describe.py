"""`tkctl describe KIND [NAME...]`: fetch an object and what relates to it, and print a readable page.

The requests follow kubectl's (see KUBERNETES_API.md §5): the object, then its
events by field selector on the involved object's name, namespace and uid;
for a node also its lease and the pods bound to it, for a deployment its
replica sets, for a replica set or daemon set the pods its selector matches,
for a namespace its resource quotas and limit ranges, for a service its
endpoint slices (by the kubernetes.io/service-name label), and for a pod
tinykube's scheduling explanation (pods/NAME/explanation).
"""

from __future__ import annotations

from typing import Any

import click

from apiclient import ApiClient, ApiStatusError
from cli.completion import complete_kind_then_names
from cli.describers import (describe_daemon_set, describe_deployment, describe_endpoint_slice, describe_endpoints,
                            describe_generic, describe_namespace, describe_node, describe_pod, describe_replica_set,
                            describe_service)
from cli.errors import Reported, raise_collected
from cli.resources import object_path, parse_targets
from cli.session import Session, pass_session, session_options
from objects.endpoints import SERVICE_NAME_LABEL
from objects.kinds import (DAEMONSET, DEPLOYMENT, ENDPOINT_SLICE, ENDPOINTS, EVENT, LEASE, NAMESPACE, NODE, POD,
                           REPLICASET, SERVICE, ResourceType)
from objects.selectors import selector_from_label_selector

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
    errors: list[Reported] = []
    pages: list[str] = []
    for target in parse_targets(args):
        rt = target.resource
        if target.names:
            objects = []
            for name in target.names:
                try:
                    objects.append(client.get_path(object_path(rt, namespace, name)))
                except ApiStatusError as error:
                    errors.append(error)
        else:
            params = {"labelSelector": selector} if selector else None
            objects = client.get_path(rt.collection_path(namespace), params=params).get("items") or []
        pages.extend(render_page(client, rt, obj) for obj in objects)
    if pages:
        click.echo(PAGE_SEPARATOR.join(pages), nl=False)
    elif not errors:
        click.echo(f"No resources found in {namespace} namespace.", err=True)
    raise_collected(errors)


def render_page(client: ApiClient, rt: ResourceType, obj: dict[str, Any]) -> str:
    if rt == NAMESPACE:  # kubectl shows no events for a namespace
        name = obj["metadata"]["name"]
        return describe_namespace(obj, _list_if_served(client, f"/api/v1/namespaces/{name}/resourcequotas"),
                                  _list_if_served(client, f"/api/v1/namespaces/{name}/limitranges"))
    events = _events(client, rt, obj)
    if rt == POD:
        return describe_pod(obj, events, _explanation(client, obj))
    if rt == NODE:
        name = obj["metadata"]["name"]
        # the node lifecycle controller reports under the node's uid, the kubelet under its name
        events += _events(client, rt, obj, uid=name)
        return describe_node(obj, _lease_of(client, name), _pods_on(client, name), events)
    if rt == DEPLOYMENT:
        return describe_deployment(obj, _list_if_served(client, REPLICASET.collection_path(
            obj["metadata"].get("namespace")), selector=_selector_of(obj)), events)
    if rt == REPLICASET:
        return describe_replica_set(obj, _selected_pods(client, obj), events)
    if rt == DAEMONSET:
        return describe_daemon_set(obj, _selected_pods(client, obj), events)
    if rt == SERVICE:
        slices = _list_if_served(client, ENDPOINT_SLICE.collection_path(obj["metadata"].get("namespace")),
                                 selector=f"{SERVICE_NAME_LABEL}={obj['metadata']['name']}") or []
        return describe_service(obj, slices, events)
    if rt == ENDPOINTS:
        return describe_endpoints(obj, events)
    if rt == ENDPOINT_SLICE:
        return describe_endpoint_slice(obj, events)
    return describe_generic(obj, events)


def _events(client: ApiClient, rt: ResourceType, obj: dict[str, Any], *,
            uid: str | None = None) -> list[dict[str, Any]]:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or ""
    selector = [f"involvedObject.name={meta['name']}", f"involvedObject.namespace={namespace}"]
    if rt != POD:
        selector.append(f"involvedObject.kind={rt.kind}")
    selector.append(f"involvedObject.uid={meta.get('uid', '') if uid is None else uid}")
    path = EVENT.collection_path(namespace or None)
    return client.get_path(path, params={"fieldSelector": ",".join(selector)}).get("items") or []


def _explanation(client: ApiClient, pod: dict[str, Any]) -> dict[str, Any] | None:
    """The scheduler's last verdict on the pod; None before its first attempt (or on a server without one)."""
    meta = pod["metadata"]
    try:
        return client.get_path(f"{object_path(POD, meta.get('namespace'), meta['name'])}/explanation")
    except ApiStatusError as error:
        if error.not_found:
            return None
        raise


def _pods_on(client: ApiClient, node_name: str) -> list[dict[str, Any]]:
    selector = f"spec.nodeName={node_name},status.phase!=Succeeded,status.phase!=Failed"
    return client.get_path(POD.collection_path(None), params={"fieldSelector": selector}).get("items") or []


def _lease_of(client: ApiClient, node_name: str) -> dict[str, Any] | str:
    """The node's Lease, or the error kubectl prints in its place."""
    try:
        return client.get_path(object_path(LEASE, "kube-node-lease", node_name))
    except ApiStatusError as error:
        return error.message


def _selector_of(obj: dict[str, Any]) -> str:
    return str(selector_from_label_selector((obj.get("spec") or {}).get("selector")))


def _selected_pods(client: ApiClient, obj: dict[str, Any]) -> list[dict[str, Any]]:
    path = POD.collection_path(obj["metadata"].get("namespace"))
    return client.get_path(path, params={"labelSelector": _selector_of(obj)}).get("items") or []


def _list_if_served(client: ApiClient, path: str, *, selector: str | None = None) -> list[dict[str, Any]] | None:
    """The items, or None from a server that does not serve the kind (kubectl leaves the section out)."""
    try:
        return client.get_path(path, params={"labelSelector": selector} if selector else None).get("items") or []
    except ApiStatusError as error:
        if error.not_found:
            return None
        raise
