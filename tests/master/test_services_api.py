"""Services, Endpoints and EndpointSlices over a real master's HTTPS API: the two Services every cluster has,
allocation and validation answers, the status subresource, tables, protobuf from the real kubectl,
and what a restart keeps and repairs."""

from __future__ import annotations

import asyncio
import logging
import socket
import subprocess
import sys

from master.api.app import create_app
from master.api.default_services import DefaultServices, advertised_address, ensure_default_services
from master.api.registry import Registry
from master.api.service_allocation import ServiceAllocator
from master.auth import TokenAuthenticator
from master.store import SqlStore
from objects import kinds
from tests.support.cluster import Master, wait_for

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io"


def services_path(namespace: str, name: str = "") -> str:
    return f"/api/v1/namespaces/{namespace}/services" + (f"/{name}" if name else "")


def node_port_service(name: str = "web", **spec) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": {"app": name}},
            "spec": {"type": "NodePort", "selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}],
                     **spec}}


# --- the Services every cluster has


def test_the_kubernetes_service_fronts_the_api_server_at_the_first_service_address(api, master):
    service = api.get(services_path("default", "kubernetes")).json()
    assert service["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert (service["spec"]["clusterIP"], service["spec"]["type"]) == ("10.96.0.1", "ClusterIP")
    assert service["spec"]["ports"] == [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": master.port}]
    assert "selector" not in service["spec"]


def test_pods_can_dial_the_api_as_kubernetes_default_svc_and_verify_it(master):
    # What a pod's client does: TLS to the name kubernetes.default.svc, trusting only the cluster CA.
    with socket.create_connection(("127.0.0.1", master.port), timeout=10) as raw, \
            master.ca.wrap_socket(raw, server_hostname="kubernetes.default.svc") as tls:
        assert tls.version()


def test_kube_dns_serves_dns_over_udp_and_tcp_at_the_tenth_address(api):
    spec = api.get(services_path("kube-system", "kube-dns")).json()["spec"]
    assert spec["clusterIP"] == "10.96.0.10"
    assert spec["ports"] == [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                             {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}]
    assert "selector" not in spec


def test_a_master_on_loopback_leaves_its_service_without_endpoints(api):
    # Kubernetes refuses loopback endpoints: no pod could reach them.
    assert api.get("/api/v1/namespaces/default/endpoints/kubernetes").status_code == 404


def test_the_master_writes_its_endpoints_at_the_advertised_address_and_moves_them(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    allocator = ServiceAllocator(store, cluster_ip_range="10.96.0.0/12", node_port_range="30000-32767")
    registry = Registry(store, allocators={"Service": allocator})
    for namespace in ("default", "kube-system"):
        registry.create(kinds.NAMESPACE, None, {"metadata": {"name": namespace}}, field_validation="Strict")
    try:
        ensure_default_services(registry, service_cidr="10.96.0.0/12", api_port=6443, advertised="192.168.7.2")
        endpoints = registry.get(kinds.ENDPOINTS, "default", "kubernetes")
        assert endpoints["subsets"] == [{"addresses": [{"ip": "192.168.7.2"}],
                                         "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}]
        endpoint_slice = registry.get(kinds.ENDPOINT_SLICE, "default", "kubernetes")
        assert endpoint_slice["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
        assert endpoint_slice["endpoints"] == [{"addresses": ["192.168.7.2"], "conditions": {"ready": True}}]
        first = endpoints["metadata"]["resourceVersion"]
        ensure_default_services(registry, service_cidr="10.96.0.0/12", api_port=6443, advertised="192.168.7.2")
        assert registry.get(kinds.ENDPOINTS, "default", "kubernetes")["metadata"]["resourceVersion"] == first
        ensure_default_services(registry, service_cidr="10.96.0.0/12", api_port=7443, advertised="192.168.7.9")
        moved = registry.get(kinds.ENDPOINT_SLICE, "default", "kubernetes")
        assert (moved["endpoints"][0]["addresses"], moved["ports"][0]["port"]) == (["192.168.7.9"], 7443)
        assert registry.get(kinds.SERVICE, "default", "kubernetes")["spec"]["ports"][0]["targetPort"] == 7443
    finally:
        store.close()


def test_a_taken_well_known_address_is_logged_and_the_master_keeps_going(tmp_path, caplog):
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    allocator = ServiceAllocator(store, cluster_ip_range="10.96.0.0/12", node_port_range="30000-32767")
    registry = Registry(store, allocators={"Service": allocator})
    for namespace in ("default", "kube-system"):
        registry.create(kinds.NAMESPACE, None, {"metadata": {"name": namespace}}, field_validation="Strict")
    try:
        squatter = node_port_service("squatter", clusterIP="10.96.0.1")
        registry.create(kinds.SERVICE, "default", squatter, field_validation="Strict")
        ensure_default_services(registry, service_cidr="10.96.0.0/12", api_port=6443, advertised="127.0.0.1")
        assert "provided IP is already allocated" in caplog.text
        assert registry.get(kinds.SERVICE, "kube-system", "kube-dns")["spec"]["clusterIP"] == "10.96.0.10"
    finally:
        store.close()


def test_a_running_master_puts_its_deleted_or_edited_services_back_within_its_repair_interval(tmp_path):
    # --time-scale 0.1: the master looks every second rather than every 10 s, as kube-apiserver does.
    master = Master(tmp_path / "data", extra_args=["--no-scheduler", "--time-scale", "0.1"]).start()
    try:
        with master.client() as api:
            assert api.delete(services_path("default", "kubernetes")).status_code == 200
            dns = api.get(services_path("kube-system", "kube-dns")).json()
            dns["spec"]["ports"] = dns["spec"]["ports"][:1]
            assert api.put(services_path("kube-system", "kube-dns"), json=dns).status_code == 200
            wait_for(lambda: api.get(services_path("default", "kubernetes")).json()["spec"]["clusterIP"]
                     == "10.96.0.1", message="the kubernetes Service back at its address")
            wait_for(lambda: [p["name"] for p in api.get(services_path("kube-system", "kube-dns")).json()
                              ["spec"]["ports"]] == ["dns", "dns-tcp"], message="kube-dns's ports back")
    finally:
        master.stop()


def test_a_finding_that_stays_true_is_logged_once_not_at_every_round(tmp_path, caplog):
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    allocator = ServiceAllocator(store, cluster_ip_range="10.96.0.0/12", node_port_range="30000-32767")
    registry = Registry(store, allocators={"Service": allocator})
    for namespace in ("default", "kube-system"):
        registry.create(kinds.NAMESPACE, None, {"metadata": {"name": namespace}}, field_validation="Strict")
    try:
        registry.create(kinds.SERVICE, "default", node_port_service("squatter", clusterIP="10.96.0.1"),
                        field_validation="Strict")
        services = DefaultServices(registry, service_cidr="10.96.0.0/12", api_port=6443, advertised="127.0.0.1")
        with caplog.at_level(logging.INFO, logger="master.api.default_services"):
            for _ in range(3):
                services.ensure()
        assert caplog.text.count("provided IP is already allocated") == 1
        assert caplog.text.count("which no pod can reach") == 1
    finally:
        store.close()


def test_the_apps_own_service_allocator_follows_the_store_only_while_the_app_serves(tmp_path):
    store = SqlStore(f"sqlite:///{tmp_path / 'store.db'}")
    authenticator = TokenAuthenticator(admin_token="admin-token", node_token="node-token")
    followers = lambda: store.hub.subscriber_count(kinds.SERVICE.group_resource)  # noqa: E731
    try:
        create_app(store=store, authenticator=authenticator, registry=Registry(store))
        assert followers() == 0  # a caller's registry brings its own allocators: none is built

        app = create_app(store=store, authenticator=authenticator)

        async def serve_then_shut_down():
            async with app.router.lifespan_context(app):
                assert followers() == 1

        asyncio.run(serve_then_shut_down())
        assert followers() == 0
    finally:
        store.close()


def test_the_advertised_address_is_the_bind_address_or_the_default_routes():
    assert advertised_address("10.1.2.3") == "10.1.2.3"
    assert advertised_address("localhost") == "127.0.0.1"
    assert advertised_address("0.0.0.0") not in ("0.0.0.0", "")


# --- writes


def test_a_created_service_is_allocated_defaulted_and_answered_whole(api, namespace):
    created = api.post(services_path(namespace), json=node_port_service())
    assert created.status_code == 201, created.text
    spec = created.json()["spec"]
    assert spec["clusterIPs"] == [spec["clusterIP"]] and spec["clusterIP"].startswith("10.")
    assert 30000 <= spec["ports"][0]["nodePort"] <= 32767
    assert (spec["sessionAffinity"], spec["externalTrafficPolicy"], spec["internalTrafficPolicy"]) == \
        ("None", "Cluster", "Cluster")
    assert created.json()["status"] == {"loadBalancer": {}}


def test_a_bad_service_is_a_422_status_naming_each_field_and_nothing_is_stored(api, namespace):
    bad = node_port_service(ports=[{"port": 80}, {"port": 80, "name": "b", "nodePort": 80}])
    answer = api.post(services_path(namespace), json=bad)
    assert answer.status_code == 422
    body = answer.json()
    assert (body["kind"], body["reason"], body["details"]["kind"]) == ("Status", "Invalid", "Service")
    assert [cause["field"] for cause in body["details"]["causes"]] == ["spec.ports[1].nodePort"]
    assert "provided port is not in the valid range. The range of valid ports is 30000-32767" in body["message"]
    assert api.get(services_path(namespace)).json()["items"] == []


def test_a_taken_address_is_refused_and_a_dry_run_takes_none(api, namespace):
    rehearsed = api.post(services_path(namespace), params={"dryRun": "All"},
                         json=node_port_service("a", clusterIP="10.96.200.1"))
    assert rehearsed.status_code == 201 and rehearsed.json()["spec"]["clusterIP"] == "10.96.200.1"
    assert api.post(services_path(namespace), json=node_port_service("b", clusterIP="10.96.200.1")).status_code == 201
    refused = api.post(services_path(namespace), json=node_port_service("c", clusterIP="10.96.200.1"))
    assert refused.status_code == 422
    assert refused.json()["message"] == ('Service "c" is invalid: spec.clusterIPs: Invalid value: '
                                         '[]string{"10.96.200.1"}: failed to allocate IP 10.96.200.1: '
                                         'provided IP is already allocated')


def test_only_the_status_subresource_writes_status(api, namespace):
    service = api.post(services_path(namespace), json=node_port_service(type="LoadBalancer")).json()
    service["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.7"}]}}
    assert api.put(services_path(namespace, "web"), json=service).json()["status"] == {"loadBalancer": {}}
    updated = api.put(services_path(namespace, "web") + "/status", json=service)
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"]["loadBalancer"]["ingress"] == [{"ip": "203.0.113.7"}]
    row = api.get(services_path(namespace), headers={"Accept": TABLE}).json()["rows"][0]["cells"]
    assert row[1:4] == ["LoadBalancer", service["spec"]["clusterIP"], "203.0.113.7"]


def test_kubectl_creates_services_in_protobuf_and_prints_the_servers_tables(kubectl, namespace):
    assert kubectl("create", "service", "nodeport", "web", "--tcp=80:8080", "--node-port=30999", "-n",
                   namespace).stdout == "service/web created\n"
    table = kubectl("get", "services", "-n", namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert table[1].split()[:5][1:] == ["NodePort", kubectl.json("get", "svc", "web", "-n", namespace)["spec"][
        "clusterIP"], "<none>", "80:30999/TCP"]
    refused = kubectl("create", "service", "nodeport", "web2", "--tcp=80:8080", "--node-port=30999", "-n", namespace,
                      check=False)
    assert refused.stderr == ('error: failed to create NodePort service: Service "web2" is invalid: '
                              'spec.ports[0].nodePort: Invalid value: 30999: provided port is already allocated\n')


APPLIED = """
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: ext}
subsets: [{addresses: [{ip: 10.0.0.5}], ports: [{port: 8080}]}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ext-1, labels: {kubernetes.io/service-name: ext}}
addressType: IPv4
endpoints: [{addresses: [10.0.0.5]}]
ports: [{port: 8080}]
"""


def test_kubectl_apply_changes_services_and_endpoints_in_place(kubectl, namespace):
    # Guards against a pod's merge keys applied to these kinds (ports by containerPort, addresses by type).
    created = kubectl("apply", "-n", namespace, "-f", "-", input=APPLIED).stdout
    assert created.splitlines() == ["service/web created", "endpoints/ext created",
                                    "endpointslice.discovery.k8s.io/ext-1 created"]
    cluster_ip = kubectl.json("get", "svc", "web", "-n", namespace)["spec"]["clusterIP"]
    changed = APPLIED.replace("port: 80, targetPort: 8080", "port: 81, targetPort: 8081").replace(
        "10.0.0.5", "10.0.0.6").replace("port: 8080", "port: 8082")
    assert kubectl("apply", "-n", namespace, "-f", "-", input=changed).stdout.split("\n")[0] == "service/web configured"
    service = kubectl.json("get", "svc", "web", "-n", namespace)
    assert service["spec"]["ports"] == [{"name": "http", "port": 81, "protocol": "TCP", "targetPort": 8081}]
    assert service["spec"]["clusterIP"] == cluster_ip  # kept, though the manifest has none
    assert kubectl.json("get", "ep", "ext", "-n", namespace)["subsets"] == [
        {"addresses": [{"ip": "10.0.0.6"}], "ports": [{"port": 8082, "protocol": "TCP"}]}]
    assert kubectl.json("get", "endpointslice", "ext-1", "-n", namespace)["endpoints"] == [
        {"addresses": ["10.0.0.6"]}]


def test_endpoints_and_endpoint_slices_of_a_selector_less_service_are_written_by_hand(api, namespace):
    endpoints = {"metadata": {"name": "db"}, "subsets": [{"addresses": [{"ip": "10.0.0.5"}], "ports": [{"port": 5432}]}]}
    created = api.post(f"/api/v1/namespaces/{namespace}/endpoints", json=endpoints)
    assert created.status_code == 201 and created.json()["subsets"][0]["ports"] == [{"port": 5432, "protocol": "TCP"}]
    endpoint_slice = {"metadata": {"name": "db-1", "labels": {"kubernetes.io/service-name": "db"}},
                      "addressType": "IPv4", "endpoints": [{"addresses": ["127.0.0.1"]}], "ports": [{"port": 5432}]}
    refused = api.post(f"/apis/discovery.k8s.io/v1/namespaces/{namespace}/endpointslices", json=endpoint_slice)
    assert refused.status_code == 422
    assert refused.json()["details"]["causes"] == [{
        "reason": "FieldValueInvalid", "field": "endpoints[0].addresses[0]",
        "message": 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)'}]


# --- a restart


def test_a_restarted_master_keeps_allocations_and_puts_its_own_services_back(tmp_path):
    master = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()
    try:
        with master.client() as api:
            assert api.post(services_path("default"), json=node_port_service(
                ports=[{"port": 80, "nodePort": 30080}])).status_code == 201
            api.delete(services_path("default", "kubernetes"))
    finally:
        master.stop()
    restarted = Master(tmp_path / "data", extra_args=["--no-scheduler"]).start()  # on another port
    try:
        with restarted.client() as api:
            kubernetes_service = api.get(services_path("default", "kubernetes")).json()
            assert kubernetes_service["spec"]["clusterIP"] == "10.96.0.1"
            assert kubernetes_service["spec"]["ports"][0]["targetPort"] == restarted.port
            taken = api.post(services_path("default"), json=node_port_service("web2", ports=[
                {"port": 80, "nodePort": 30080}]))
            assert taken.status_code == 422 and "provided port is already allocated" in taken.text
    finally:
        restarted.stop()


def test_a_service_range_that_does_not_parse_stops_the_master(tmp_path):
    result = subprocess.run([sys.executable, "-m", "master.main", "--data-dir", str(tmp_path / "data"),
                             "--port", "1", "--service-cluster-ip-range", "10.96.0.0/33"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "--service-cluster-ip-range" in result.stderr


def test_services_are_selected_by_cluster_ip_and_type(api, namespace):
    api.post(services_path(namespace), json=node_port_service("a", clusterIP="10.96.201.1"))
    api.post(services_path(namespace), json=node_port_service("b", type="ClusterIP"))

    def names(selector: str) -> list[str]:
        return [s["metadata"]["name"] for s in api.get(services_path(namespace),
                                                       params={"fieldSelector": selector}).json()["items"]]
    assert names("spec.clusterIP=10.96.201.1") == ["a"]
    assert names("spec.type=ClusterIP") == ["b"]
    refused = api.get(services_path(namespace), params={"fieldSelector": "spec.selector=x"})
    assert (refused.status_code, refused.json()["message"]) == (400, "field label not supported: spec.selector")
