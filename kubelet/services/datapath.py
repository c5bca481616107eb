"""ServiceDatapath: the Service rules and DNS config inside every pod's network namespace on this node.

    sandbox started (sync_pod) ─► set_up ─┬─► resolv.conf (dnsPolicy, dnsConfig)          ─┐
                                          ├─► DNS socket pair on the pod's 127.0.0.1 ─► DNS server
                                          └─► read our chains left there (a restarted kubelet) ├─► apply
    catalog changed (debounced) ─► routes_from(catalog) once ─► for every pod set up here ─────┘
                                                                  render(routes, pod's DNS port)
                                                                  iptables-restore --noflush of the
                                                                  chains that changed, if any
    pod removed ─► tear_down ─► DNS sockets closed (the namespace goes with the pause process)

The rules are written only into pods' namespaces, never the host's. A kubelet
that restarts forgets nothing that matters: each adopted pod's first sync sets it
up again, reading which of our chains are already there so that none is left
behind and no jump is added twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

from kubelet.runtime.protocol import Sandbox
from kubelet.services import netns
from kubelet.services.catalog import ServiceCatalog
from kubelet.services.env import service_env, visible_services
from kubelet.services.pod_network import PodNetworkFailed
from kubelet.services.resolv import MARKER, dns_policy, parse, pod_resolv_conf
from kubelet.services.rules import DnsRedirect, PortRoute, RuleSet, render, restore_input, routes_from
from objects.pod import Pod

log = logging.getLogger(__name__)

CATALOG_SYNC_TIMEOUT_SECONDS = 10.0  # rules from a half-listed catalog would cut adopted pods off
TIMED_OUT_SKIP_SECONDS = 30.0  # a namespace whose command timed out: catalog syncs leave it to its pod's syncs


class DnsSockets(Protocol):
    """The node-local DNS server, as the data path hands it sockets (kubelet/services/dns*.py)."""

    def serve(self, key: str, udp: object, tcp: object) -> None:
        """Serve DNS on this pair (bound, inside a pod's namespace); takes ownership. Thread-safe."""
        ...

    def release(self, key: str) -> None:
        """Stop serving `key` and close its sockets; unknown keys are a no-op. Thread-safe."""
        ...


@dataclass
class PodNetns:
    """What this kubelet did in one pod's namespace."""

    namespace: str
    name: str
    sandbox_id: str
    sandbox_netns: netns.PodNamespace
    dns_port: int = 0  # 0: no DNS socket (no DNS server on this kubelet)
    applied: RuleSet | None = None  # what the namespace holds, as we last wrote it; None: unknown, read it
    generation: int = 0  # the catalog snapshot `applied` was rendered from
    skip_until: float = 0.0  # monotonic time until which catalog syncs skip a namespace that timed out
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one writer of its rules


class ServiceDatapath:
    """Implements kubelet.services.pod_network.PodNetwork."""

    def __init__(self, catalog: ServiceCatalog, *, cluster_dns: tuple[str, ...], cluster_domain: str,
                 dns: DnsSockets | None = None):
        self.catalog = catalog
        self.cluster_dns = cluster_dns
        self.cluster_domain = cluster_domain
        self.dns = dns
        self._pods: dict[str, PodNetns] = {}  # pod uid -> what is set up
        self._lock = threading.Lock()  # guards _pods
        self._snapshot_lock = threading.Lock()  # numbers catalog snapshots in the order they are read
        self._generation = 0
        self._backend: str | None = None
        catalog.subscribe(self.sync_all)

    # ----- PodNetwork

    def set_up(self, pod: Pod, sandbox: Sandbox) -> None:
        if sandbox.pid <= 0:
            return  # a runtime without namespaces to enter (the fake runtime)
        uid = pod.metadata.uid or ""
        with self._lock:
            current = self._pods.get(uid)
        if current is not None and (current.sandbox_id, current.sandbox_netns.pid) == (sandbox.id, sandbox.pid):
            self._retry(current)
            return
        if current is not None:
            self.tear_down(uid)  # a new sandbox, or the same one restarted: a new namespace
        if not self.catalog.wait_synced(CATALOG_SYNC_TIMEOUT_SECONDS):
            raise PodNetworkFailed("the Services and EndpointSlices have not been listed yet")
        try:
            namespace = netns.open_namespace(sandbox.pid, container_id=sandbox.id)
            state = PodNetns(pod.metadata.namespace or "", pod.metadata.name or "", sandbox.id, namespace)
            self._write_resolv_conf(pod, namespace)
            if self.dns is not None and self.cluster_dns:
                udp, tcp = netns.open_dns_sockets(namespace)
                state.dns_port = udp.getsockname()[1]
                self.dns.serve(uid, udp, tcp)
            with state.lock:  # registered inside it, so a catalog change waits for this first write
                with self._lock:
                    self._pods[uid] = state
                self._apply(state, *self._snapshot())
        except netns.NetnsError as error:
            self.tear_down(uid)  # the next sync starts again from a fresh namespace read
            if self.dns is not None:
                self.dns.release(uid)  # sockets served before the failure, if any
            raise PodNetworkFailed(f"failed to set up the pod's network: {error}") from error
        log.info("pod %s/%s: Service rules and DNS set up in its network namespace (pid %d)", state.namespace,
                 state.name, sandbox.pid)

    def _retry(self, state: PodNetns) -> None:
        """A pod set up before: write its rules again if the last write failed (applied unknown)."""
        if state.applied is not None:
            return
        try:
            with state.lock:
                self._apply(state, *self._snapshot())
        except netns.NetnsError as error:
            raise PodNetworkFailed(f"failed to write the pod's Service rules: {error}") from error

    def tear_down(self, pod_uid: str) -> None:
        with self._lock:
            state = self._pods.pop(pod_uid, None)
        if state is not None and self.dns is not None:
            self.dns.release(pod_uid)

    def env(self, pod: Pod) -> list[tuple[str, str]]:
        return service_env(visible_services(pod, self.catalog.services()))

    # ----- every pod, after the catalog changed

    def sync_all(self) -> None:
        """Bring every set-up pod's rules to the catalog (the catalog's subscriber).

        One pod at a time, each under its own lock: a pod whose namespace hangs (nsenter's timeout)
        delays the others' updates, never another pod's set-up. Such a pod is skipped by the next
        catalog changes for a while; its own syncs (every resync period) keep retrying it."""
        snapshot = self._snapshot()
        with self._lock:
            pods = list(self._pods.items())
        for uid, state in pods:
            if time.monotonic() < state.skip_until:
                continue
            try:
                with state.lock:
                    if self.pods().get(uid) is state:  # not torn down (or set up anew) meanwhile
                        self._apply(state, *snapshot)
            except netns.NetnsGone:
                log.info("pod %s/%s: its network namespace is gone", state.namespace, state.name)
                if self.pods().get(uid) is state:
                    self.tear_down(uid)
            except netns.NetnsTimeout as error:
                state.skip_until = time.monotonic() + TIMED_OUT_SKIP_SECONDS
                log.warning("pod %s/%s: rules not applied, skipped for %.0f s: %s", state.namespace, state.name,
                            TIMED_OUT_SKIP_SECONDS, error)
            except netns.NetnsError as error:  # the next change, or the pod's next sync, tries again
                log.warning("pod %s/%s: rules not applied: %s", state.namespace, state.name, error)

    def pods(self) -> dict[str, PodNetns]:
        with self._lock:
            return dict(self._pods)

    # ----- inside

    def _snapshot(self) -> tuple[int, list[PortRoute], tuple[str, ...]]:
        """The catalog's routes and node IPs now, numbered in the order they were read."""
        with self._snapshot_lock:
            self._generation += 1
            return self._generation, routes_from(self.catalog), self.catalog.node_ips()

    def _apply(self, state: PodNetns, generation: int, routes: list[PortRoute], node_ips: tuple[str, ...]) -> None:
        """Write into one pod the chains whose rules changed. Caller holds state.lock.

        A snapshot older than the one the pod already holds is skipped, so a pod never goes back in
        time when a catalog sync and the pod's own set-up race. When what the namespace holds is
        unknown (a new pod, a restarted kubelet, a restore that failed half-way through), it is read
        back first and every chain is written."""
        if generation < state.generation:
            return
        dns = DnsRedirect(self.cluster_dns[0], state.dns_port) if state.dns_port else None
        wanted = render(routes, node_ips=node_ips, dns=dns)
        if wanted == state.applied:
            state.generation = generation
            return
        backend = self._iptables(state.sandbox_netns)
        if state.applied is None:
            present, jumps = netns.our_chains(netns.save(state.sandbox_netns, backend))
            text = restore_input(wanted, present=present, add_jumps=set(wanted.tables) - jumps)
        else:
            text = restore_input(wanted, previous=state.applied)
        state.applied = None  # until the restore is known to have gone through
        netns.restore(state.sandbox_netns, backend, text)
        state.applied, state.generation, state.skip_until = wanted, generation, 0.0

    def _iptables(self, namespace: netns.PodNamespace) -> str:
        if self._backend is None:
            self._backend = netns.detect_backend(namespace)
            log.info("iptables backend in pods' network namespaces: %s", self._backend)
        return self._backend

    def _write_resolv_conf(self, pod: Pod, namespace: netns.PodNamespace) -> None:
        """Once per sandbox: the file the runtime wrote tells the node's own search domains; ours starts
        with MARKER, so a restarted kubelet leaves it as it is."""
        current = netns.read_resolv_conf(namespace)
        if current.startswith(MARKER):
            return
        conf = pod_resolv_conf(pod, cluster_dns=self.cluster_dns, cluster_domain=self.cluster_domain,
                               host=parse(current))
        netns.write_resolv_conf(namespace, conf.render(policy=dns_policy(pod)))
