"""What the endpoint controllers decide, checked on models (no API): each pod's standing, the Endpoints
subsets, the slice plan, the trigger time and the Service's report."""

from __future__ import annotations

from datetime import datetime, timezone

from master.controllers.endpoints_membership import EndpointPodView, Standing, members, not_ready_message
from master.controllers.endpoints_report import MAX_REPORTED_PODS, service_report
from master.controllers.endpoints_slicing import Wanted, plan_slices, ports_key
from master.controllers.endpoints_subsets import MAX_CAPACITY, desired_subsets, truncate
from master.controllers.endpoints_trigger_time import TriggerTimes, rfc3339_nano
from master.controllers.endpointslice import slice_labels, slice_ports, wanted_groups
from objects.endpoints import EndpointAddress, EndpointSlice, EndpointSubset
from objects.service import Service

NODES = {"node-1": {"metadata": {"name": "node-1", "labels": {"topology.kubernetes.io/zone": "zone-a"}}}}


def service(*, ports=None, selector=None, publish=False, cluster_ip="10.96.0.20", labels=None) -> Service:
    return Service.model_validate({
        "metadata": {"name": "web", "namespace": "default", "uid": "svc-1", "labels": labels or {},
                     "creationTimestamp": "2026-12-05T12:00:00Z"},
        "spec": {"selector": selector or {"app": "web"}, "clusterIP": cluster_ip, "type": "ClusterIP",
                 "publishNotReadyAddresses": publish,
                 "ports": ports if ports is not None else [{"name": "http", "port": 80, "protocol": "TCP",
                                                             "targetPort": 8080}]}})


def pod(name: str, ip: str | None = "10.88.0.2", *, ready=True, phase="Running", deleting=False,
        ports=(), node="node-1", ready_since="2026-12-05T12:00:05Z") -> EndpointPodView:
    status = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                               "lastTransitionTime": ready_since,
                                               **({} if ready else {"reason": "ContainersNotReady"})}],
              "containerStatuses": [{"name": "app", "ready": ready, "state": {"running": {}}}]}
    if ip:
        status |= {"podIP": ip, "podIPs": [{"ip": ip}]}
    meta = {"name": name, "namespace": "default", "uid": f"uid-{name}", "labels": {"app": "web"},
            "resourceVersion": "1"}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-05T12:01:00Z"
    return EndpointPodView({"metadata": meta, "status": status,
                            "spec": {"nodeName": node, "containers": [{"name": "app", "ports": list(ports)}]}})


# ----- standing


def test_each_pod_stands_by_its_most_decisive_trait():
    pods = [pod("a"), pod("b", ready=False), pod("c", None), pod("d", phase="Succeeded"), pod("e", deleting=True),
            pod("f", node="gone")]
    found = {m.pod.name: m.standing for m in members(service(), pods, known_nodes={"node-1"})}
    assert found == {"a": Standing.READY, "b": Standing.NOT_READY, "c": Standing.NO_IP, "d": Standing.SUCCEEDED,
                     "e": Standing.TERMINATING, "f": Standing.NODE_NOT_FOUND}


def test_a_named_target_port_is_looked_up_per_pod_and_a_pod_without_it_lacks_that_port():
    svc = service(ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"},
                         {"name": "admin", "port": 81, "protocol": "TCP", "targetPort": 9000}])
    with_it = pod("a", ports=[{"name": "web", "containerPort": 8080}])
    other_protocol = pod("b", ports=[{"name": "web", "containerPort": 8080, "protocol": "UDP"}])
    (a, b) = members(svc, [with_it, other_protocol])
    assert [(p.name, n) for p, n in a.ports] == [("http", 8080), ("admin", 9000)] and a.missing_ports == []
    assert [(p.name, n) for p, n in b.ports] == [("admin", 9000)] and b.missing_ports == ["web"]


def test_a_not_ready_pod_says_which_container_holds_it_back():
    assert not_ready_message(pod("a", ready=False)) == (
        "Ready is False (ContainersNotReady): container app is running, not ready yet")


# ----- core/v1 Endpoints


