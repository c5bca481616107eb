"""Endpoint propagation: from a pod turning Ready to the first request through its Service reaching it.

    python -m bench.service_propagation                 # 100 Services x 10 endpoints, 100 flips each way
    python -m bench.service_propagation --small         # 20 Services x 10 endpoints, 20 flips: a smoke test

One master (the endpoint controllers) and one real kubelet (bench/service_cluster.py). On the kubelet,
a client pod and a server pod "probe" (busybox httpd, Ready only while its /www/ready exists, probed
every 0.1 s) behind Service "probe" (ClusterIP:80 -> 8080). Each flip, timed from this process:

    touch /www/ready (through /proc/<pid>/root) ─► probe succeeds ─► kubelet writes Ready=True
      t0: the pod watch shows Ready=True
      ─► endpointslice controller ─► t1: the slice watch shows the endpoint ready
      ─► kubelet catalog (50 ms debounce) ─► iptables-restore in every pod of the node
      ─► t2: the client, connecting to the ClusterIP again and again from inside the client pod,
             gets its first answer from "probe" (before that: REJECT, connection refused)
    rm /www/ready ─► ... the same back: Ready=False, the endpoint not ready, and t2: the first try
                     of the client that the probe pod does not answer (refused: REJECT)

The measurement is t2 - t0, "pod Ready -> traffic reaches it" (and back, "NotReady -> traffic stops");
t1 splits it into the controller's part and the node's. It runs twice, side by side:

    empty   only the probe Service (and `kubernetes`, `kube-dns`)
    loaded  plus --services Services of --endpoints Ready hollow pods each (1,000 endpoints: every
            pod's netns on the node holds their rules), and --churn hollow pods flipped a second all
            along, so the controllers and every node's rules keep changing while the probe is timed

Target (issue #17): p99 of "Ready -> traffic" under 1 s, loaded.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.results import Row, print_result, result, write_json
from bench.service_cluster import (
    READY_FILE, SERVICE_PORT, HollowPod, ServiceCluster, Transitions, client_pod, http_get, httpd_pod,
    in_pod, pod_ready, service_cluster, slice_has_ready_endpoint,
)
from kubelet.services import netns
from objects.endpoints import SERVICE_NAME_LABEL
from objects.kinds import ENDPOINT_SLICE, POD

TARGET_MS = 1000.0
PROBE = "probe"
FLIP_TIMEOUT_SECONDS = 30.0
POLL_SECONDS = 0.002  # between two connection attempts of the client
HUNG_SECONDS = 2.0  # a try with neither an answer nor a refusal by then is lost (answers take milliseconds)


@dataclass
class Flips:
    """Milliseconds of each step, one entry per flip, in one direction."""

    to_slice: list[float] = field(default_factory=list)  # Ready seen -> the slice shows it
    to_traffic: list[float] = field(default_factory=list)  # Ready seen -> the client's traffic follows
    hung: int = 0  # connections the client started in the middle of a flip that got no answer at all


@dataclass
class Phase:
    ready: Flips = field(default_factory=Flips)
    not_ready: Flips = field(default_factory=Flips)
    churned: int = 0  # hollow pods flipped meanwhile
    seconds: float = 0.0


def run(*, services: int, endpoints: int, flips: int, churn: float, root: Path) -> dict:
    with service_cluster(root) as cluster:
        probe = setup_probe(cluster)
        pods = Transitions(cluster.api, POD, label_selector=f"app={PROBE}", state=pod_ready)
        slices = Transitions(cluster.api, ENDPOINT_SLICE, label_selector=f"{SERVICE_NAME_LABEL}={PROBE}",
                             state=slice_has_ready_endpoint)
        try:
            print(f"empty: {flips} flips each way", flush=True)
            empty = measure(probe, pods, slices, flips=flips)
            print(f"loaded: {services} Services x {endpoints} hollow endpoints", flush=True)
            started = time.monotonic()
            hollow = cluster.create_hollow_backends(services, endpoints)
            filled_seconds = time.monotonic() - started
            print(f"  created and Ready in {filled_seconds:.1f} s; {flips} flips each way, "
                  f"{churn:g} hollow flips/s meanwhile", flush=True)
            with Churn(cluster, hollow, per_second=churn) as churning:
                loaded = measure(probe, pods, slices, flips=flips)
            loaded.churned = churning.flipped
        finally:
            pods.stop()
            slices.stop()
    return report(empty, loaded, services=services, endpoints=endpoints, churn=churn, flips=flips)


def setup_probe(cluster: ServiceCluster) -> ProbeClient:
    cluster.run_pod(client_pod())
    cluster.run_pod(httpd_pod(PROBE, app=PROBE, readiness_file=True))
    vip = cluster.create_service(PROBE, selector={"app": PROBE})
    client = ProbeClient(cluster.pod_namespace("client"), vip, cluster.pod_root(PROBE) / READY_FILE)
    client.wait_refused()  # not Ready yet: the ClusterIP rejects
    return client


@dataclass
class ProbeClient:
    """The probe pod's readiness switch, and the client in the client pod that sees what it does."""

    namespace: netns.PodNamespace
    vip: str
    ready_file: Path

    def set_ready(self, ready: bool) -> None:
        if ready:
            self.ready_file.write_text("ready\n")
        else:
            self.ready_file.unlink()

    def first_answer(self, deadline: float) -> tuple[float, int]:
        """When the ClusterIP first answered with the probe pod's name; and how many tries hung before."""
        return self._poll(deadline, answered=True)

    def last_answer(self, deadline: float) -> tuple[float, int]:
        """When the first try began that the probe pod did not answer (refused, or hung); and how many hung."""
        return self._poll(deadline, answered=False)

    def wait_refused(self) -> None:
        self._poll(time.monotonic() + 60, answered=False)

    def _poll(self, deadline: float, *, answered: bool) -> tuple[float, int]:
        """Connect again and again until the probe pod answers (answered=True) or stops answering.

        A try that gets neither an answer nor a refusal within HUNG_SECONDS is counted as hung: a
        packet to a ClusterIP that no rule DNATs or rejects goes out by the default route, and nobody
        answers it."""
        def poll() -> tuple[float, int]:
            hung = 0
            while time.monotonic() < deadline:
                began = time.monotonic()
                try:
                    served = http_get(self.vip, SERVICE_PORT, timeout=HUNG_SECONDS).rstrip().endswith(PROBE.encode())
                except ConnectionRefusedError:
                    served = False
                except OSError:  # socket.timeout included: no answer at all
                    served = False
                    hung += 1
                if served and answered:
                    return time.monotonic(), hung
                if not served and not answered:
                    return began, hung
                time.sleep(POLL_SECONDS)
            raise TimeoutError(f"the ClusterIP {self.vip}: the probe pod never {'answered' if answered else 'stopped'}")
        return in_pod(self.namespace, poll)


