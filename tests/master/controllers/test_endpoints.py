"""The endpoint and EndpointSlice controllers against a live master: pods' readiness into Endpoints and
EndpointSlices, named ports, selector changes, deletion, splitting past 100, and how fast it goes.

No kubelet runs: each test writes its pods' status through the API, as a kubelet would, on a Node
object it creates (the EndpointSlice controller leaves out pods whose node has none).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from datetime import datetime, timezone

import pytest

from apiclient import ApiClient, ApiStatusError, Connection
from master.controllers.endpoints import EndpointsController
from master.controllers.endpointslice import EndpointSliceController
from master.controllers.garbage_collector import GarbageCollector
from objects.kinds import ENDPOINT_SLICE, ENDPOINTS, NODE, POD, SERVICE
from tests.master.controllers.test_replicaset import start_controllers
from tests.support.cluster import free_port, wait_for

SERVICE_NAME = "kubernetes.io/service-name"
TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time"
# A bound that catches a controller that stopped reacting (a resync, not a watch event, doing the work), loose
# enough for a loaded 2-core machine. How fast it really goes (well under a second) is a latency target for
# bench/, not a test bound.
PROPAGATION_LIMIT_SECONDS = 5.0


@pytest.fixture(scope="module")
def controllers(master):
    stop = start_controllers(master, EndpointsController, EndpointSliceController, GarbageCollector)
    yield
    stop.set()


@pytest.fixture
def node(client, controllers):
    name = f"node-{uuid.uuid4().hex[:8]}"
    client.create(NODE, {"metadata": {"name": name}})
    yield name
    client.delete(NODE, name)


# ----- helpers: a Service written in full (no defaulting relied on), pods played by the test


def create_service(client, namespace, name="web", *, selector=None, ports=None, cluster_ip=None, labels=None,
                   **spec):
    cluster_ip = cluster_ip or f"10.{random.randint(97, 110)}.{random.randint(0, 255)}.{random.randint(1, 254)}"
    body = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels or {}},
            "spec": {"type": "ClusterIP", "clusterIP": cluster_ip, "sessionAffinity": "None",
                     "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                     **({"clusterIPs": [cluster_ip]} if cluster_ip != "None" else {"clusterIPs": ["None"]}),
                     "selector": {"app": "web"} if selector is None else selector,
                     "ports": ports if ports is not None else [
                         {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                     **spec}}
    if not body["spec"]["selector"]:
        del body["spec"]["selector"]
    return client.create(SERVICE, body, namespace)


def create_pod(client, namespace, name, node, *, labels=None, ports=()):
    body = {"metadata": {"name": name, "labels": {"app": "web"} if labels is None else labels},
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": "tinykube/bootcamp:v1",
                                                      "ports": list(ports)}]}}
    return client.create(POD, body, namespace)


def set_status(client, namespace, name, *, ip, ready=True, phase="Running", pod=None):
    """Play kubelet: the pod (read unless given as it is) runs at `ip`, Ready or not."""
    pod = pod or client.get(POD, name, namespace)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    pod["status"] = {"phase": phase, "podIP": ip, "podIPs": [{"ip": ip}], "startTime": now,
                     "conditions": [{"type": kind, "status": "True" if ready else "False", "lastTransitionTime": now}
                                    for kind in ("Ready", "ContainersReady")],
                     "containerStatuses": [{"name": "app", "image": "tinykube/bootcamp:v1", "imageID": "",
                                            "ready": ready, "restartCount": 0, "state": {"running": {}}}]}
    return client.update(POD, pod, subresource="status")


def running_pod(client, namespace, name, node, ip, *, ready=True, **kwargs):
    created = create_pod(client, namespace, name, node, **kwargs)
    return set_status(client, namespace, name, ip=ip, ready=ready, pod=created)


def endpoints_of(client, namespace, name="web"):
    try:
        return client.get(ENDPOINTS, name, namespace)
    except ApiStatusError as error:
        if error.not_found:
            return None
        raise


def slices_of(client, namespace, name="web"):
    return client.list(ENDPOINT_SLICE, namespace, label_selector=f"{SERVICE_NAME}={name}")["items"]


def addresses(endpoints, field="addresses"):
    return sorted(a["ip"] for s in (endpoints or {}).get("subsets") or [] for a in s.get(field) or [])


def slice_conditions(slices):
    """{pod name: ready} over every endpoint of the slices."""
    return {e["targetRef"]["name"]: e["conditions"]["ready"] for s in slices for e in s.get("endpoints") or []}


# ----- tests


def test_ready_pods_are_addresses_and_the_others_not_ready_addresses(client, namespace, node):
    svc = create_service(client, namespace, labels={"team": "blue"})
    running_pod(client, namespace, "web-1", node, "10.88.0.2")
    running_pod(client, namespace, "web-2", node, "10.88.0.3", ready=False)
    create_pod(client, namespace, "web-3", node)  # no IP yet: in neither

    endpoints = wait_for(lambda: (e := endpoints_of(client, namespace)) and addresses(e, "notReadyAddresses")
                         and e, message="the Endpoints")
    (subset,) = endpoints["subsets"]
    assert addresses(endpoints) == ["10.88.0.2"] and addresses(endpoints, "notReadyAddresses") == ["10.88.0.3"]
    assert subset["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
    assert subset["addresses"][0]["targetRef"]["name"] == "web-1" and subset["addresses"][0]["nodeName"] == node
    assert endpoints["metadata"]["labels"] == {"team": "blue"}
    assert TRIGGER_TIME in endpoints["metadata"]["annotations"]

    (slice_,) = wait_for(lambda: (s := slices_of(client, namespace)) and len(slice_conditions(s)) == 2 and s)
    assert slice_conditions([slice_]) == {"web-1": True, "web-2": False}
    assert slice_["metadata"]["name"].startswith("web-") and slice_["addressType"] == "IPv4"
    assert slice_["metadata"]["labels"] == {"team": "blue", SERVICE_NAME: "web",
                                            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    (owner,) = slice_["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("Service", svc["metadata"]["uid"], True)
    assert slice_["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_a_pod_turning_ready_reaches_its_slice_promptly_and_the_slice_is_updated_in_place(client, namespace, node):
    create_service(client, namespace)
    running_pod(client, namespace, "web-1", node, "10.88.0.2", ready=False)
    (before,) = wait_for(lambda: (s := slices_of(client, namespace)) and slice_conditions(s) == {"web-1": False}
                         and s, message="the pod in the slice, not ready")

    started = time.monotonic()
    set_status(client, namespace, "web-1", ip="10.88.0.2", ready=True)
    (after,) = wait_for(lambda: (s := slices_of(client, namespace)) and slice_conditions(s) == {"web-1": True}
                        and s, interval=0.01, message="the pod ready in the slice")
    took = time.monotonic() - started

    assert took < PROPAGATION_LIMIT_SECONDS, f"pod Ready -> slice took {took:.3f} s"
    assert after["metadata"]["name"] == before["metadata"]["name"]
    wait_for(lambda: addresses(endpoints_of(client, namespace)) == ["10.88.0.2"], message="the Endpoints too")


def test_a_pod_going_unready_finished_or_deleted_leaves_as_kubernetes_has_it(client, namespace, node):
    create_service(client, namespace)
    for i, name in enumerate(("stays", "unready", "done", "leaving")):
        running_pod(client, namespace, name, node, f"10.88.0.{i + 2}")
    wait_for(lambda: len(addresses(endpoints_of(client, namespace))) == 4, message="4 addresses")

    set_status(client, namespace, "unready", ip="10.88.0.3", ready=False)
    set_status(client, namespace, "done", ip="10.88.0.4", phase="Succeeded", ready=False)
    client.delete(POD, "leaving", namespace, grace_period_seconds=30)  # no kubelet: it stays terminating

    wait_for(lambda: addresses(endpoints_of(client, namespace)) == ["10.88.0.2"]
             and addresses(endpoints_of(client, namespace), "notReadyAddresses") == ["10.88.0.3"],
             message="only stays ready, unready not ready, the others gone")
    (slice_,) = wait_for(lambda: (s := slices_of(client, namespace)) and len(slice_conditions(s)) == 3 and s)
    by_pod = {e["targetRef"]["name"]: e["conditions"] for e in slice_["endpoints"]}
    assert by_pod == {"stays": {"ready": True, "serving": True, "terminating": False},
                      "unready": {"ready": False, "serving": False, "terminating": False},
                      "leaving": {"ready": False, "serving": True, "terminating": True}}


def test_a_named_target_port_is_resolved_per_pod_and_pods_without_it_are_left_out(client, namespace, node):
    create_service(client, namespace, ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}])
    running_pod(client, namespace, "a", node, "10.88.0.2", ports=[{"name": "web", "containerPort": 8080}])
    running_pod(client, namespace, "b", node, "10.88.0.3", ports=[{"name": "web", "containerPort": 9090}])
    running_pod(client, namespace, "c", node, "10.88.0.4", ports=[{"name": "other", "containerPort": 7070}])

    endpoints = wait_for(lambda: (e := endpoints_of(client, namespace)) and len(e.get("subsets") or []) == 2 and e,
                         message="two subsets")
    assert sorted((s["addresses"][0]["ip"], s["ports"][0]["port"]) for s in endpoints["subsets"]) == [
        ("10.88.0.2", 8080), ("10.88.0.3", 9090)]
    slices = wait_for(lambda: len(s := slices_of(client, namespace)) == 3 and s, message="a slice per port list")
    assert sorted((s["endpoints"][0]["targetRef"]["name"], [p["port"] for p in s.get("ports") or []])
                  for s in slices) == [("a", [8080]), ("b", [9090]), ("c", [])]


def test_a_selector_change_moves_the_endpoints_to_the_pods_it_now_selects(client, namespace, node):
    create_service(client, namespace)
    running_pod(client, namespace, "blue", node, "10.88.0.2")
    running_pod(client, namespace, "green", node, "10.88.0.3", labels={"app": "web-green"})
    (first,) = wait_for(lambda: (s := slices_of(client, namespace)) and slice_conditions(s) == {"blue": True} and s)

    client.patch(SERVICE, "web", {"spec": {"selector": {"app": "web-green"}}}, namespace,
                 patch_type="application/merge-patch+json")

    wait_for(lambda: addresses(endpoints_of(client, namespace)) == ["10.88.0.3"], message="green's address")
    (moved,) = wait_for(lambda: (s := slices_of(client, namespace)) and slice_conditions(s) == {"green": True} and s)
    assert moved["metadata"]["name"] == first["metadata"]["name"]


def test_deleting_the_service_removes_its_endpoints_and_slices(client, namespace, node):
    create_service(client, namespace)
    running_pod(client, namespace, "web-1", node, "10.88.0.2")
    wait_for(lambda: endpoints_of(client, namespace) and slices_of(client, namespace), message="both written")

    client.delete(SERVICE, "web", namespace)

    wait_for(lambda: endpoints_of(client, namespace) is None, message="the Endpoints deleted")
    wait_for(lambda: not slices_of(client, namespace), message="the slices collected")


def test_past_100_endpoints_the_service_gets_another_slice(client, namespace, node):
    create_service(client, namespace)
    for i in range(150):
        running_pod(client, namespace, f"web-{i:03}", node, f"10.88.{i // 200}.{i % 200 + 2}")

    slices = wait_for(lambda: len(slice_conditions(found := slices_of(client, namespace))) == 150 and found,
                      timeout=30, message="150 endpoints in slices")
    assert sorted(len(s["endpoints"]) for s in slices) == [50, 100]
    assert len(addresses(endpoints_of(client, namespace))) == 150


def test_a_service_whose_pods_are_all_gone_keeps_an_empty_placeholder_slice(client, namespace, node):
    create_service(client, namespace)
    (placeholder,) = wait_for(lambda: slices_of(client, namespace), message="the placeholder")
    assert placeholder["endpoints"] == [] and not placeholder.get("ports")
    assert "subsets" not in wait_for(lambda: endpoints_of(client, namespace), message="empty Endpoints")


def test_nothing_is_written_when_nothing_changed(client, namespace, node):
    create_service(client, namespace)
    running_pod(client, namespace, "web-1", node, "10.88.0.2")
    wait_for(lambda: slice_conditions(slices_of(client, namespace)) == {"web-1": True})
    wait_for(lambda: addresses(endpoints_of(client, namespace)) == ["10.88.0.2"])
    (slice_,) = slices_of(client, namespace)
    slice_name = slice_["metadata"]["name"]
    before = {"endpoints": endpoints_of(client, namespace)["metadata"]["resourceVersion"],
              "endpointslices": slice_["metadata"]["resourceVersion"]}

    # an annotation on the Service syncs it again, and a pod's annotation is no change to its endpoint
    client.patch(SERVICE, "web", {"metadata": {"annotations": {"note": "x"}}}, namespace,
                 patch_type="application/merge-patch+json")
    client.patch(POD, "web-1", {"metadata": {"annotations": {"note": "x"}}}, namespace,
                 patch_type="application/merge-patch+json")
    running_pod(client, namespace, "web-2", node, "10.88.0.3")  # a later change: both syncs are done by then
    wait_for(lambda: len(slice_conditions(slices_of(client, namespace))) == 2)
    wait_for(lambda: len(addresses(endpoints_of(client, namespace))) == 2)

    for path in (f"/api/v1/namespaces/{namespace}/endpoints/web",
                 f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices/{slice_name}"):
        history = client.get_path(f"{path}/history")["items"]
        since = [r for r in history if r["revision"] > int(before[path.split("/")[-2]])]
        assert len(since) == 1, f"{path}: {[r['changes'] for r in since]}"  # web-2 only


def test_a_service_without_a_selector_keeps_its_hand_written_endpoints(client, namespace, node):
    create_service(client, namespace, selector={})
    written = client.create(ENDPOINTS, {"metadata": {"name": "web"}, "subsets": [
        {"addresses": [{"ip": "192.0.2.1"}], "ports": [{"port": 443, "protocol": "TCP"}]}]}, namespace)
    running_pod(client, namespace, "web-1", node, "10.88.0.2")
    create_service(client, namespace, "other")  # a sync that happens after the first Service's
    wait_for(lambda: slices_of(client, namespace, "other"), message="the other Service synced")

    assert endpoints_of(client, namespace)["metadata"]["resourceVersion"] == written["metadata"]["resourceVersion"]
    assert slices_of(client, namespace) == []


def test_publish_not_ready_addresses_makes_every_pod_ready(client, namespace, node):
    create_service(client, namespace, cluster_ip="None", publishNotReadyAddresses=True)
    running_pod(client, namespace, "web-1", node, "10.88.0.2", ready=False)

    wait_for(lambda: addresses(endpoints_of(client, namespace)) == ["10.88.0.2"], message="a ready address")
    endpoints = endpoints_of(client, namespace)
    assert endpoints["metadata"]["labels"] == {"service.kubernetes.io/headless": ""}
    (slice_,) = wait_for(lambda: (s := slices_of(client, namespace)) and slice_conditions(s) and s)
    assert slice_["endpoints"][0]["conditions"] == {"ready": True, "serving": False, "terminating": False}
    assert slice_["metadata"]["labels"]["service.kubernetes.io/headless"] == ""


def test_kubectl_gets_the_endpoints_and_slices_the_controllers_wrote(client, namespace, node, kubectl):
    create_service(client, namespace)
    running_pod(client, namespace, "web-1", node, "10.88.0.2")
    running_pod(client, namespace, "web-2", node, "10.88.0.3", ready=False)
    wait_for(lambda: len(slice_conditions(slices_of(client, namespace))) == 2)
    wait_for(lambda: addresses(endpoints_of(client, namespace), "notReadyAddresses"))

    endpoints = [line.split() for line in kubectl("get", "endpoints", "web", "-n", namespace).stdout.splitlines()]
    slices = [line.split() for line in kubectl("get", "endpointslices", "-n", namespace).stdout.splitlines()]

    assert endpoints[0] == ["NAME", "ENDPOINTS", "AGE"] and endpoints[1][:2] == ["web", "10.88.0.2:8080"]
    assert slices[0] == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    (name, address_type, ports, listed, _age) = slices[1]
    assert (name.startswith("web-"), address_type, ports, listed) == (True, "IPv4", "8080", "10.88.0.2,10.88.0.3")


def test_a_controller_stopped_before_its_caches_fill_leaves_no_thread_behind():
    """An API server that never answers: stopping the controller ends its run loop and its start-up look
    at leftover Endpoints, which waited for the caches (each master restart in tests would leak them)."""
    before = set(threading.enumerate())
    stop = threading.Event()
    with ApiClient(Connection(f"https://127.0.0.1:{free_port()}", None, "token")) as client:
        EndpointsController(client).start(stop)
        wait_for(lambda: any(t.name == "endpoint-leftovers" for t in set(threading.enumerate()) - before),
                 message="the look at leftovers waiting for the caches")
        stop.set()
        wait_for(lambda: not set(threading.enumerate()) - before, message="every thread it started ended")
