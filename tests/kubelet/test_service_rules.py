"""Rendering the Service rules of a pod's network namespace: pure, from a catalog fed by hand."""

from __future__ import annotations

from kubelet.services.catalog import ServiceCatalog
from kubelet.services.netns import our_chains
from kubelet.services.rules import (
    SERVICES_CHAIN, DnsRedirect, PortRoute, chain_name, removal, render, restore_input, routes_from,
)
from objects.endpoints import SERVICE_NAME_LABEL


def catalog_with(*services: dict, slices: tuple[dict, ...] = ()) -> ServiceCatalog:
    catalog = ServiceCatalog()
    for service in services:
        catalog.upsert_service(service)
    for endpoint_slice in slices:
        catalog.upsert_slice(endpoint_slice)
    return catalog


def service(name: str, cluster_ip: str, ports: list[dict], **spec: object) -> dict:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"clusterIP": cluster_ip, "ports": ports, **spec}}


def web_slice(*ips: str, port: int = 8080) -> dict:
    return {"metadata": {"name": "web-x", "namespace": "default", "labels": {SERVICE_NAME_LABEL: "web"}},
            "addressType": "IPv4", "endpoints": [{"addresses": [ip]} for ip in ips],
            "ports": [{"name": "http", "port": port}]}


WEB = service("web", "10.96.0.5", [{"name": "http", "port": 80, "nodePort": 30080}], type="NodePort")


def test_routes_skip_headless_external_name_and_sctp_and_keep_node_ports_of_node_port_services_only() -> None:
    catalog = catalog_with(
        WEB,
        service("headless", "None", [{"port": 80}]),
        service("ext", "", [{"port": 80}], type="ExternalName", externalName="example.com"),
        service("sctp", "10.96.0.6", [{"port": 80, "protocol": "SCTP"}]),
        service("plain", "10.96.0.7", [{"port": 81, "nodePort": 30081}]),  # a stale nodePort of a ClusterIP one
        slices=(web_slice("10.0.0.2", "10.0.0.1"),),
    )
    routes = routes_from(catalog)
    assert [(r.service, r.node_port, r.endpoints) for r in routes] == [
        ("plain", 0, ()), ("web", 30080, (("10.0.0.1", 8080), ("10.0.0.2", 8080)))]


def test_endpoints_share_traffic_evenly_through_statistic_probabilities() -> None:
    route = PortRoute("default", "web", "http", "TCP", "10.96.0.5", 80,
                      endpoints=(("10.0.0.1", 8080), ("10.0.0.2", 8080), ("10.0.0.3", 8080)))
    lines = restore_input(render([route])).splitlines()
    service_chain = chain_name("TK-SVC-", "default/web:http", "TCP")
    jumps = [line for line in lines if line.startswith(f"-A {service_chain}")]
    assert "--probability 0.3333333333" in jumps[0]
    assert "--probability 0.5000000000" in jumps[1]
    assert "statistic" not in jumps[2]
    assert any("-j DNAT --to-destination 10.0.0.3:8080" in line for line in lines)
    assert f"-A {SERVICES_CHAIN} -d 10.96.0.5/32 -p tcp --dport 80" in "\n".join(lines)


def test_a_service_port_without_endpoints_is_rejected_in_the_filter_table_also_on_node_ips() -> None:
    route = PortRoute("default", "web", "", "TCP", "10.96.0.5", 80, node_port=30080)
    text = restore_input(render([route], node_ips=("172.18.0.2",)))
    nat, filter_ = text.split("*filter")
    assert "10.96.0.5" not in nat
    assert "-d 10.96.0.5/32 -p tcp --dport 80" in filter_ and "-j REJECT" in filter_
    assert "-d 172.18.0.2/32 -p tcp --dport 30080" in filter_


def test_losing_the_last_endpoint_changes_only_nat_because_the_reject_is_always_there() -> None:
    """nat and filter are separate commits: were the REJECT added only once the endpoints are gone, a
    connection between the two would match neither DNAT nor REJECT and hang unanswered."""
    serving = PortRoute("default", "web", "", "TCP", "10.96.0.5", 80, endpoints=(("10.0.0.1", 8080),))
    drained = PortRoute("default", "web", "", "TCP", "10.96.0.5", 80)
    assert render([serving]).tables["filter"] == render([drained]).tables["filter"]
    assert "*filter" not in restore_input(render([drained]), previous=render([serving]))