def measure(client: ProbeClient, pods: Transitions, slices: Transitions, *, flips: int) -> Phase:
    """`flips` times: the probe pod Ready, then NotReady, each timed from the pod watch's event."""
    phase = Phase()
    started = time.monotonic()
    with ThreadPoolExecutor(1) as background:
        for _ in range(flips):
            for ready, flips_of in ((True, phase.ready), (False, phase.not_ready)):
                pods.drain()
                slices.drain()
                deadline = time.monotonic() + FLIP_TIMEOUT_SECONDS
                seen_by_client = background.submit(client.first_answer if ready else client.last_answer, deadline)
                client.set_ready(ready)
                shown = pods.next(ready, timeout=FLIP_TIMEOUT_SECONDS)
                sliced = slices.next(ready, timeout=FLIP_TIMEOUT_SECONDS)
                reached, hung = seen_by_client.result()
                flips_of.hung += hung
                flips_of.to_slice.append((sliced - shown) * 1000)
                flips_of.to_traffic.append((reached - shown) * 1000)
    phase.seconds = time.monotonic() - started
    return phase


class Churn:
    """Flips hollow pods' readiness, `per_second` of them, round-robin, until the block ends."""

    def __init__(self, cluster: ServiceCluster, pods: list[HollowPod], *, per_second: float):
        self.cluster, self.pods, self.per_second = cluster, pods, per_second
        self.flipped = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="churn", daemon=True)

    def __enter__(self) -> Churn:
        if self.per_second > 0:
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        ready = {pod.name: True for pod in self.pods}
        interval = 1 / self.per_second
        next_at = time.monotonic()
        for pod in itertools.cycle(self.pods):
            if self._stop.wait(max(0.0, next_at - time.monotonic())):
                return
            next_at += interval
            ready[pod.name] = not ready[pod.name]
            self.cluster.set_ready(pod, ready=ready[pod.name])
            self.flipped += 1


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(empty: Phase, loaded: Phase, *, services: int, endpoints: int, churn: float, flips: int) -> dict:
    scale = f"{services} Services x {endpoints} endpoints, {churn:g} flips/s vs 1 Service; {flips} flips"
    rows: list[Row] = []
    for label, step, fraction, direction, target in (
        ("pod Ready -> traffic reaches it, p99", "to_traffic", 0.99, "ready", True),
        ("pod Ready -> traffic reaches it, p50", "to_traffic", 0.5, "ready", False),
        ("  of which pod Ready -> its EndpointSlice shows it, p50", "to_slice", 0.5, "ready", False),
        ("pod NotReady -> traffic stops reaching it, p99", "to_traffic", 0.99, "not_ready", False),
        ("pod NotReady -> traffic stops reaching it, p50", "to_traffic", 0.5, "not_ready", False),
    ):
        mine = percentile(getattr(getattr(loaded, direction), step), fraction)
        base = percentile(getattr(getattr(empty, direction), step), fraction)
        rows.append(Row(f"{label} ({scale}), ms", f"{mine:.0f}", f"{base:.0f}", mine / base if base else None,
                        f"< {TARGET_MS:.0f} ms" if target else "", (mine < TARGET_MS) if target else None))
    rows.append(Row(f"new connections that hung (no answer, no refusal) during the NotReady flips ({scale})",
                    str(loaded.not_ready.hung), str(empty.not_ready.hung),
                    loaded.not_ready.hung / empty.not_ready.hung if empty.not_ready.hung else None))
    numbers = {"services": services, "endpoints": endpoints, "churn_per_second": churn, "flips": flips,
               "hollow_flips_during_loaded": loaded.churned, "loaded_seconds": loaded.seconds,
               "empty_seconds": empty.seconds}
    for name, phase in (("empty", empty), ("loaded", loaded)):
        for direction, flips_of in (("ready", phase.ready), ("not_ready", phase.not_ready)):
            numbers[f"{name}_{direction}_hung"] = flips_of.hung
            for step in ("to_slice", "to_traffic"):
                values = getattr(flips_of, step)
                numbers[f"{name}_{direction}_{step}_ms"] = {
                    "p50": percentile(values, 0.5), "p90": percentile(values, 0.9),
                    "p99": percentile(values, 0.99), "max": max(values), "mean": statistics.fmean(values)}
    command = "python -m bench.service_propagation" + ("" if (services, flips) == (100, 100) else
                                                        f" --services {services} --flips {flips}")
    return result("service_propagation", command, rows, numbers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="20 Services, 20 flips: a smoke test")
    parser.add_argument("--services", type=int, default=100)
    parser.add_argument("--endpoints", type=int, default=10, help="hollow endpoints per Service")
    parser.add_argument("--flips", type=int, default=100, help="probe flips each way, per phase")
    parser.add_argument("--churn", type=float, default=10.0, help="hollow pods flipped per second while loaded")
    parser.add_argument("--json", type=Path, help="also write the result dict here (bench.run uses it)")
    args = parser.parse_args()
    services, flips = (20, 20) if args.small else (args.services, args.flips)
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-service-propagation-") as tmp:
        outcome = run(services=services, endpoints=args.endpoints, flips=flips, churn=args.churn, root=Path(tmp))
    print_result(outcome)
    write_json(outcome, args.json)


if __name__ == "__main__":
    main()
