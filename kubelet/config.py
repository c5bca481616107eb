"""The kubelet's settings, parsed once from flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from objects.service import CLUSTER_DOMAIN

DEFAULT_PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
DEFAULT_NETWORK = "tinykube"
DEFAULT_CLUSTER_DNS = "10.96.0.10"  # kube-dns's ClusterIP: the 10th address of the default service CIDR


@dataclass(frozen=True)
class KubeletConfig:
    node_name: str
    kubeconfig: Path
    port: int = 10250
    address: str = "127.0.0.1"  # advertised as the node's InternalIP; the master reaches the kubelet there
    bind: str = "127.0.0.1"
    cpu: str = ""  # "" = from the host
    memory: str = ""
    max_pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, str], ...] = ()
    network: str = DEFAULT_NETWORK
    pod_infra_image: str = DEFAULT_PAUSE_IMAGE
    root_dir: Path = Path("/var/lib/tinykube")
    time_scale: float = 1.0
    owner: str = ""  # label stamped on every container (tests use it to clean up)
    cluster_dns: tuple[str, ...] = (DEFAULT_CLUSTER_DNS,)  # pods' nameserver; () = no cluster DNS
    cluster_domain: str = CLUSTER_DOMAIN
    services: bool = True  # the Service data path: rules in pods, node ports, cluster DNS

    def seconds(self, value: float) -> float:
        """A Kubernetes timer, scaled (one setting makes the whole story fast in demos and tests)."""
        return value * self.time_scale


def host_cpu() -> str:
    return str(os.cpu_count() or 1)


def host_memory() -> str:
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1])}Ki"
    except OSError:
        pass
    return "1Gi"


def parse_labels(text: str) -> dict[str, str]:
    """`k=v,k2=v2` as kubelet's --node-labels takes it."""
    labels = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, value = item.partition("=")
        labels[key] = value
    return labels


def parse_taints(text: str) -> tuple[dict[str, str], ...]:
    """`k=v:NoSchedule,k2:NoExecute` as kubelet's --register-with-taints takes it."""
    taints = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key_value, _, effect = item.rpartition(":")
        if not key_value or effect not in ("NoSchedule", "PreferNoSchedule", "NoExecute"):
            raise ValueError(f"invalid taint {item!r}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute")
        key, _, value = key_value.partition("=")
        taints.append({"key": key, "value": value, "effect": effect} if value else {"key": key, "effect": effect})
    return tuple(taints)