def test_a_loopback_node_ip_is_no_node_port_destination_in_pods() -> None:
    """127.0.0.1:<nodePort> in a pod is the pod's own localhost, not the Service (and a martian elsewhere)."""
    route = PortRoute("default", "web", "", "TCP", "10.96.0.5", 80, node_port=30080, endpoints=(("10.0.0.1", 8080),))
    text = restore_input(render([route], node_ips=("127.0.0.1", "172.18.0.2", "not-an-ip")))
    assert "-d 172.18.0.2/32 -p tcp --dport 30080" in text
    assert "127.0.0.1" not in text and "not-an-ip" not in text


def test_cluster_dns_goes_to_the_local_socket_instead_of_kube_dns_endpoints() -> None:
    kube_dns = PortRoute("kube-system", "kube-dns", "dns", "UDP", "10.96.0.10", 53)
    text = restore_input(render([kube_dns], dns=DnsRedirect("10.96.0.10", 41000)))
    assert "-d 10.96.0.10/32 -p udp --dport 53" in text and "-d 10.96.0.10/32 -p tcp --dport 53" in text
    assert text.count("127.0.0.1:41000") == 2
    assert "REJECT" not in text  # kube-dns has no endpoints, and needs none


def route(name: str, *endpoints: str) -> PortRoute:
    return PortRoute("default", name, "", "TCP", "10.96.0.5", 80, endpoints=tuple((ip, 8080) for ip in endpoints))


def test_rendering_is_stable_and_a_change_rewrites_only_the_chains_it_touches() -> None:
    before = render([route("web", "10.0.0.1", "10.0.0.2"), route("db", "10.0.0.9")])
    assert render([route("web", "10.0.0.1", "10.0.0.2"), route("db", "10.0.0.9")]) == before
    after = render([route("web", "10.0.0.1"), route("db", "10.0.0.9")])
    text = restore_input(after, previous=before)
    web_chain, db_chain = chain_name("TK-SVC-", "default/web", "TCP"), chain_name("TK-SVC-", "default/db", "TCP")
    gone = chain_name("TK-SEP-", "default/web", "TCP", "10.0.0.2:8080")
    assert f":{web_chain} - [0:0]" in text and f":{gone} - [0:0]" in text and f"-X {gone}" in text
    assert db_chain not in text  # untouched: not rewritten
    assert "*filter" not in text  # nothing changed there
    assert restore_input(after, previous=after) == ""


def test_chains_found_in_the_namespace_and_no_longer_wanted_are_flushed_then_deleted() -> None:
    text = restore_input(render([]), present={"nat": {SERVICES_CHAIN, "TK-SVC-OLD", "TK-SEP-OLD"}})
    assert ":TK-SVC-OLD - [0:0]" in text and "-X TK-SVC-OLD" in text and "-X TK-SEP-OLD" in text
    assert f"-X {SERVICES_CHAIN}" not in text


def test_jumps_are_inserted_only_when_asked_and_removal_undoes_everything() -> None:
    assert "-I OUTPUT" not in restore_input(render([]))
    assert restore_input(render([]), add_jumps={"nat", "filter"}).count(f"-I OUTPUT 1 -j {SERVICES_CHAIN}") == 2
    only_filter = restore_input(render([]), previous=render([]), add_jumps={"filter"})
    assert "*nat" not in only_filter and only_filter.count("-I OUTPUT 1") == 1  # nat's jump is there already
    undo = removal({"nat": {SERVICES_CHAIN, "TK-SVC-A"}, "filter": {SERVICES_CHAIN}}, jumps=True)
    assert undo.count(f"-D OUTPUT -j {SERVICES_CHAIN}") == 2 and "-X TK-SVC-A" in undo


def test_our_chains_are_read_back_from_iptables_save() -> None:
    saved = "\n".join([
        "*filter", ":OUTPUT ACCEPT [0:0]", f":{SERVICES_CHAIN} - [0:0]", f"-A OUTPUT -j {SERVICES_CHAIN}", "COMMIT",
        "*nat", ":OUTPUT ACCEPT [0:0]", ":DOCKER_OUTPUT - [0:0]", f":{SERVICES_CHAIN} - [0:0]", ":TK-SVC-A - [0:0]",
        "-A OUTPUT -d 127.0.0.11/32 -j DOCKER_OUTPUT", "COMMIT",
    ])
    chains, jumps = our_chains(saved)
    assert chains == {"filter": {SERVICES_CHAIN}, "nat": {SERVICES_CHAIN, "TK-SVC-A"}}
    assert jumps == {"filter"}  # nat's OUTPUT has no jump to ours yet: only it gets one
