"""The metrics.k8s.io/v1beta1 group, read-only: NodeMetrics and PodMetrics from the kubelets' live usage.

    kubectl top ──> master  GET /apis/metrics.k8s.io/v1beta1/[namespaces/NS/]nodes|pods[/NAME]
                      │ asks every Ready node's kubelet at once, SCRAPE_TIMEOUT_SECONDS at most
                      └──> kubelet  GET /stats/summary (node token)  ──> one usage sample per container
                    <── NodeMetricsList / PodMetricsList, shaped as metrics-server answers

This is metrics-server folded into the API server, without its cache: each
request asks the kubelets afresh, so it takes about the engine's sampling
second. As in metrics-server, a node that does not answer in time is left out
(and so are its pods), only Running pods are reported, selectors apply to the
Node and Pod objects, and a name without metrics is NotFound
(`nodes.metrics.k8s.io "x" not found`). Quantities are printed as
metrics-server prints them: CPU in nano-cores ("1234567n", "12m"), memory in
binary units ("12345Ki").

`window` is the span a CPU rate was averaged over: the Docker engine computes
every rate over its one-second sampling interval (kubelet.runtime.docker_stats),
so it is always WINDOW.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import Response

from master.api import status
from master.api.fields import FieldSelectorError, parse_field_selector
from master.api.node_proxy import KubeletEndpoint, node_kubelet_endpoint
from master.api.registry import Registry, rfc3339
from master.api.request_info import RequestInfo
from master.api.resources import JSONBody
from master.auth import User, authorize
from objects.kinds import METRICS_KINDS, NODE, NODE_METRICS, POD, POD_METRICS, ResourceType
from objects.quantity import byte_quantity, nano_quantity
from objects.selectors import parse_label_selector

log = logging.getLogger(__name__)

GROUP = "metrics.k8s.io"
SCRAPE_TIMEOUT_SECONDS = 5.0  # the engine samples for about a second; a loaded node gets some slack
SUMMARY_PATH = "/stats/summary"
WINDOW = "1s"

Summaries = dict[str, dict[str, Any]]  # node name -> that kubelet's /stats/summary JSON


async def serve_metrics(request: Request, info: RequestInfo, user: User, registry: Registry) -> Response:
    """Any request under /apis/metrics.k8s.io/{version}/ that names a resource."""
    rt = next((k for k in METRICS_KINDS if k.version == info.version and k.plural == info.resource), None)
    if rt is None or info.subresource or (info.namespace is not None and not rt.namespaced):
        raise status.not_found_path()
    query = request.query_params
    verb = _verb(request.method, named=info.name is not None, watch=query.get("watch") in ("true", "1"))
    denial = authorize(user, verb=verb, group=GROUP, resource=rt.plural, subresource="", namespace=info.namespace,
                       name=info.name, field_selector=query.get("fieldSelector"))
    if denial is not None:
        raise status.forbidden(denial, rt, info.name or "")
    if verb not in rt.verbs:
        raise status.method_not_supported(rt.kind, verb)

    # As for any get, selectors narrow lists only.
    matches = _selector(POD if rt is POD_METRICS else NODE, query.get("labelSelector"), query.get("fieldSelector")) \
        if info.name is None else (lambda _obj: True)
    token = request.app.state.kubelet_token
    if rt is NODE_METRICS:
        items = await _node_items(registry, info.name, matches, token)
    else:
        items = await _pod_items(registry, info.namespace, info.name, matches, token)
    if info.name is None:
        return JSONBody({"kind": rt.list_kind, "apiVersion": rt.api_version, "metadata": {}, "items": items})
    if not items:
        raise status.not_found(rt, f"{info.namespace}/{info.name}" if rt.namespaced else info.name)
    return JSONBody({"kind": rt.kind, "apiVersion": rt.api_version, **items[0]})


async def _node_items(registry: Registry, name: str | None, matches, token: str | None) -> list[dict[str, Any]]:
    nodes = [n for n in await _objects(registry, NODE, None, name) if matches(n)]
    summaries = await scrape(nodes, token)
    now = datetime.now(timezone.utc)
    return [node_metrics(n, summaries[n["metadata"]["name"]], now) for n in nodes if n["metadata"]["name"] in summaries]


async def _pod_items(registry: Registry, namespace: str | None, name: str | None, matches,
                     token: str | None) -> list[dict[str, Any]]:
    """Only the kubelets of the Running pods asked about are asked."""
    pods = [p for p in await _objects(registry, POD, namespace, name)
            if matches(p) and (p.get("status") or {}).get("phase") == "Running"]
    hosts = {(p.get("spec") or {}).get("nodeName") for p in pods}
    summaries = await scrape([n for n in await _objects(registry, NODE, None, None) if n["metadata"]["name"] in hosts],
                             token)
    now = datetime.now(timezone.utc)
    return [pod_metrics(pod, usage, now) for pod in pods if (usage := _pod_usage(pod, summaries)) is not None]


def _verb(method: str, *, named: bool, watch: bool) -> str:
    if method == "GET":
        return "get" if named else ("watch" if watch else "list")
    return {"POST": "create", "PUT": "update", "PATCH": "patch",
            "DELETE": "delete" if named else "deletecollection"}.get(method, method.lower())


async def _objects(registry: Registry, rt: ResourceType, namespace: str | None,
                   name: str | None) -> list[dict[str, Any]]:
    """The named object (its NotFound if missing), or the collection sorted as metrics-server sorts it."""
    if name is not None:
        return [registry.get(rt, namespace, name)]
    items, _ = registry.list(rt, namespace)
    return sorted(items, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))


# ----- asking the kubelets


async def scrape(nodes: list[dict[str, Any]], token: str | None) -> Summaries:
    """Each Ready node's summary, asked for all at once; a node that fails or is late is left out."""
    if not token:
        raise status.unavailable("this API server was started without credentials for kubelets")
    endpoints = {n["metadata"]["name"]: endpoint for n in nodes
                 if _ready(n) and (endpoint := node_kubelet_endpoint(n, token)) is not None}
    # The kubelet's certificate is self-signed and not verified, as for logs and exec (see node_proxy).
    async with httpx.AsyncClient(verify=False, timeout=SCRAPE_TIMEOUT_SECONDS) as client:
        answers = await asyncio.gather(*(_summary(client, name, e) for name, e in endpoints.items()))
    return {name: summary for name, summary in zip(endpoints, answers) if summary is not None}


