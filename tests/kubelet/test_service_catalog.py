"""ServiceCatalog fed by hand: what the data path and DNS read from it."""

from __future__ import annotations

from kubelet.services.catalog import ServiceCatalog
from objects.endpoints import SERVICE_NAME_LABEL


def service(name: str, namespace: str = "default", **spec: object) -> dict:
    return {"metadata": {"name": name, "namespace": namespace}, "spec": {"clusterIP": "10.96.0.5", **spec}}


def endpoint_slice(name: str, service_name: str, ready: dict[str, bool], ports: dict[str, int],
                   namespace: str = "default", address_type: str = "IPv4") -> dict:
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": {SERVICE_NAME_LABEL: service_name}},
        "addressType": address_type,
        "endpoints": [{"addresses": [ip], "conditions": {"ready": is_ready}} for ip, is_ready in ready.items()],
        "ports": [{"name": port_name, "port": port, "protocol": "TCP"} for port_name, port in ports.items()],
    }


def test_ready_endpoints_merge_slices_by_port_name_and_skip_unready() -> None:
    catalog = ServiceCatalog()
    catalog.upsert_service(service("web"))
    catalog.upsert_slice(endpoint_slice("web-a", "web", {"10.0.0.2": True, "10.0.0.3": False}, {"http": 8080}))
    catalog.upsert_slice(endpoint_slice("web-b", "web", {"10.0.0.1": True, "10.0.0.2": True}, {"http": 8080}))
    assert catalog.ready_endpoints("default", "web", "http") == [("10.0.0.1", 8080), ("10.0.0.2", 8080)]
    assert catalog.ready_endpoints("default", "web", "") == []
    assert [e.addresses[0] for e in catalog.endpoints("default", "web")] == ["10.0.0.1", "10.0.0.2"]
    assert len(catalog.endpoints("default", "web", ready_only=False)) == 3


def test_only_ipv4_slices_and_addresses_are_kept_so_a_hand_written_one_cannot_break_every_pods_rules() -> None:
    """An FQDN address in a DNAT rule makes iptables-restore refuse the whole nat table (kube-proxy
    reads only its own address family)."""
    catalog = ServiceCatalog()
    catalog.upsert_slice(endpoint_slice("web-fqdn", "web", {"example.com": True}, {"http": 80}, address_type="FQDN"))
    catalog.upsert_slice(endpoint_slice("web-v6", "web", {"fd00::1": True}, {"http": 80}, address_type="IPv6"))
    catalog.upsert_slice(endpoint_slice("web-v4", "web", {"10.0.0.1": True, "example.org": True, "fd00::2": True},
                                        {"http": 80}))
    assert catalog.ready_endpoints("default", "web", "http") == [("10.0.0.1", 80)]
    assert [s.metadata.name for s in catalog.slices("default", "web")] == ["web-v4"]
    catalog.upsert_slice(endpoint_slice("web-v4", "web", {"10.0.0.1": True}, {"http": 80}, address_type="FQDN"))
    assert catalog.ready_endpoints("default", "web", "http") == []  # turned FQDN: forgotten


def test_a_relabelled_slice_moves_to_its_new_service_and_a_deleted_one_leaves() -> None:
    catalog = ServiceCatalog()
    catalog.upsert_slice(endpoint_slice("s", "old", {"10.0.0.1": True}, {"": 80}))
    catalog.upsert_slice(endpoint_slice("s", "new", {"10.0.0.1": True}, {"": 80}))
    assert catalog.ready_endpoints("default", "old") == []
    assert catalog.ready_endpoints("default", "new") == [("10.0.0.1", 80)]
    catalog.remove_slice(endpoint_slice("s", "new", {}, {}))
    assert catalog.ready_endpoints("default", "new") == []


def test_subscribers_are_called_and_one_failing_does_not_stop_the_others() -> None:
    catalog = ServiceCatalog()
    calls: list[str] = []
    catalog.subscribe(lambda: 1 / 0)
    catalog.subscribe(lambda: calls.append("called"))
    catalog.upsert_service(service("web"))
    catalog.notify_now()
    assert calls == ["called"]
    assert catalog.service("default", "web") is not None
    catalog.remove_service(service("web"))
    assert catalog.services() == []


def test_node_ips_are_internal_ips_and_a_heartbeat_is_no_change() -> None:
    catalog = ServiceCatalog()
    node = {"metadata": {"name": "n1"}, "status": {"addresses": [{"type": "Hostname", "address": "n1"},
                                                                  {"type": "InternalIP", "address": "10.0.0.9"}]}}
    catalog.upsert_node(node)
    assert catalog.node_ips() == ("10.0.0.9",)
    catalog.notify_now()
    catalog.upsert_node(node)
    assert not catalog._dirty.is_set()  # the notifier would not wake every subscriber for a heartbeat
    catalog.remove_node(node)
    assert catalog.node_ips() == ()
