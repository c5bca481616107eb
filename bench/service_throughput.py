"""Requests per second through a ClusterIP vs straight to the pod IP, from a client pod.

    python -m bench.service_throughput              # 5 rounds of 5 s a side, then again with 100 x 10 hollow
    python -m bench.service_throughput --small      # 2 rounds of 2 s, 20 Services: a smoke test

One master and one real kubelet (bench/service_cluster.py). On the kubelet, server pod "web" (busybox
httpd on 8080: one forked process per connection) behind Service "web" (ClusterIP:80 -> 8080), and a
client pod. The client is --clients threads of this process inside the client pod's network namespace,
each making HTTP/1.0 GETs one after the other, a new TCP connection each (httpd closes it after the
answer), so every request pays the Service's rules:

    ClusterIP  connect 10.96.x.y:80 ─► nat OUTPUT in the client pod: TINYKUBE-SERVICES ─► TK-SVC ─► TK-SEP
               ─► DNAT <pod IP>:8080 ─► (conntrack keeps the mapping for the connection's other packets)
    pod IP     connect <pod IP>:8080 ─► nat OUTPUT: no rule matches

The two run in mirrored pairs (ClusterIP, pod IP, pod IP, ClusterIP, ...) for --rounds rounds of
--seconds each; reported are the medians of requests/s and of the per-request latency, as the ratio
ClusterIP / pod IP. Then --services Services of 10 hollow endpoints each are added (their rules are in
the client pod's netns too; the ClusterIP's match comes after theirs or among them, in the order the
rules sort) and the pairs run again.

The client is Python and the server forks per connection, so both ends cost far more than the rules:
read the ratio, not the absolute rate.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import struct
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.results import Row, print_result, result, write_json
from bench.service_cluster import (
    HTTPD_PORT, SERVICE_PORT, ServiceCluster, client_pod, http_get, httpd_pod, in_pod, service_cluster,
)
from kubelet.services import netns

SERVER = "web"
CONNECTS = 1000  # handshakes timed one at a time, alternating ClusterIP and pod IP


@dataclass
class Window:
    """One timed window of one target."""

    requests: int = 0
    failures: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies_ms)


@dataclass
class Comparison:
    through_vip: list[Window] = field(default_factory=list)
    to_pod: list[Window] = field(default_factory=list)
    connect_vip_ms: list[float] = field(default_factory=list)  # TCP handshakes alone, one at a time
    connect_pod_ms: list[float] = field(default_factory=list)


def run(*, clients: int, seconds: float, rounds: int, services: int, endpoints: int, root: Path) -> dict:
    with service_cluster(root) as cluster:
        namespace, vip, pod_ip = set_up(cluster)
        print(f"1 Service: {rounds} rounds of {seconds:g} s a side, {clients} client threads", flush=True)
        alone = compare(namespace, vip, pod_ip, clients=clients, seconds=seconds, rounds=rounds)
        started = time.monotonic()
        cluster.create_hollow_backends(services, endpoints)
        print(f"{services} Services x {endpoints} hollow endpoints added in {time.monotonic() - started:.1f} s",
              flush=True)
        wait_for_rules(namespace, dnat_rules=services * endpoints)
        crowded = compare(namespace, vip, pod_ip, clients=clients, seconds=seconds, rounds=rounds)
    return report(alone, crowded, clients=clients, seconds=seconds, rounds=rounds, services=services,
                  endpoints=endpoints)


def set_up(cluster: ServiceCluster) -> tuple[netns.PodNamespace, str, str]:
    cluster.run_pod(client_pod())
    pod_ip = cluster.run_pod(httpd_pod(SERVER, app=SERVER))
    vip = cluster.create_service(SERVER, selector={"app": SERVER})
    namespace = cluster.pod_namespace("client")

    def served_through_vip() -> bool:
        try:
            return in_pod(namespace, lambda: http_get(vip, SERVICE_PORT)).rstrip().endswith(SERVER.encode())
        except OSError:
            return False
    deadline = time.monotonic() + 60
    while not served_through_vip():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{SERVER} never answered through {vip}")
        time.sleep(0.05)
    return namespace, vip, pod_ip


def wait_for_rules(namespace: netns.PodNamespace, *, dnat_rules: int) -> None:
    """Until the pod's nat table holds at least this many DNAT rules to hollow endpoints (10.244.0.0/16)."""
    backend = netns.detect_backend(namespace)
    deadline = time.monotonic() + 60
    while netns.save(namespace, backend).count("-j DNAT --to-destination 10.244.") < dnat_rules:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {dnat_rules} DNAT rules in the client pod after 60 s")
        time.sleep(0.2)


