"""The cluster DNS resolver against an in-memory ServiceCatalog: the answers CoreDNS's kubernetes plugin gives."""

from __future__ import annotations

from typing import Any

import pytest
from dnslib import QTYPE, RCODE, DNSRecord

from kubelet.services.catalog import ServiceCatalog
from kubelet.services.dns import TTL, Answer, ChaseOutside, ClusterResolver, Forward
from kubelet.services.dns_names import ClusterName, parse_cluster_name, pod_ip, reverse_ip
from objects.endpoints import SERVICE_NAME_LABEL


def service(name: str, namespace: str = "default", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": spec}


def endpoint_slice(service_name: str, endpoints: list[dict[str, Any]], ports: list[dict[str, Any]],
                   namespace: str = "default", suffix: str = "a1b2c") -> dict[str, Any]:
    return {"metadata": {"name": f"{service_name}-{suffix}", "namespace": namespace,
                         "labels": {SERVICE_NAME_LABEL: service_name}},
            "addressType": "IPv4", "endpoints": endpoints, "ports": ports}


@pytest.fixture
def catalog() -> ServiceCatalog:
    catalog = ServiceCatalog()
    catalog.upsert_service(service("kube-dns", "kube-system", clusterIP="10.96.0.10", ports=[
        {"name": "dns", "port": 53, "protocol": "UDP"}, {"name": "dns-tcp", "port": 53, "protocol": "TCP"}]))
    catalog.upsert_service(service("web", clusterIP="10.96.0.20", clusterIPs=["10.96.0.20"], ports=[
        {"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080},
        {"name": "metrics", "port": 9090, "protocol": "TCP"}]))
    catalog.upsert_service(service("db", clusterIP="None", ports=[{"name": "pg", "port": 5432}]))
    catalog.upsert_slice(endpoint_slice("db", [
        {"addresses": ["172.18.0.5"], "conditions": {"ready": True}},
        {"addresses": ["172.18.0.6"], "hostname": "db-1", "conditions": {"ready": True}},
        {"addresses": ["172.18.0.7"], "conditions": {"ready": False}},
    ], [{"name": "pg", "port": 5432, "protocol": "TCP"}]))
    catalog.upsert_service(service("empty", clusterIP="None", ports=[{"port": 80}]))
    catalog.upsert_service(service("ext", type="ExternalName", externalName="example.com"))
    catalog.upsert_service(service("alias", type="ExternalName", externalName="web.default.svc.cluster.local"))
    return catalog


@pytest.fixture
def resolver(catalog: ServiceCatalog) -> ClusterResolver:
    return ClusterResolver(catalog)


def ask(resolver: ClusterResolver, name: str, qtype: str = "A") -> DNSRecord:
    resolution = resolver.resolve(DNSRecord.question(name, qtype))
    assert isinstance(resolution, Answer), resolution
    return resolution.reply


def rdatas(reply: DNSRecord, qtype: str) -> list[str]:
    return [str(rr.rdata) for rr in reply.rr if rr.rtype == getattr(QTYPE, qtype)]


def test_a_cluster_ip_service_answers_its_cluster_ip_with_ttl_5(resolver):
    reply = ask(resolver, "web.default.svc.cluster.local")
    assert reply.header.rcode == RCODE.NOERROR and reply.header.aa
    assert rdatas(reply, "A") == ["10.96.0.20"]
    assert [rr.ttl for rr in reply.rr] == [TTL]


def test_names_compare_case_insensitively_and_answer_in_the_case_asked(resolver):
    reply = ask(resolver, "Web.DEFAULT.svc.Cluster.Local.")
    assert rdatas(reply, "A") == ["10.96.0.20"]
    assert str(reply.rr[0].rname) == "Web.DEFAULT.svc.Cluster.Local."


def test_a_headless_service_answers_its_ready_endpoints_only(resolver):
    reply = ask(resolver, "db.default.svc.cluster.local")
    assert sorted(rdatas(reply, "A")) == ["172.18.0.5", "172.18.0.6"]


def test_a_headless_service_without_ready_endpoints_is_a_name_error(resolver):
    assert ask(resolver, "empty.default.svc.cluster.local").header.rcode == RCODE.NXDOMAIN


def test_an_endpoint_is_named_by_its_hostname_or_its_dashed_ip(resolver):
    assert rdatas(ask(resolver, "db-1.db.default.svc.cluster.local"), "A") == ["172.18.0.6"]
    assert rdatas(ask(resolver, "172-18-0-5.db.default.svc.cluster.local"), "A") == ["172.18.0.5"]
    assert ask(resolver, "172-18-0-7.db.default.svc.cluster.local").header.rcode == RCODE.NXDOMAIN


def test_srv_for_a_named_port_points_at_the_service_with_its_address_alongside(resolver):
    reply = ask(resolver, "_http._tcp.web.default.svc.cluster.local", "SRV")
    [srv] = reply.rr
    assert (srv.rdata.priority, srv.rdata.weight, srv.rdata.port) == (0, 100, 80)
    assert str(srv.rdata.target) == "web.default.svc.cluster.local."
    assert [(str(rr.rname), str(rr.rdata)) for rr in reply.ar] == [("web.default.svc.cluster.local.", "10.96.0.20")]


def test_srv_without_a_port_lists_every_port(resolver):
    reply = ask(resolver, "web.default.svc.cluster.local", "SRV")
    assert sorted(rr.rdata.port for rr in reply.rr) == [80, 9090]
    assert {rr.rdata.weight for rr in reply.rr} == {50}


def test_srv_of_a_headless_service_names_each_endpoint(resolver):
    reply = ask(resolver, "_pg._tcp.db.default.svc.cluster.local", "SRV")
    assert sorted(str(rr.rdata.target) for rr in reply.rr) == [
        "172-18-0-5.db.default.svc.cluster.local.", "db-1.db.default.svc.cluster.local."]
    assert sorted(str(rr.rdata) for rr in reply.ar) == ["172.18.0.5", "172.18.0.6"]


def test_srv_for_a_port_or_protocol_the_service_lacks_is_a_name_error(resolver):
    assert ask(resolver, "_http._udp.web.default.svc.cluster.local", "SRV").header.rcode == RCODE.NXDOMAIN
    assert ask(resolver, "_nope._tcp.web.default.svc.cluster.local", "SRV").header.rcode == RCODE.NXDOMAIN


def test_an_unknown_service_is_a_name_error_carrying_the_zone_soa(resolver):
    reply = ask(resolver, "nope.default.svc.cluster.local")
    assert reply.header.rcode == RCODE.NXDOMAIN and reply.header.aa and not reply.rr
    [soa] = reply.auth
    assert str(soa.rname) == "cluster.local." and soa.ttl == TTL
    assert str(soa.rdata.mname) == "ns.dns.cluster.local." and str(soa.rdata.rname) == "hostmaster.cluster.local."
    assert soa.rdata.times[1:] == (7200, 1800, 86400, TTL)


def test_a_type_the_name_lacks_is_nodata_not_a_name_error(resolver):
    """musl and glibc ask A and AAAA together: NXDOMAIN for AAAA would make them drop the A answer."""
    reply = ask(resolver, "web.default.svc.cluster.local", "AAAA")
    assert reply.header.rcode == RCODE.NOERROR and not reply.rr and len(reply.auth) == 1


def test_search_list_expansions_of_a_full_name_are_name_errors(resolver):
    reply = ask(resolver, "web.default.svc.cluster.local.default.svc.cluster.local")
    assert reply.header.rcode == RCODE.NXDOMAIN


def test_namespace_and_branch_names_exist_without_records(resolver):
    assert ask(resolver, "default.svc.cluster.local").header.rcode == RCODE.NOERROR
    assert ask(resolver, "svc.cluster.local").header.rcode == RCODE.NOERROR
    assert ask(resolver, "nobody.svc.cluster.local").header.rcode == RCODE.NXDOMAIN
    assert ask(resolver, "web.default.other.cluster.local").header.rcode == RCODE.NXDOMAIN


def test_a_pod_name_answers_the_ip_it_spells(resolver):
    assert rdatas(ask(resolver, "172-18-0-9.default.pod.cluster.local"), "A") == ["172.18.0.9"]
    assert ask(resolver, "not-an-ip.default.pod.cluster.local").header.rcode == RCODE.NXDOMAIN


def test_an_external_name_is_a_cname_completed_by_the_upstream(resolver):
    resolution = resolver.resolve(DNSRecord.question("ext.default.svc.cluster.local", "A"))
    assert isinstance(resolution, ChaseOutside)
    assert (resolution.target, resolution.qtype) == ("example.com", QTYPE.A)
    assert rdatas(resolution.reply, "CNAME") == ["example.com."]


def test_an_external_name_inside_the_zone_is_followed_here(resolver):
    reply = ask(resolver, "alias.default.svc.cluster.local")
    assert rdatas(reply, "CNAME") == ["web.default.svc.cluster.local."]
    assert rdatas(reply, "A") == ["10.96.0.20"]


def test_the_apex_serves_its_soa_and_name_server(resolver):
    assert str(ask(resolver, "cluster.local", "SOA").rr[0].rdata.mname) == "ns.dns.cluster.local."
    ns = ask(resolver, "cluster.local", "NS")
    assert rdatas(ns, "NS") == ["ns.dns.cluster.local."]
    assert [str(rr.rdata) for rr in ns.ar] == ["10.96.0.10"]
    assert rdatas(ask(resolver, "ns.dns.cluster.local"), "A") == ["10.96.0.10"]


def test_dns_version_names_the_schema(resolver):
    assert rdatas(ask(resolver, "dns-version.cluster.local", "TXT"), "TXT") == ['"1.1.0"']


def test_reverse_lookups_name_services_and_endpoints_and_forward_the_rest(resolver):
    assert rdatas(ask(resolver, "20.0.96.10.in-addr.arpa", "PTR"), "PTR") == ["web.default.svc.cluster.local."]
    assert rdatas(ask(resolver, "6.0.18.172.in-addr.arpa", "PTR"), "PTR") == ["db-1.db.default.svc.cluster.local."]
    assert isinstance(resolver.resolve(DNSRecord.question("1.1.168.192.in-addr.arpa", "PTR")), Forward)


def test_names_outside_the_cluster_domain_are_forwarded(resolver):
    assert isinstance(resolver.resolve(DNSRecord.question("example.com", "A")), Forward)
    assert isinstance(resolver.resolve(DNSRecord.question("notcluster.local", "A")), Forward)


def test_the_answer_follows_the_catalog(catalog, resolver):
    catalog.remove_service(service("web"))
    assert ask(resolver, "web.default.svc.cluster.local").header.rcode == RCODE.NXDOMAIN
    catalog.upsert_slice(endpoint_slice("empty", [{"addresses": ["172.18.0.8"]}], [{"port": 80}]))
    assert rdatas(ask(resolver, "empty.default.svc.cluster.local"), "A") == ["172.18.0.8"]


def test_a_changed_catalog_moves_the_soa_serial_on(resolver):
    before = ask(resolver, "cluster.local", "SOA").rr[0].rdata.times[0]
    resolver.note_change()
    assert ask(resolver, "cluster.local", "SOA").rr[0].rdata.times[0] > before


@pytest.mark.parametrize(("labels", "expected"), [
    ([], ClusterName()),
    (["web", "default", "svc"], ClusterName(branch="svc", namespace="default", service="web")),
    (["_http", "_tcp", "web", "default", "svc"],
     ClusterName(branch="svc", namespace="default", service="web", port="http", protocol="tcp")),
    (["db-1", "db", "default", "svc"], ClusterName(branch="svc", namespace="default", service="db", endpoint="db-1")),
    (["a", "b", "c", "web", "default", "svc"], None),
    (["web", "default", "nope"], None),
])
def test_parse_cluster_name(labels, expected):
    assert parse_cluster_name(labels) == expected


def test_pod_and_reverse_names_spell_addresses():
    assert pod_ip("10-1-2-3") == "10.1.2.3" and pod_ip("fd00--1") == "fd00::1" and pod_ip("1-2-3") is None
    assert reverse_ip("3.2.1.10.in-addr.arpa.") == "10.1.2.3"
    assert reverse_ip("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa") == "fd00::1"
    assert reverse_ip("2.1.10.in-addr.arpa") is None