async def _summary(client: httpx.AsyncClient, node_name: str, kubelet: KubeletEndpoint) -> dict[str, Any] | None:
    try:
        response = await client.get(kubelet.url(SUMMARY_PATH), headers=kubelet.headers)
        response.raise_for_status()
        summary = response.json()
    except (httpx.HTTPError, ValueError) as error:
        log.warning("no usage from node %s: %s", node_name, error or type(error).__name__)
        return None
    return summary if isinstance(summary, dict) else None


def _ready(node: dict[str, Any]) -> bool:
    conditions = (node.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


# ----- building the answers


def node_metrics(node: dict[str, Any], summary: dict[str, Any], now: datetime) -> dict[str, Any]:
    usage = summary.get("node") or {}
    return {"metadata": _metadata(node, now), "timestamp": _timestamp(usage, now), "window": WINDOW,
            "usage": _usage(usage)}


def pod_metrics(pod: dict[str, Any], usage: dict[str, Any], now: datetime) -> dict[str, Any]:
    containers = [{"name": c["name"], "usage": _usage(c)} for c in usage.get("containers") or []]
    return {"metadata": _metadata(pod, now), "timestamp": _timestamp(usage, now), "window": WINDOW,
            "containers": containers}


def _pod_usage(pod: dict[str, Any], summaries: Summaries) -> dict[str, Any] | None:
    """The pod's entry in its node's summary, if its kubelet answered and runs its containers."""
    summary = summaries.get((pod.get("spec") or {}).get("nodeName") or "")
    uid = pod["metadata"].get("uid")
    for entry in (summary or {}).get("pods") or []:
        if (entry.get("podRef") or {}).get("uid") == uid and entry.get("containers"):
            return entry
    return None


def _metadata(obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    meta = obj["metadata"]
    kept = {"name": meta["name"]}
    if meta.get("namespace"):
        kept["namespace"] = meta["namespace"]
    kept["creationTimestamp"] = rfc3339(now)
    if meta.get("labels"):
        kept["labels"] = meta["labels"]
    return kept


def _timestamp(usage: dict[str, Any], now: datetime) -> str:
    """The sample's time, to the second as metav1.Time is written."""
    moment = (usage.get("cpu") or {}).get("time")
    return f"{moment[:19]}Z" if isinstance(moment, str) and len(moment) >= 19 else rfc3339(now)


def _usage(usage: dict[str, Any]) -> dict[str, str]:
    cpu = int((usage.get("cpu") or {}).get("usageNanoCores") or 0)
    memory = int((usage.get("memory") or {}).get("workingSetBytes") or 0)
    return {"cpu": nano_quantity(cpu), "memory": byte_quantity(memory)}


def _selector(kind: ResourceType, label_selector: str | None, field_selector: str | None):
    try:
        labels = parse_label_selector(label_selector or "")
        fields = parse_field_selector(field_selector or "", kind.kind)
    except FieldSelectorError as error:
        raise status.bad_request(str(error)) from None
    except ValueError as error:
        raise status.bad_request(str(error)) from None

    def matches(obj: dict[str, Any]) -> bool:
        return labels.matches(obj["metadata"].get("labels") or {}) and fields.matches(obj)

    return matches