def test_subsets_hold_ready_and_not_ready_addresses_sorted_and_leave_out_the_rest():
    pods = [pod("b", "10.88.0.3"), pod("a", "10.88.0.10"), pod("c", "10.88.0.4", ready=False),
            pod("d", "10.88.0.5", deleting=True), pod("e", None)]
    (subset,) = desired_subsets(service(), members(service(), pods))
    assert [a.ip for a in subset.addresses] == ["10.88.0.10", "10.88.0.3"]  # byte order, as Kubernetes sorts
    assert [a.ip for a in subset.not_ready_addresses] == ["10.88.0.4"]
    assert subset.addresses[0].target_ref.to_wire() == {"kind": "Pod", "namespace": "default", "name": "a",
                                                        "uid": "uid-a"}
    assert [p.to_wire() for p in subset.ports] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_pods_that_resolve_a_named_port_differently_get_subsets_of_their_own():
    svc = service(ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}])
    pods = [pod("a", "10.88.0.2", ports=[{"name": "web", "containerPort": 8080}]),
            pod("b", "10.88.0.3", ports=[{"name": "web", "containerPort": 9090}]),
            pod("c", "10.88.0.4")]
    subsets = desired_subsets(svc, members(svc, pods))
    assert [([a.ip for a in s.addresses], [p.port for p in s.ports]) for s in subsets] == [
        (["10.88.0.2"], [8080]), (["10.88.0.3"], [9090])]


def test_publish_not_ready_addresses_makes_every_pod_an_address():
    svc = service(publish=True)
    (subset,) = desired_subsets(svc, members(svc, [pod("a", ready=False), pod("b", "10.88.0.3", deleting=True)]))
    assert [a.ip for a in subset.addresses] == ["10.88.0.2", "10.88.0.3"] and subset.not_ready_addresses is None


def test_a_headless_service_without_ports_lists_addresses_alone():
    svc = service(ports=[], cluster_ip="None")
    (subset,) = desired_subsets(svc, members(svc, [pod("a")]))
    assert subset.ports is None and [a.ip for a in subset.addresses] == ["10.88.0.2"]


def test_more_than_a_thousand_addresses_are_truncated_keeping_ready_ones():
    address = EndpointAddress(ip="10.0.0.1")
    subsets = [EndpointSubset(addresses=[address] * 900, not_ready_addresses=[address] * 300)]
    assert truncate(subsets) is True
    assert (len(subsets[0].addresses), len(subsets[0].not_ready_addresses)) == (900, MAX_CAPACITY - 900)
    assert truncate([EndpointSubset(addresses=[address] * MAX_CAPACITY)]) is False


# ----- slices


def groups(svc, pods) -> dict[str, Wanted]:
    return wanted_groups(svc, members(svc, pods, known_nodes=set(NODES)), NODES, "IPv4")


def plan(svc, existing, pods, *, max_endpoints=100):
    return plan_slices(svc, existing, groups(svc, pods), labels=slice_labels(svc), address_type="IPv4",
                       max_endpoints=max_endpoints)


def stored(slice_: EndpointSlice, name: str) -> EndpointSlice:
    """A planned slice as the API would store it."""
    return slice_.model_copy(update={"metadata": slice_.metadata.model_copy(update={"name": name,
                                                                                   "resource_version": "7"})})


