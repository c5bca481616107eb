"""`why` of a Service on a live master with the endpoint controllers running: the API's answer, and
`tkctl why svc/NAME` printing it.

Pods are played by the test as in test_endpoints.py; their node has no kubelet, so the answer says
that the kubelet of a not-Ready pod could not be asked.
"""

from __future__ import annotations

import json

from objects.kinds import SERVICE
from tests.cli.conftest import Tkctl
from tests.master.controllers.test_endpoints import (  # noqa: F401 (fixtures)
    controllers, create_pod, create_service, node, running_pod, slice_conditions, slices_of,
)
from tests.support.cluster import wait_for


def why_of(client, namespace, name="web"):
    return client.get_path(f"/api/v1/namespaces/{namespace}/services/{name}/why")


def reported(client, namespace, pods: int):
    """The answer once the controller has published a report that lists `pods` pods."""
    return wait_for(lambda: (w := why_of(client, namespace)).get("service")
                    and len(w["service"]["pods"]) == pods and w, message=f"a report of {pods} pods")


def test_why_names_the_selected_pods_which_are_ready_and_why_the_others_are_not(client, namespace, node):
    create_service(client, namespace, ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}])
    running_pod(client, namespace, "web-1", node, "10.88.0.2", ports=[{"name": "web", "containerPort": 8080}])
    running_pod(client, namespace, "web-2", node, "10.88.0.3", ready=False,
                ports=[{"name": "web", "containerPort": 8080}])
    running_pod(client, namespace, "web-3", node, "10.88.0.4")  # no container port named web
    create_pod(client, namespace, "web-4", node)  # no IP yet
    wait_for(lambda: len(slice_conditions(slices_of(client, namespace))) == 3)

    why = wait_for(lambda: (w := reported(client, namespace, 4)) and all(
        p.get("endpoints") for p in w["service"]["pods"] if p["name"] in ("web-1", "web-2")) and w,
        message="the Endpoints marks")

    assert (why["subject"]["kind"], why["state"]) == ("Service", "Serving")
    service = why["service"]
    assert (service["selector"], service["selected"], service["ready"]) == ({"app": "web"}, 4, 2)
    assert service["ports"] == ["http 80/TCP -> web"]
    pods = {p["name"]: p for p in service["pods"]}
    assert [p["name"] for p in service["pods"]] == ["web-2", "web-4", "web-1", "web-3"]  # not ready first
    assert (pods["web-1"]["reason"], pods["web-1"]["endpoints"]) == ("Ready", "addresses")
    assert (pods["web-2"]["reason"], pods["web-2"]["endpoints"]) == ("NotReady", "notReadyAddresses")
    assert pods["web-2"]["message"].startswith("Ready is False")
    assert "did not answer" in pods["web-2"]["kubelet"]  # its node has no kubelet to ask
    assert (pods["web-3"]["ready"], pods["web-3"]["missingPorts"], pods["web-3"].get("endpoints")) == (
        True, ["web"], None)
    assert pods["web-4"]["reason"] == "NoIP" and pods["web-4"]["endpointSlices"] == []
    assert pods["web-1"]["endpointSlices"] and set(pods["web-1"]["endpointSlices"]) <= set(service["endpointSlices"])
    assert why["summary"].startswith("2 of 4 pods matching app=web are ready; web-2: Ready is False")


def test_a_service_with_no_ready_pod_or_no_pod_says_so(client, namespace, node):
    create_service(client, namespace)
    assert wait_for(lambda: (w := why_of(client, namespace)).get("service") and w)["state"] == "NoEndpoints"
    running_pod(client, namespace, "web-1", node, "10.88.0.2", ready=False)

    why = reported(client, namespace, 1)

    assert why["state"] == "NoReadyEndpoints"


def test_a_service_without_a_selector_or_an_external_name_is_not_the_controllers(client, namespace, controllers):
    create_service(client, namespace, "manual", selector={})
    client.create(SERVICE, {"metadata": {"name": "alias"},
                            "spec": {"type": "ExternalName", "externalName": "example.com",
                                     "sessionAffinity": "None"}}, namespace)

    manual, alias = why_of(client, namespace, "manual"), why_of(client, namespace, "alias")

    assert manual["state"] == "NoSelector" and "written by hand" in manual["summary"]
    assert alias["state"] == "ExternalName" and "example.com" in alias["summary"]
    assert "service" not in manual and "service" not in alias


def test_tkctl_why_svc_prints_the_pods_and_why_the_others_do_not_serve(master, client, namespace, node):
    create_service(client, namespace)
    running_pod(client, namespace, "web-1", node, "10.88.0.2")
    running_pod(client, namespace, "web-2", node, "10.88.0.3", ready=False)
    wait_for(lambda: (w := reported(client, namespace, 2)) and all(p.get("endpoints") for p in w["service"]["pods"]))
    tkctl = Tkctl(master.kubeconfig)

    page = tkctl.ok("why", "svc/web", "-n", namespace)
    said = [" ".join(line.split()) for line in page.splitlines()]

    assert said[0].startswith("service/web is Serving: 1 of 2 pods matching app=web is ready; web-2: Ready is False")
    assert "Selector: app=web" in said and "Ports: http 80/TCP -> 8080" in said
    assert said[said.index("POD IP NODE READY REASON SLICES ENDPOINTS") + 1].startswith(
        f"web-2 10.88.0.3 {node} no NotReady web-")
    assert said[-2].startswith("web-2: Ready is False") and said[-1].startswith("kubelet: its kubelet did not answer")
    answer = json.loads(tkctl.ok("why", "service", "web", "-n", namespace, "-o", "json"))
    assert answer["service"]["ready"] == 1

    missing = tkctl("why", "svc/nope", "-n", namespace)
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error from server (NotFound): services "nope" not found'
