"""Service environment variables, as the kubelet's getServiceEnvVarMap makes them."""

from __future__ import annotations

from kubelet.services.env import service_env, visible_services
from objects.pod import Pod
from objects.service import Service


def service(name: str, namespace: str, cluster_ip: str, ports: list[dict]) -> Service:
    return Service.model_validate({"metadata": {"name": name, "namespace": namespace},
                                   "spec": {"clusterIP": cluster_ip, "ports": ports}})


def pod(namespace: str, **spec: object) -> Pod:
    return Pod.model_validate({"metadata": {"name": "p", "namespace": namespace},
                               "spec": {"containers": [{"name": "c"}], **spec}})


KUBERNETES = service("kubernetes", "default", "10.96.0.1", [{"name": "https", "port": 443, "protocol": "TCP"}])
REDIS = service("redis-primary", "shop", "10.96.0.11", [{"port": 6379, "protocol": "TCP"},
                                                         {"name": "metrics", "port": 9121, "protocol": "TCP"}])
OTHER = service("other", "elsewhere", "10.96.0.12", [{"port": 80}])
HEADLESS = service("db", "shop", "None", [{"port": 5432}])


def test_a_pod_sees_its_namespace_and_the_kubernetes_service_only() -> None:
    names = [s.metadata.name for s in visible_services(pod("shop"), [KUBERNETES, REDIS, OTHER, HEADLESS])]
    assert names == ["kubernetes", "redis-primary"]


def test_enable_service_links_false_leaves_only_kubernetes() -> None:
    names = [s.metadata.name for s in visible_services(pod("shop", enableServiceLinks=False), [KUBERNETES, REDIS])]
    assert names == ["kubernetes"]


def test_variables_are_named_and_valued_as_kubernetes_does() -> None:
    env = dict(service_env([KUBERNETES, REDIS]))
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert env["KUBERNETES_SERVICE_PORT"] == "443"
    assert env["KUBERNETES_SERVICE_PORT_HTTPS"] == "443"
    assert env["KUBERNETES_PORT"] == "tcp://10.96.0.1:443"
    assert env["REDIS_PRIMARY_SERVICE_PORT"] == "6379"
    assert env["REDIS_PRIMARY_SERVICE_PORT_METRICS"] == "9121"
    assert "REDIS_PRIMARY_SERVICE_PORT_" not in "".join(k for k in env if k.endswith("_"))
    assert env["REDIS_PRIMARY_PORT"] == "tcp://10.96.0.11:6379"
    assert env["REDIS_PRIMARY_PORT_9121_TCP"] == "tcp://10.96.0.11:9121"
    assert env["REDIS_PRIMARY_PORT_9121_TCP_PROTO"] == "tcp"
    assert env["REDIS_PRIMARY_PORT_9121_TCP_PORT"] == "9121"
    assert env["REDIS_PRIMARY_PORT_9121_TCP_ADDR"] == "10.96.0.11"
    assert service_env([HEADLESS]) == []