def compare(namespace: netns.PodNamespace, vip: str, pod_ip: str, *, clients: int, seconds: float,
            rounds: int) -> Comparison:
    comparison = Comparison()
    for round_ in range(rounds):
        order = ("vip", "pod") if round_ % 2 == 0 else ("pod", "vip")
        for target in order:
            if target == "vip":
                comparison.through_vip.append(load(namespace, vip, SERVICE_PORT, clients=clients, seconds=seconds))
            else:
                comparison.to_pod.append(load(namespace, pod_ip, HTTPD_PORT, clients=clients, seconds=seconds))
        print(f"  round {round_ + 1}: ClusterIP {comparison.through_vip[-1].per_second:.0f}/s, "
              f"pod IP {comparison.to_pod[-1].per_second:.0f}/s", flush=True)
    for _ in range(CONNECTS):
        comparison.connect_vip_ms.append(in_pod(namespace, lambda: connect_ms(vip, SERVICE_PORT)))
        comparison.connect_pod_ms.append(in_pod(namespace, lambda: connect_ms(pod_ip, HTTPD_PORT)))
    return comparison


def connect_ms(address: str, port: int) -> float:
    """One TCP handshake, closed with a reset: what the rules add to a connection, without the server's
    fork and the client's Python around an HTTP exchange (the kernel answers the SYN, not httpd)."""
    began = time.perf_counter()
    with socket.create_connection((address, port), timeout=5) as connection:
        took = (time.perf_counter() - began) * 1000
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return took


def load(namespace: netns.PodNamespace, address: str, port: int, *, clients: int, seconds: float) -> Window:
    """`clients` threads in the pod's namespace, GET after GET for `seconds`; one Window for all."""
    window = Window()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = []

    def client() -> None:
        mine = Window()
        start.wait()
        while time.monotonic() < stop_at[0]:
            began = time.perf_counter()
            try:
                http_get(address, port, timeout=5)
            except OSError:
                mine.failures += 1
                continue
            mine.latencies_ms.append((time.perf_counter() - began) * 1000)
            mine.requests += 1
        with lock:
            window.requests += mine.requests
            window.failures += mine.failures
            window.latencies_ms += mine.latencies_ms

    threads = [threading.Thread(target=in_pod, args=(namespace, client), daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    stop_at.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    window.seconds = time.monotonic() - began
    return window


def report(alone: Comparison, crowded: Comparison, *, clients: int, seconds: float, rounds: int, services: int,
           endpoints: int) -> dict:
    rows: list[Row] = []
    for scale, comparison in (("1 Service", alone), (f"+ {services} Services x {endpoints} endpoints", crowded)):
        vip_rate = statistics.median(w.per_second for w in comparison.through_vip)
        pod_rate = statistics.median(w.per_second for w in comparison.to_pod)
        vip_p50 = statistics.median(w.p50_ms for w in comparison.through_vip)
        pod_p50 = statistics.median(w.p50_ms for w in comparison.to_pod)
        rows += [Row(f"requests/s through the ClusterIP vs to the pod IP ({scale}; {clients} clients), "
                     "/s (higher is better)", f"{vip_rate:.0f}", f"{pod_rate:.0f}", vip_rate / pod_rate),
                 Row(f"latency per request p50, ClusterIP vs pod IP ({scale}), ms (lower is better)",
                     f"{vip_p50:.2f}", f"{pod_p50:.2f}", vip_p50 / pod_p50)]
        vip_connect, pod_connect = (statistics.median(comparison.connect_vip_ms),
                                    statistics.median(comparison.connect_pod_ms))
        rows.append(Row(f"TCP connect p50, ClusterIP vs pod IP ({scale}; {CONNECTS} each), ms (lower is better)",
                        f"{vip_connect:.3f}", f"{pod_connect:.3f}", vip_connect / pod_connect))
    numbers = {"clients": clients, "seconds": seconds, "rounds": rounds, "services": services,
               "endpoints": endpoints}
    for scale, comparison in (("alone", alone), ("crowded", crowded)):
        for target, windows in (("vip", comparison.through_vip), ("pod", comparison.to_pod)):
            numbers[f"{scale}_{target}_connect_ms"] = {
                "p50": statistics.median(getattr(comparison, f"connect_{target}_ms")),
                "p99": sorted(getattr(comparison, f"connect_{target}_ms"))[int(0.99 * (CONNECTS - 1))]}
            numbers[f"{scale}_{target}"] = [{"per_second": w.per_second, "p50_ms": w.p50_ms, "failures": w.failures,
                                             "requests": w.requests} for w in windows]
    small = (rounds, seconds, services) != (5, 5.0, 100)
    command = "python -m bench.service_throughput" + (
        f" --rounds {rounds} --seconds {seconds:g} --services {services}" if small else "")
    return result("service_throughput", command, rows, numbers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="2 rounds of 2 s, 20 Services: a smoke test")
    parser.add_argument("--clients", type=int, default=4, help="client threads in the client pod")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of one window")
    parser.add_argument("--rounds", type=int, default=5, help="mirrored pairs of windows")
    parser.add_argument("--services", type=int, default=100, help="hollow Services added for the second part")
    parser.add_argument("--endpoints", type=int, default=10, help="hollow endpoints per Service")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    rounds, seconds, services = (2, 2.0, 20) if args.small else (args.rounds, args.seconds, args.services)
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-service-throughput-") as tmp:
        outcome = run(clients=args.clients, seconds=seconds, rounds=rounds, services=services,
                      endpoints=args.endpoints, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