def test_endpoints_carry_their_conditions_node_zone_and_pod():
    svc = service()
    pods = [pod("a"), pod("b", "10.88.0.3", ready=False), pod("c", "10.88.0.4", deleting=True)]
    (group,) = groups(svc, pods).values()
    by_pod = {e.target_ref.name: e.to_wire() for e in group.endpoints.values()}
    assert by_pod["a"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
    assert by_pod["b"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
    assert by_pod["c"]["conditions"] == {"ready": False, "serving": True, "terminating": True}
    assert (by_pod["a"]["nodeName"], by_pod["a"]["zone"], by_pod["a"]["addresses"]) == ("node-1", "zone-a",
                                                                                       ["10.88.0.2"])
    assert [p.to_wire() for p in group.ports] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


def test_a_new_service_gets_one_slice_labelled_and_owned_by_it():
    result = plan(service(labels={"team": "a"}), [], [pod("a")])
    (created,) = result.creates
    assert created.metadata.generate_name == "web-" and created.address_type == "IPv4"
    assert created.metadata.labels == {"team": "a", "kubernetes.io/service-name": "web",
                                       "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}
    assert [r.to_wire() for r in created.metadata.owner_references] == [
        {"apiVersion": "v1", "kind": "Service", "name": "web", "uid": "svc-1", "controller": True,
         "blockOwnerDeletion": True}]


def test_a_changed_endpoint_updates_its_slice_in_place_and_an_unchanged_slice_is_left_alone():
    svc = service()
    first = stored(plan(svc, [], [pod("a"), pod("b", "10.88.0.3")]).creates[0], "web-abcde")
    assert plan(svc, [first], [pod("a"), pod("b", "10.88.0.3")]).writes == 0

    result = plan(svc, [first], [pod("a"), pod("b", "10.88.0.3", ready=False)])

    (updated,) = result.updates
    assert updated.metadata.name == "web-abcde" and not result.creates and not result.deletes
    assert {e.target_ref.name: e.conditions.ready for e in updated.endpoints} == {"a": True, "b": False}


def test_more_than_the_maximum_splits_into_slices_and_a_removal_shrinks_one_in_place():
    svc = service()
    pods = [pod(f"p{i:03}", f"10.88.{i // 200}.{i % 200 + 1}") for i in range(250)]
    result = plan(svc, [], pods)
    assert sorted(len(s.endpoints) for s in result.creates) == [50, 100, 100]
    existing = [stored(s, f"web-{i}") for i, s in enumerate(result.creates)]

    shrunk = plan(svc, existing, pods[1:])

    assert len(shrunk.updates) == 1 and not shrunk.creates and not shrunk.deletes


def test_new_endpoints_fill_the_unchanged_slice_they_fit_best():
    svc = service()
    pods = [pod(f"p{i:03}", f"10.88.0.{i + 1}") for i in range(130)]
    existing = [stored(s, f"web-{i}") for i, s in enumerate(plan(svc, [], pods).creates)]

    grown = plan(svc, existing, [*pods, pod("zz", "10.88.1.1")])

    (updated,) = grown.updates
    assert len(updated.endpoints) == 31 and not grown.creates


def test_a_service_with_nothing_to_publish_keeps_one_empty_placeholder():
    svc = service()
    placeholder = plan(svc, [], [])
    (created,) = placeholder.creates
    assert created.endpoints == [] and created.ports == []
    assert plan(svc, [stored(created, "web-p")], []).writes == 0
    # the placeholder becomes the slice of the first pod: an update, not a create and a delete
    first = plan(svc, [stored(created, "web-p")], [pod("a")])
    assert [s.metadata.name for s in first.updates] == ["web-p"] and not first.creates and not first.deletes


def test_pods_without_a_named_port_get_a_slice_of_their_own_without_ports():
    svc = service(ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}])
    result = plan(svc, [], [pod("a", ports=[{"name": "web", "containerPort": 8080}]), pod("b", "10.88.0.3")])
    ports = sorted(ports_key(s.ports) for s in result.creates)
    assert ports == sorted([ports_key(slice_ports(m)) for m in members(svc, [pod("a", ports=[
        {"name": "web", "containerPort": 8080}]), pod("b", "10.88.0.3")])])
    assert len(result.creates) == 2


def test_slices_of_another_service_by_that_name_are_deleted():
    old = stored(plan(service(), [], [pod("a")]).creates[0], "web-old")
    renewed = service().model_copy(deep=True)
    renewed.metadata.uid = "svc-2"
    result = plan(renewed, [old], [pod("a")])
    assert [s.metadata.name for s in result.deletes] == ["web-old"] and len(result.creates) == 1


# ----- trigger time and report


def test_the_trigger_time_is_the_services_creation_first_then_the_earliest_change_since():
    times, svc = TriggerTimes(), service()
    first = times.compute("default/web", svc, [pod("a")])
    assert rfc3339_nano(first) == "2026-12-05T12:00:00Z"
    assert times.compute("default/web", svc, [pod("a")]) is None
    later = times.compute("default/web", svc, [pod("a", ready_since="2026-12-05T12:00:09Z"),
                                               pod("b", ready_since="2026-12-05T12:00:07Z")])
    assert later == datetime(2026, 12, 5, 12, 0, 7, tzinfo=timezone.utc)
    assert rfc3339_nano(datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=timezone.utc)) == "2026-01-02T03:04:05.12Z"


def test_the_report_lists_pods_not_ready_first_with_their_slices():
    svc = service()
    selected = members(svc, [pod("a"), pod("b", "10.88.0.3", ready=False), pod("c", None)], known_nodes=set(NODES))
    slice_ = stored(plan(svc, [], [m.pod for m in selected]).creates[0], "web-abcde")

    report = service_report(svc, selected, [slice_])

    assert [(p.name, p.ready, p.reason, p.endpoint_slices) for p in report.pods] == [
        ("b", False, "NotReady", ["web-abcde"]), ("c", False, "NoIP", []), ("a", True, "Ready", ["web-abcde"])]
    assert (report.selected, report.ready, report.ports) == (3, 1, ["http 80/TCP -> 8080"])
    assert report.message == ("1 of 3 pods matching app=web is ready; b: Ready is False (ContainersNotReady): "
                              "container app is running, not ready yet")


def test_a_large_service_lists_only_the_first_pods():
    svc = service()
    selected = members(svc, [pod(f"p{i:03}", f"10.88.0.{i + 1}") for i in range(MAX_REPORTED_PODS + 5)])
    report = service_report(svc, selected, [])
    assert (len(report.pods), report.unlisted) == (MAX_REPORTED_PODS, 5)
