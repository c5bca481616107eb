"""Remove every container, volume and network a test session started, pass or fail."""

from __future__ import annotations

import docker

from kubelet.runtime.protocol import LABEL_NODE, LABEL_OWNER


def remove_owned(owner: str, *, node_prefix: str = "", network: str | None = None) -> None:
    client = docker.from_env()
    try:
        for container in client.containers.list(all=True, filters={"label": f"{LABEL_OWNER}={owner}"}):
            container.remove(force=True, v=True)
        if node_prefix:  # kubelets label by node; catch anything started without the owner label
            for container in client.containers.list(all=True, filters={"label": LABEL_NODE}):
                if container.labels.get(LABEL_NODE, "").startswith(node_prefix):
                    container.remove(force=True, v=True)
        for volume in client.volumes.list(filters={"label": f"{LABEL_OWNER}={owner}"}):
            volume.remove(force=True)
        if node_prefix:
            for volume in client.volumes.list(filters={"label": LABEL_NODE}):
                if (volume.attrs.get("Labels") or {}).get(LABEL_NODE, "").startswith(node_prefix):
                    volume.remove(force=True)
        if network:
            for net in client.networks.list(names=[network]):
                net.remove()
    finally:
        client.close()
