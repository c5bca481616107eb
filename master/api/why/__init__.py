"""The `why` subresource: why an object is in the state it is in, in the deciding components' words.

    GET .../{pods|nodes|deployments|replicasets|daemonsets|services}/{name}/why ──► objects.why.Why
    PUT .../{nodes|deployments|replicasets|daemonsets|services}/{name}/why      ──► store the controller's report

A GET assembles, it does not decide: each section is what its component
published (the shape and who publishes what: objects/why.py). The pod's
section from the kubelet is asked live (and a Service's not-Ready pods' too), so it is as fresh as the kubelet's
own timers; the controllers' reports are read from the store (`reports`). Then
every countdown gets its seconds left as of this answer (`countdowns`).
"""

from __future__ import annotations

import time

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from master.api import status
from master.api.decode import parse_body
from master.api.registry import Registry
from master.api.request_info import RequestInfo
from master.api.why import pods, services, subjects
from master.api.why.countdowns import fill_countdowns
from master.api.why.reports import put_report
from objects.kinds import DAEMONSET, DEPLOYMENT, NODE, POD, SERVICE, ResourceType
from objects.pod import Pod
from objects.why import ObjectRef, Why, moment

__all__ = ["serve_why"]


async def serve_why(request: Request, rt: ResourceType, info: RequestInfo, registry: Registry) -> Response:
    if request.method == "PUT":
        body = parse_body(await request.body(), request.headers.get("content-type", "application/json"))
        stored = put_report(registry, rt, info.namespace, info.name or "", body)
        return JSONResponse(stored)
    if request.method != "GET":
        raise status.method_not_supported(f"{rt.plural}/why", request.method)
    why = await answer(registry, rt, info.namespace, info.name or "",
                       kubelet_token=request.app.state.kubelet_token)
    return JSONResponse(why.to_wire())


async def answer(registry: Registry, rt: ResourceType, namespace: str | None, name: str, *,
                 kubelet_token: str | None) -> Why:
    obj = registry.get(rt, namespace, name)  # 404 in Kubernetes' words for a missing object
    meta = obj["metadata"]
    why = Why(subject=ObjectRef(api_version=rt.api_version, kind=rt.kind, name=name, namespace=meta.get("namespace")),
              state="", summary="", generated_at=moment(time.time()))
    why.metadata.name, why.metadata.namespace, why.metadata.uid = name, meta.get("namespace"), meta.get("uid")
    if rt == POD:
        await pods.pod_why(registry, namespace or "", name, why, kubelet_token=kubelet_token)
        fill_countdowns(why)
        why.summary = pods.summarize(why, Pod.model_validate(obj))
        return why
    if rt == SERVICE:
        await services.service_why(registry, namespace or "", name, why, kubelet_token=kubelet_token)
    elif rt == NODE:
        subjects.node_why(registry, name, why)
    elif rt == DEPLOYMENT:
        subjects.deployment_why(registry, namespace or "", name, why)
    elif rt == DAEMONSET:
        subjects.daemonset_why(registry, namespace or "", name, why)
    else:
        subjects.replicaset_why(registry, namespace or "", name, why)
    fill_countdowns(why)
    return why
