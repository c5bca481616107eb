"""`tkctl top node|pod`: CPU and memory in use, from the metrics.k8s.io API, as `kubectl top` shows them.

The requests and the checks follow kubectl's, in its order:

    1. the flags (--sort-by cpu|memory; a NAME or a selector, not both)
    2. GET /apis: no metrics.k8s.io/v1beta1 there -> `error: Metrics API not available`
    3. GET /apis/metrics.k8s.io/v1beta1/nodes[/NAME] or .../namespaces/NS/pods[/NAME]
    4. nodes: GET /api/v1/nodes[/NAME] for the allocatable the percentages are of;
       pods, when no metrics came back: GET the pods, to tell "not yet" from "none"
    5. the table (cli.metrics_table)
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import click

from apiclient import ApiClient
from cli.durations import format_duration
from cli.errors import CommandError
from cli.metrics_table import render_nodes, render_pods
from cli.session import Session, pass_session, session_options
from objects.kinds import NODE, NODE_METRICS, POD, POD_METRICS
from objects.selectors import parse_label_selector

SORT_FIELDS = ("cpu", "memory")
METRICS_GROUP, METRICS_VERSION = NODE_METRICS.group, NODE_METRICS.version
METRICS_CREATION_DELAY_SECONDS = 120  # kubectl's wait for a new pod's first metrics before it calls them missing
ALIASES = {"nodes": "node", "no": "node", "pods": "pod", "po": "pod"}


class _TopGroup(click.Group):
    """Subcommands answer to kubectl's aliases too (`top nodes`, `top po`)."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))


@click.group("top", cls=_TopGroup)
@session_options
def top() -> None:
    """Display resource (CPU/memory) usage of nodes or pods."""


@top.command("node")
@click.argument("name", required=False)
@click.option("-l", "--selector", default="", help="Label selector, e.g. -l key1=value1,key2=value2.")
@click.option("--sort-by", default="", help="Sort by 'cpu' or 'memory', largest first.")
@click.option("--no-headers", is_flag=True, help="Leave out the header line.")
@click.option("--show-capacity", is_flag=True, help="Percentages of the nodes' capacity instead of allocatable.")
@session_options
@pass_session
def top_node(session: Session, name: str | None, selector: str, sort_by: str, no_headers: bool,
             show_capacity: bool) -> None:
    """Display resource (CPU/memory) usage of nodes."""
    _check_sort_by(sort_by)
    if name and selector:
        raise CommandError("only one of NAME or --selector can be provided")
    selector = _canonical_selector(selector)
    client = session.client()
    _require_metrics_api(client)
    query = {"labelSelector": selector} if selector else None
    if name:
        metrics = [client.get_path(f"{NODE_METRICS.collection_path()}/{name}")]
    else:
        metrics = client.get_path(NODE_METRICS.collection_path(), params=query).get("items") or []
    if not metrics:
        raise CommandError("metrics not available yet")
    nodes = [client.get_path(f"{NODE.collection_path()}/{name}")] if name else \
        client.get_path(NODE.collection_path(), params=query).get("items") or []
    field = "capacity" if show_capacity else "allocatable"
    available = {n["metadata"]["name"]: (n.get("status") or {}).get(field) or {} for n in nodes}
    click.echo(render_nodes(metrics, available, no_headers=no_headers, sort_by=sort_by), nl=False)


@top.command("pod")
@click.argument("name", required=False)
@click.option("-A", "--all-namespaces", is_flag=True, help="Pods of every namespace.")
@click.option("-l", "--selector", default="", help="Label selector, e.g. -l key1=value1,key2=value2.")
@click.option("--field-selector", default="", help="Field selector, e.g. --field-selector metadata.name=web.")
@click.option("--containers", is_flag=True, help="One line per container.")
@click.option("--sort-by", default="", help="Sort by 'cpu' or 'memory', largest first.")
@click.option("--no-headers", is_flag=True, help="Leave out the header line.")
@click.option("--sum", "total", is_flag=True, help="Add the sum of the usage.")
@session_options
@pass_session
def top_pod(session: Session, name: str | None, all_namespaces: bool, selector: str, field_selector: str,
            containers: bool, sort_by: str, no_headers: bool, total: bool) -> None:
    """Display resource (CPU/memory) usage of pods."""
    _check_sort_by(sort_by)
    if name and (selector or field_selector):
        raise CommandError("only one of NAME or selector can be provided")
    selector = _canonical_selector(selector)
    client = session.client()
    _require_metrics_api(client)
    namespace = session.namespace
    query = {key: value for key, value in (("labelSelector", selector), ("fieldSelector", field_selector)) if value}
    collection = POD_METRICS.collection_path(None if all_namespaces else namespace)
    if name:
        metrics = [client.get_path(f"{collection}/{name}")]
    else:
        metrics = client.get_path(collection, params=query).get("items") or []
    if not metrics:
        _explain_no_metrics(client, namespace, name, query)
        click.echo("No resources found" if all_namespaces else f"No resources found in {namespace} namespace.",
                   err=True)
    click.echo(render_pods(metrics, containers=containers, with_namespace=all_namespaces, no_headers=no_headers,
                           sort_by=sort_by, total=total), nl=False)


def _check_sort_by(sort_by: str) -> None:
    if sort_by and sort_by not in SORT_FIELDS:
        raise CommandError("--sort-by accepts only cpu or memory")


def _canonical_selector(selector: str) -> str:
    """Parsed here, as kubectl does, so a bad selector is the client's error, never a request."""
    if not selector:
        return ""
    try:
        return str(parse_label_selector(selector))
    except ValueError as error:
        raise CommandError(str(error)) from None


def _require_metrics_api(client: ApiClient) -> None:
    groups = client.get_path("/apis").get("groups") or []
    for group in groups:
        if group.get("name") == METRICS_GROUP and any(v.get("version") == METRICS_VERSION
                                                      for v in group.get("versions") or []):
            return
    raise CommandError("Metrics API not available")


def _explain_no_metrics(client: ApiClient, namespace: str, name: str | None, query: dict[str, str]) -> None:
    """kubectl's verifyEmptyMetrics: pods older than two minutes should have metrics by now.

    Returns only when there are no such pods at all (kubectl then says "No resources found");
    it looks in the current namespace even with -A, as kubectl does.
    """
    if name:
        pods = [client.get_path(f"{POD.collection_path(namespace)}/{name}")]
    else:
        pods = client.get_path(POD.collection_path(namespace), params=query or None).get("items") or []
        if not pods:
            return
    now = datetime.now(timezone.utc)
    for pod in pods:
        age = (now - _created(pod)).total_seconds()
        if age > METRICS_CREATION_DELAY_SECONDS:
            meta = pod["metadata"]
            raise CommandError(f"Metrics not available for pod {meta.get('namespace')}/{meta['name']}, "
                               f"age: {format_duration(age)}")
    raise CommandError("metrics not available yet")


def _created(pod: dict[str, Any]) -> datetime:
    stamp = (pod.get("metadata") or {}).get("creationTimestamp") or ""
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return datetime.now(timezone.utc)
