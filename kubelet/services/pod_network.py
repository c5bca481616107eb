"""PodNetwork: what the pod syncer asks of the node's Service data path, and a no-op one.

    sync_pod ─► sandbox running ─► set_up(pod, sandbox) ─► app containers created with env(pod)
    remove_pod ─► tear_down(uid)

kubelet.services.datapath.ServiceDatapath is the real one; NoPodNetwork serves
runtimes with no network namespaces to enter (the fake runtime) and kubelets
built without Services.
"""

from __future__ import annotations

from typing import Protocol

from kubelet.runtime.protocol import Sandbox
from objects.pod import Pod


class PodNetworkFailed(Exception):
    """The pod's network could not be set up yet; the sync is retried later (FailedCreatePodSandBox)."""


class PodNetwork(Protocol):
    def set_up(self, pod: Pod, sandbox: Sandbox) -> None:
        """Give the running sandbox's network namespace the pod's DNS config and the Service rules, before
        any app container starts. Idempotent and cheap once done for this sandbox; called on every sync
        (so a restarted kubelet sets up the pods it adopts). Raises PodNetworkFailed."""
        ...

    def tear_down(self, pod_uid: str) -> None:
        """Forget the pod and release what the kubelet holds for it (its DNS sockets). Idempotent."""
        ...

    def env(self, pod: Pod) -> list[tuple[str, str]]:
        """The Service environment variables for a container of `pod` created now."""
        ...


class NoPodNetwork:
    def set_up(self, pod: Pod, sandbox: Sandbox) -> None:
        pass

    def tear_down(self, pod_uid: str) -> None:
        pass

    def env(self, pod: Pod) -> list[tuple[str, str]]:
        return []
