"""ClusterIP and NodePort allocation through the registry, on a real store: what is taken is what
stored Services hold, so deletes, type changes, refused and dry-run writes never leak a value."""

from __future__ import annotations

import copy
import ipaddress

import pytest

from master.api import status
from master.api.registry import DeleteOptions, Registry
from master.api.service_allocation import ServiceAllocator, parse_port_range, parse_service_cidr
from master.store import SqlStore
from objects import kinds
from objects.service import Service

CIDR = "10.0.0.0/29"  # six usable addresses, .1 to .6: small enough to fill
PORTS = "30000-30004"


@pytest.fixture
def store(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    yield store
    store.close()


def new_registry(store: SqlStore, *, cidr: str = CIDR, ports: str = PORTS) -> Registry:
    allocator = ServiceAllocator(store, cluster_ip_range=cidr, node_port_range=ports, seed=7)
    return Registry(store, seed=1, allocators={"Service": allocator})


@pytest.fixture
def registry(store):
    registry = new_registry(store)
    for name in ("default", "other"):
        registry.create(kinds.NAMESPACE, None, {"metadata": {"name": name}}, field_validation="Strict")
    return registry


def service(name: str, *, service_type: str = "ClusterIP", cluster_ip: str | None = None,
            node_ports: list[int | None] | None = None, **spec) -> dict:
    ports = [{"name": f"p{i}", "port": 80 + i, **({"nodePort": p} if p else {})}
             for i, p in enumerate(node_ports or [None])]
    body = {"metadata": {"name": name}, "spec": {"type": service_type, "selector": {"app": name}, "ports": ports,
                                                  **spec}}
    if cluster_ip:
        body["spec"]["clusterIP"] = cluster_ip
    return body


def create(registry: Registry, body: dict, namespace: str = "default") -> dict:
    return registry.create(kinds.SERVICE, namespace, body, field_validation="Strict").obj


def refusal(registry: Registry, body: dict) -> status.ApiError:
    with pytest.raises(status.ApiError) as raised:
        create(registry, body)
    return raised.value


def delete(registry: Registry, name: str, namespace: str = "default") -> None:
    registry.delete(kinds.SERVICE, namespace, name, DeleteOptions())


# --- cluster IPs


def test_a_service_gets_an_address_from_the_range_and_the_fields_that_go_with_it(registry):
    spec = create(registry, service("web"))["spec"]
    assert ipaddress.ip_address(spec["clusterIP"]) in ipaddress.ip_network(CIDR)
    assert spec["clusterIP"] not in ("10.0.0.0", "10.0.0.7")  # never the network or broadcast address
    assert spec["clusterIPs"] == [spec["clusterIP"]]
    assert (spec["ipFamilies"], spec["ipFamilyPolicy"]) == (["IPv4"], "SingleStack")


def test_a_requested_address_is_honoured_once_and_refused_after(registry):
    assert create(registry, service("web", cluster_ip="10.0.0.3"))["spec"]["clusterIPs"] == ["10.0.0.3"]
    error = refusal(registry, service("web2", cluster_ip="10.0.0.3"))
    assert (error.code, error.message) == (422, 'Service "web2" is invalid: spec.clusterIPs: Invalid value: '
                                                '[]string{"10.0.0.3"}: failed to allocate IP 10.0.0.3: '
                                                'provided IP is already allocated')


def test_an_address_outside_the_range_is_refused(registry):
    error = refusal(registry, service("web", cluster_ip="10.1.2.3"))
    assert error.details["causes"] == [{
        "reason": "FieldValueInvalid", "field": "spec.clusterIPs",
        "message": 'Invalid value: []string{"10.1.2.3"}: failed to allocate IP 10.1.2.3: the provided IP (10.1.2.3) '
                   'is not in the valid range. The range of valid IPs is 10.0.0.0/29'}]


def test_a_full_range_is_a_500_and_a_delete_gives_the_address_back(registry):
    taken = {create(registry, service(f"s{i}"))["spec"]["clusterIP"] for i in range(6)}
    assert taken == {f"10.0.0.{i}" for i in range(1, 7)}
    error = refusal(registry, service("one-too-many"))
    assert (error.code, error.message) == (500, "Internal error occurred: failed to allocate a serviceIP: range is full")
    freed = registry.get(kinds.SERVICE, "default", "s2")["spec"]["clusterIP"]
    delete(registry, "s2")
    assert create(registry, service("again"))["spec"]["clusterIP"] == freed


def test_deleting_a_namespace_frees_its_services_addresses(registry):
    for i in range(6):
        create(registry, service(f"s{i}"), namespace="other")
    registry.delete(kinds.NAMESPACE, None, "other", DeleteOptions())
    assert create(registry, service("web", cluster_ip="10.0.0.1"))["spec"]["clusterIP"] == "10.0.0.1"


def test_a_refused_create_holds_nothing(registry):
    # Guards against a leak: the address is picked before validation refuses the port.
    bad = service("web", cluster_ip="10.0.0.4")
    bad["spec"]["ports"][0]["port"] = 0
    assert refusal(registry, bad).code == 422
    assert create(registry, service("web", cluster_ip="10.0.0.4"))["spec"]["clusterIP"] == "10.0.0.4"


def test_a_dry_run_create_shows_an_address_and_holds_nothing(registry):
    rehearsal = registry.dry_run().create(kinds.SERVICE, "default", service("web", cluster_ip="10.0.0.5"),
                                          field_validation="Strict").obj
    assert rehearsal["spec"]["clusterIP"] == "10.0.0.5"
    assert registry.list(kinds.SERVICE, "default")[0] == []
    assert create(registry, service("web2", cluster_ip="10.0.0.5"))["spec"]["clusterIP"] == "10.0.0.5"


def test_requests_in_flight_never_get_the_same_address(store, registry):
    allocator = registry.allocators["Service"]
    picked = []
    for name in ("a", "b", "c"):
        candidate = Service.model_validate(service(name))
        candidate.spec.cluster_ips = None
        allocator.reserve(candidate, None)  # reserved, never stored, never released
        picked.append(candidate.spec.cluster_ip)
    assert len(set(picked)) == 3


def test_a_restarted_master_knows_which_addresses_and_ports_are_held(store, registry):
    create(registry, service("web", cluster_ip="10.0.0.2", service_type="NodePort", node_ports=[30002]))
    restarted = new_registry(store)
    assert "already allocated" in refusal(restarted, service("web2", cluster_ip="10.0.0.2")).message
    error = refusal(restarted, service("web3", service_type="NodePort", node_ports=[30002]))
    assert error.details["causes"][0]["message"] == "Invalid value: 30002: provided port is already allocated"


def test_picked_addresses_leave_the_low_band_to_requests(store):
    registry = new_registry(store, cidr="10.96.0.0/24")
    registry.create(kinds.NAMESPACE, None, {"metadata": {"name": "default"}}, field_validation="Strict")
    picked = [ipaddress.ip_address(create(registry, service(f"s{i}"))["spec"]["clusterIP"]) for i in range(40)]
    assert min(picked) >= ipaddress.ip_address("10.96.0.17")


def test_headless_and_external_name_services_take_no_address(registry):
    headless = create(registry, service("db", cluster_ip="None"))["spec"]
    assert (headless["clusterIPs"], headless["ipFamilyPolicy"]) == (["None"], "SingleStack")
    selectorless = service("peers", cluster_ip="None")
    del selectorless["spec"]["selector"]
    spec = create(registry, selectorless)["spec"]
    # Kubernetes' special case: a headless Service without a selector may carry any family.
    assert (spec["ipFamilyPolicy"], spec["ipFamilies"]) == ("RequireDualStack", ["IPv4", "IPv6"])
    external = create(registry, {"metadata": {"name": "ext"},
                                 "spec": {"type": "ExternalName", "externalName": "db.example.com"}})["spec"]
    assert "clusterIP" not in external and "ipFamilies" not in external
    assert len({create(registry, service(f"s{i}"))["spec"]["clusterIP"] for i in range(6)}) == 6


def test_an_external_name_service_turned_cluster_ip_gets_an_address(registry):
    create(registry, {"metadata": {"name": "ext"}, "spec": {"type": "ExternalName", "externalName": "x.example"}})
    turned = registry.patch(kinds.SERVICE, "default", "ext",
                            {"spec": {"type": "ClusterIP", "externalName": None, "ports": [{"port": 80}]}},
                            content_type="application/merge-patch+json", field_validation="Strict").obj
    assert ipaddress.ip_address(turned["spec"]["clusterIP"]) in ipaddress.ip_network(CIDR)


# --- node ports


def test_a_node_port_service_gets_one_node_port_per_port(registry):
    ports = create(registry, service("web", service_type="NodePort", node_ports=[None, None]))["spec"]["ports"]
    assert len({port["nodePort"] for port in ports}) == 2
    assert all(30000 <= port["nodePort"] <= 30004 for port in ports)


def test_the_same_port_number_over_two_protocols_shares_its_node_port(registry):
    body = service("dns", service_type="NodePort")
    body["spec"]["ports"] = [{"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53}]
    ports = create(registry, body)["spec"]["ports"]
    assert ports[0]["nodePort"] == ports[1]["nodePort"]


def test_a_requested_node_port_is_honoured_once_and_must_be_in_range(registry):
    assert create(registry, service("a", service_type="NodePort", node_ports=[30003]))["spec"]["ports"][0][
        "nodePort"] == 30003
    taken = refusal(registry, service("b", service_type="NodePort", node_ports=[30003]))
    assert taken.message == ('Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30003: '
                             'provided port is already allocated')
    outside = refusal(registry, service("c", service_type="NodePort", node_ports=[80]))
    assert outside.message == ('Service "c" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is '
                               'not in the valid range. The range of valid ports is 30000-30004')


def test_turning_a_node_port_service_into_cluster_ip_frees_its_node_ports(registry):
    created = create(registry, service("web", service_type="NodePort", node_ports=[30001]))
    changed = copy.deepcopy(created)
    changed["spec"]["type"] = "ClusterIP"
    updated = registry.update(kinds.SERVICE, "default", "web", changed, field_validation="Strict").obj
    assert "nodePort" not in updated["spec"]["ports"][0]
    assert "externalTrafficPolicy" not in updated["spec"]
    assert create(registry, service("web2", service_type="NodePort", node_ports=[30001]))["spec"]["ports"][0][
        "nodePort"] == 30001


def test_reapplying_a_manifest_without_node_ports_keeps_the_allocated_ones(registry):
    created = create(registry, service("web", service_type="NodePort"))
    manifest = service("web", service_type="NodePort")
    updated = registry.update(kinds.SERVICE, "default", "web", manifest, field_validation="Strict").obj
    assert updated["spec"]["ports"][0]["nodePort"] == created["spec"]["ports"][0]["nodePort"]
    assert updated["spec"]["clusterIP"] == created["spec"]["clusterIP"]


def test_an_update_may_move_to_a_free_node_port_but_not_to_a_taken_one(registry):
    create(registry, service("a", service_type="NodePort", node_ports=[30000]))
    create(registry, service("b", service_type="NodePort", node_ports=[30001]))
    moved = service("b", service_type="NodePort", node_ports=[30002])
    assert registry.update(kinds.SERVICE, "default", "b", moved, field_validation="Strict").obj["spec"]["ports"][0][
        "nodePort"] == 30002
    with pytest.raises(status.ApiError) as raised:
        registry.update(kinds.SERVICE, "default", "b", service("b", service_type="NodePort", node_ports=[30000]),
                        field_validation="Strict")
    assert raised.value.details["causes"][0]["message"] == "Invalid value: 30000: provided port is already allocated"
    # 30001, which b left, is free again
    assert create(registry, service("c", service_type="NodePort", node_ports=[30001]))["spec"]["ports"][0][
        "nodePort"] == 30001


# --- the flags


@pytest.mark.parametrize(("text", "expected"), [("30000-32767", (30000, 32767)), ("30000+100", (30000, 30100)),
                                                ("31000", (31000, 31000))])
def test_node_port_ranges_read_as_kube_apiserver_reads_them(text, expected):
    assert parse_port_range(text) == expected


@pytest.mark.parametrize("text", ["nope", "32767-30000", "0-10", "30000-70000"])
def test_a_bad_node_port_range_is_refused(text):
    with pytest.raises(ValueError, match="--service-node-port-range"):
        parse_port_range(text)


def test_a_bad_service_cidr_is_refused():
    with pytest.raises(ValueError, match="--service-cluster-ip-range"):
        parse_service_cidr("10.96.0.0/33")
