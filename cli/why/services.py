"""The endpoint controllers' part of a Service's why: the pods its selector picks, which of them are
ready endpoints, and why the others are not (or lack a port), as the EndpointSlice controller
published it; the ENDPOINTS column and the kubelet's word are what the API server added when it answered.

    Service:
      Selector:         app=web
      Ports:            http 80/TCP -> http
      Endpoint Slices:  web-x7k2p
      Pods:
        POD    IP         NODE    READY  REASON    SLICES     ENDPOINTS
        web-2  10.88.0.3  node-1  no     NotReady  web-x7k2p  notReadyAddresses
        web-1  10.88.0.2  node-1  yes    Ready     web-x7k2p  addresses
      Not Serving:
        web-2: Ready is False (ContainersNotReady): container app is running, its readiness probe has not passed
          kubelet: container app: readiness probe failing (3/3): HTTP probe failed with statuscode: 503
"""

from __future__ import annotations

from cli.describers.page import NONE, Page
from objects.why import ServicePodReport, ServiceReport

NOT_LISTED = "-"


def add_service(page: Page, report: ServiceReport) -> None:
    page.heading("Service")
    page.field("Selector", ",".join(f"{k}={v}" for k, v in sorted(report.selector.items())) or NONE, level=1)
    page.field("Ports", ", ".join(report.ports) or NONE, level=1)
    page.field("Message", report.message, level=1)
    page.field("Endpoint Slices", ", ".join(report.endpoint_slices) or NONE, level=1)
    if report.pods:
        page.heading("Pods", level=1)
        page.table(["POD", "IP", "NODE", "READY", "REASON", "SLICES", "ENDPOINTS"],
                   [pod_row(pod) for pod in report.pods], level=2)
    if report.unlisted:
        page.line(f"({report.unlisted} more selected pods not listed)", level=1)
    troubled = [pod for pod in report.pods if not pod.ready or pod.missing_ports]
    if troubled:
        page.heading("Not Serving", level=1)
        for pod in troubled:
            page.line(f"{pod.name}: {pod.message}", level=2)
            if pod.kubelet:
                page.line(f"kubelet: {pod.kubelet}", level=3)


def pod_row(pod: ServicePodReport) -> list[str]:
    return [pod.name, pod.ip or NONE, pod.node or NONE, "yes" if pod.ready else "no", pod.reason,
            ", ".join(pod.endpoint_slices) or NOT_LISTED, pod.endpoints or NOT_LISTED]
