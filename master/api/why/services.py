"""A Service's why: which pods its selector picks, which serve, and why the others do not.

    ExternalName  ─► ExternalName: DNS answers with its name, no endpoints
    no selector   ─► NoSelector: its endpoints are written by hand (the master keeps `kubernetes`'s)
    a selector    ─► the endpointslice controller's ServiceReport (pods, standing, slices), and
                     Serving | NoReadyEndpoints | NoEndpoints from its counts
                 + where the endpoint controller's Endpoints object has each pod, read as it is now
                 + for the first few pods that are not Ready, their kubelet's word, asked live
                   (a failing readiness probe's output lives only there)
"""

from __future__ import annotations

import asyncio

from master.api import status
from master.api.registry import Registry
from master.api.why.pods import ask_kubelet, container_trouble
from master.api.why.reports import read_report
from objects.endpoints import Endpoints
from objects.kinds import ENDPOINTS, POD, SERVICE
from objects.service import Service, ServiceType
from objects.why import ServicePodReport, ServiceReport, Why

MAX_KUBELETS_ASKED = 5  # not-Ready pods whose kubelet an answer asks, so a large Service answers quickly
IN_ADDRESSES, IN_NOT_READY = "addresses", "notReadyAddresses"


async def service_why(registry: Registry, namespace: str, name: str, why: Why, *, kubelet_token: str | None) -> None:
    service = Service.model_validate(registry.get(SERVICE, namespace, name))
    endpoints = _endpoints(registry, namespace, name)
    if service.type == ServiceType.EXTERNAL_NAME:
        why.state = "ExternalName"
        why.summary = f"DNS answers with a CNAME to {service.spec.external_name}; it has no endpoints"
        return
    if not (service.spec and service.spec.selector):
        why.state = "NoSelector"
        why.summary = _by_hand(endpoints)
        return
    report = read_report(registry, SERVICE, namespace, name, service.metadata.uid or "")
    if report is None:
        why.state = "Unknown"
        why.summary = "the endpointslice controller has not reported on it (is it running? see --controllers)"
        return
    _mark_endpoints(report, endpoints)
    answered = await _ask_kubelets(registry, namespace, report, kubelet_token)
    why.service = report
    why.state = "Serving" if report.ready else ("NoReadyEndpoints" if report.selected else "NoEndpoints")
    why.summary = _summary(report, answered)


def _endpoints(registry: Registry, namespace: str, name: str) -> Endpoints | None:
    try:
        return Endpoints.model_validate(registry.get(ENDPOINTS, namespace, name))
    except status.ApiError:
        return None


def _by_hand(endpoints: Endpoints | None) -> str:
    said = "no selector: its endpoints are written by hand, not by the endpoint controllers"
    if endpoints is None:
        return f"{said}; it has no Endpoints object"
    ready = sum(len(s.addresses or []) for s in endpoints.subsets or [])
    not_ready = sum(len(s.not_ready_addresses or []) for s in endpoints.subsets or [])
    return f"{said}; its Endpoints hold {ready} ready and {not_ready} not-ready addresses"


def _mark_endpoints(report: ServiceReport, endpoints: Endpoints | None) -> None:
    """Where the Endpoints object has each pod now (the endpoint controller's decision, as it stored it)."""
    where: dict[str, str] = {}
    for subset in (endpoints.subsets if endpoints else None) or []:
        for place, addresses in ((IN_NOT_READY, subset.not_ready_addresses), (IN_ADDRESSES, subset.addresses)):
            for address in addresses or []:
                if address.target_ref and address.target_ref.name:
                    where[address.target_ref.name] = place
    for pod in report.pods:
        pod.endpoints = where.get(pod.name)


async def _ask_kubelets(registry: Registry, namespace: str, report: ServiceReport, token: str | None) -> set[str]:
    """Fill in the kubelet's word on the first few not-Ready pods; the names of those whose kubelet answered."""
    asked = [pod for pod in report.pods if pod.reason == "NotReady" and pod.node][:MAX_KUBELETS_ASKED]
    answers = await asyncio.gather(*(_ask(registry, namespace, pod, token) for pod in asked))
    return {pod.name for pod, answered in zip(asked, answers) if answered}


async def _ask(registry: Registry, namespace: str, pod: ServicePodReport, token: str | None) -> bool:
    try:
        wire = registry.get(POD, namespace, pod.name)
    except status.ApiError:
        return False  # gone since the report: the next report says so
    kubelet, error = await ask_kubelet(registry, wire, token)
    if kubelet is None:
        pod.kubelet = f"its kubelet did not answer: {error}"
        return False
    pod.kubelet = next((line for c in kubelet.containers if (line := container_trouble(c))), None)
    return True


def _summary(report: ServiceReport, answered: set[str]) -> str:
    """The controller's sentence, which names the first pod that is not ready, with what its kubelet said."""
    first = next((pod for pod in report.pods if not pod.ready), None)
    if first is not None and first.kubelet and first.name in answered:
        return f"{report.message} ({first.kubelet})"
    return report.message
