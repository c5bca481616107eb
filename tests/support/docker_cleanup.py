"""Remove every container, volume and network a test session started, pass or fail."""

from __future__ import annotations

import time
import warnings

import docker

from kubelet.runtime.protocol import LABEL_NODE, LABEL_OWNER

NETWORK_RELEASE_SECONDS = 15


def remove_owned(owner: str, *, node_prefix: str = "", network: str | None = None) -> None:
    client = docker.from_env()
    try:
        for container in _listed(client, f"{LABEL_OWNER}={owner}"):
            _remove_container(container)
        if node_prefix:  # kubelets label by node; catch anything started without the owner label
            for container in _listed(client, LABEL_NODE):
                if (container.attrs.get("Labels") or {}).get(LABEL_NODE, "").startswith(node_prefix):
                    _remove_container(container)
        for volume in client.volumes.list(filters={"label": f"{LABEL_OWNER}={owner}"}):
            volume.remove(force=True)
        if node_prefix:
            for volume in client.volumes.list(filters={"label": LABEL_NODE}):
                if (volume.attrs.get("Labels") or {}).get(LABEL_NODE, "").startswith(node_prefix):
                    volume.remove(force=True)
        if network:
            for net in client.networks.list(names=[network]):
                _remove_network(net)
    finally:
        client.close()


def _listed(client: docker.DockerClient, label: str) -> list:
    """Sparse: the list call's own answer, with no inspect per container, which would fail for a
    container a kubelet that is still stopping removes between the list and the inspect."""
    return client.containers.list(all=True, sparse=True, filters={"label": label})


def _remove_container(container) -> None:
    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:  # its kubelet removed it first
        pass


def _remove_network(net) -> None:
    """The engine may still count an endpoint of a container it has just removed: ask again until it
    lets go. Engine 20.10 once kept such an endpoint for good (inspect listed no container, and only
    a daemon restart frees it); then the network is left behind with a warning, since failing here
    would throw away the run that used it."""
    deadline = time.monotonic() + NETWORK_RELEASE_SECONDS
    while True:
        try:
            net.remove()
            return
        except docker.errors.NotFound:
            return
        except docker.errors.APIError as error:
            if "active endpoints" not in str(error):
                raise
            if time.monotonic() >= deadline:
                warnings.warn(f"docker network {net.name} left behind: the engine still counts an endpoint "
                              "on it with no container attached", stacklevel=2)
                return
        time.sleep(0.2)
