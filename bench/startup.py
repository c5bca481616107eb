"""Pod startup latency: a master and three real kubelets against the raw Docker engine, in one run.

    python -m bench.startup
    python -m bench.startup --profile /tmp/startup-profile   # py-spy the master and kubelets (slower)

Starts a master (scheduler in-process) and three kubelets on the local engine,
each with this run's owner label and Docker network, then measures:

    single  30 pods created one at a time; each is waited on until a watch sees
            it Running (phase Running, its container running)
    burst   60 pods created at once; every one waited on the same way

and beside each, the raw engine doing `docker create` + `start` of the same
container (busybox `sleep 3600`, same network, same owner label): 30 one at a
time, then 60 with 8 in parallel. For context it also times the raw engine
starting a pod's two containers (a pause container on the network, the app in
its network namespace), which is the least any pod-shaped runtime must do.

A pod counts 2 containers (its pause container and its app). Every container
and the network are removed at the end, pass or fail. With --profile, py-spy (a
tool, not a dependency: `pip install py-spy`) records the master and each
kubelet in raw (collapsed stack) format; profiled numbers are not the ones to
record. Not a test: run it by hand and record the output in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import docker
import httpx

from kubelet.runtime.protocol import LABEL_OWNER
from tests.support.cluster import Kubelet, Master, wait_for
from tests.support.docker_cleanup import remove_owned
from tests.support.images import BUSYBOX_IMAGE, PAUSE_IMAGE, ensure_test_images

COMMAND = ["sleep", "3600"]
CONTAINERS_PER_POD = 2  # the pause container and the app
SINGLE_POD_P99_TARGET_MS = 1000
RAW_RATIO_TARGET = 1.5


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


@dataclass
class Phase:
    """One side of one measurement: per-item latencies (ms), wall time (s) and containers started."""

    latencies_ms: list[float]
    seconds: float
    containers: int
    to_bound_ms: list[float] = field(default_factory=list)  # tinykube only: create -> nodeName seen

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 0.99)

    @property
    def containers_per_second(self) -> float:
        return self.containers / self.seconds


# ----- tinykube side


def bench_pod(name: str, *, node_name: str | None = None) -> dict:
    spec = {"containers": [{"name": "app", "image": BUSYBOX_IMAGE, "command": COMMAND,
                            "imagePullPolicy": "IfNotPresent"}],
            "terminationGracePeriodSeconds": 1}  # sleep ignores SIGTERM; only teardown between phases waits on it
    if node_name:
        spec["nodeName"] = node_name
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "startup"}},
            "spec": spec}


def is_running(pod: dict) -> bool:
    status = pod.get("status") or {}
    containers = status.get("containerStatuses") or []
    return (status.get("phase") == "Running" and bool(containers)
            and all("running" in (c.get("state") or {}) for c in containers))


class RunningWatch:
    """Records, from one pod watch, the moment each pod is first seen bound to a node and Running."""

    def __init__(self, master: Master):
        self.master = master
        self.bound_at: dict[str, float] = {}
        self.running_at: dict[str, float] = {}
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._error: str | None = None
        with master.client() as client:
            self._revision = client.get("/api/v1/namespaces/default/pods").json()["metadata"]["resourceVersion"]
        self._thread = threading.Thread(target=self._run, name="running-watch", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():  # a watch ends at its timeoutSeconds; resume from the last revision
            try:
                self._watch_once()
            except Exception as error:  # the run is over or the master went away; waiters time out
                self._error = repr(error)
                return

    def _watch_once(self) -> None:
        with self.master.client() as client, client.stream(
            "GET", "/api/v1/namespaces/default/pods",
            params={"watch": "1", "resourceVersion": self._revision, "timeoutSeconds": "300"}, timeout=None,
        ) as stream:
            for line in stream.iter_lines():
                seen = time.perf_counter()
                event = json.loads(line)
                if event["type"] == "ERROR":
                    raise RuntimeError(f"watch failed: {event['object']}")
                pod = event["object"]
                self._revision = pod["metadata"]["resourceVersion"]
                name = pod["metadata"]["name"]
                if (pod.get("spec") or {}).get("nodeName") and name not in self.bound_at:
                    self.bound_at[name] = seen
                if event["type"] != "DELETED" and is_running(pod) and name not in self.running_at:
                    with self._changed:
                        self.running_at[name] = seen
                        self._changed.notify_all()

    def wait(self, names: list[str], *, timeout: float = 180) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: all(n in self.running_at for n in names), timeout=timeout):
                missing = [n for n in names if n not in self.running_at]
                raise SystemExit(f"{len(missing)} pods never Running, e.g. {missing[:3]} (watch: {self._error})")

    def stop(self) -> None:
        self._stop.set()


def tinykube_single(master: Master, watch: RunningWatch, count: int) -> Phase:
    latencies, to_bound = [], []
    with master.client() as client:
        started = time.perf_counter()
        for i in range(count):
            name = f"single-{i:03d}"
            created = time.perf_counter()
            client.post("/api/v1/namespaces/default/pods", json=bench_pod(name)).raise_for_status()
            watch.wait([name])
            latencies.append((watch.running_at[name] - created) * 1000)
            to_bound.append((watch.bound_at[name] - created) * 1000)
        seconds = time.perf_counter() - started
    return Phase(latencies, seconds, count * CONTAINERS_PER_POD, to_bound)


def tinykube_burst(master: Master, watch: RunningWatch, count: int) -> Phase:
    names = [f"burst-{i:03d}" for i in range(count)]
    created_at: dict[str, float] = {}
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    with httpx.Client(base_url=master.url, verify=master.ca, timeout=60, limits=limits,
                      headers={"Authorization": f"Bearer {master.token()}"}) as client, \
            ThreadPoolExecutor(count) as pool:
        # Open every connection first, so the burst measures creates and not TLS handshakes.
        warm = threading.Barrier(count)
        list(pool.map(lambda _: (warm.wait(), client.get("/readyz")), range(count)))
        go = threading.Barrier(count)

        def create(name: str) -> None:
            go.wait()
            created_at[name] = time.perf_counter()
            client.post("/api/v1/namespaces/default/pods", json=bench_pod(name)).raise_for_status()

        list(pool.map(create, names))
    watch.wait(names)
    first = min(created_at.values())
    latencies = [(watch.running_at[n] - created_at[n]) * 1000 for n in names]
    to_bound = [(watch.bound_at[n] - created_at[n]) * 1000 for n in names]
    seconds = max(watch.running_at[n] for n in names) - first
    return Phase(latencies, seconds, count * CONTAINERS_PER_POD, to_bound)


def delete_all_pods(master: Master, owner: str) -> None:
    """Delete every pod and wait until the kubelets have stopped their containers."""
    with master.client() as client:
        for pod in client.get("/api/v1/namespaces/default/pods").json()["items"]:
            client.delete(f"/api/v1/namespaces/default/pods/{pod['metadata']['name']}").raise_for_status()
        wait_for(lambda: not client.get("/api/v1/namespaces/default/pods").json()["items"], timeout=120,
                 interval=0.2, message="every pod deleted")
    engine = docker.from_env()
    try:
        wait_for(lambda: not engine.containers.list(filters={"label": f"{LABEL_OWNER}={owner}"}), timeout=120,
                 interval=0.2, message="every pod container stopped")
    finally:
        engine.close()


# ----- raw engine side


class RawEngine:
    """`docker create` + `start` through the SDK's low-level client, one client per thread."""

    def __init__(self, owner: str, network: str):
        self.owner = owner
        self.network = network
        self._local = threading.local()
        self._clients: list[docker.DockerClient] = []
        self._lock = threading.Lock()

    def _api(self) -> docker.APIClient:
        if not hasattr(self._local, "client"):
            self._local.client = docker.from_env()
            with self._lock:
                self._clients.append(self._local.client)
        return self._local.client.api

    def run_container(self) -> None:
        """The same container a pod runs, alone on the network."""
        api = self._api()
        created = api.create_container(
            BUSYBOX_IMAGE, command=COMMAND, name=f"raw-{self.owner}-{uuid.uuid4().hex[:10]}",
            labels={LABEL_OWNER: self.owner},
            host_config=api.create_host_config(network_mode=self.network),
            networking_config=api.create_networking_config({self.network: api.create_endpoint_config()}))
        api.start(created["Id"])

    def run_pod_shaped(self) -> None:
        """What a pod needs at least: a pause container on the network, the app in its namespace."""
        api = self._api()
        labels = {LABEL_OWNER: self.owner}
        name = f"raw-{self.owner}-{uuid.uuid4().hex[:10]}"
        sandbox = api.create_container(
            PAUSE_IMAGE, name=f"{name}-pause", labels=labels,
            host_config=api.create_host_config(network_mode=self.network),
            networking_config=api.create_networking_config({self.network: api.create_endpoint_config()}))
        api.start(sandbox["Id"])
        app = api.create_container(
            BUSYBOX_IMAGE, command=COMMAND, name=f"{name}-app", labels=labels,
            host_config=api.create_host_config(network_mode=f"container:{sandbox['Id']}"))
        api.start(app["Id"])

    def single(self, count: int, *, pod_shaped: bool = False) -> Phase:
        run = self.run_pod_shaped if pod_shaped else self.run_container
        latencies = []
        started = time.perf_counter()
        for _ in range(count):
            begun = time.perf_counter()
            run()
            latencies.append((time.perf_counter() - begun) * 1000)
        seconds = time.perf_counter() - started
        self.remove_all()
        return Phase(latencies, seconds, count * (CONTAINERS_PER_POD if pod_shaped else 1))

    def burst(self, count: int, parallel: int, *, pod_shaped: bool = False) -> Phase:
        run = self.run_pod_shaped if pod_shaped else self.run_container
        with ThreadPoolExecutor(parallel) as pool:
            list(pool.map(lambda _: self._api().ping(), range(parallel)))
            started = time.perf_counter()

            def timed(_: int) -> float:
                run()
                return (time.perf_counter() - started) * 1000

            latencies = list(pool.map(timed, range(count)))
        seconds = time.perf_counter() - started
        self.remove_all()
        return Phase(latencies, seconds, count * (CONTAINERS_PER_POD if pod_shaped else 1))

    def remove_all(self) -> None:
        api = self._api()
        for container in api.containers(all=True, filters={"label": f"{LABEL_OWNER}={self.owner}",
                                                           "name": f"raw-{self.owner}"}):
            api.remove_container(container["Id"], force=True)

    def close(self) -> None:
        for client in self._clients:
            client.close()


# ----- profiling


class Profilers:
    """py-spy recording each process in raw (collapsed stack) format until stopped."""

    def __init__(self, pids: dict[str, int], directory: Path | None):
        self.processes: list[subprocess.Popen] = []
        if directory is None:
            return
        directory.mkdir(parents=True, exist_ok=True)
        for name, pid in pids.items():
            self.processes.append(subprocess.Popen(
                ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--output", str(directory / f"{name}.txt"),
                 "--rate", "50", "--nonblocking", "--threads", "--idle"],  # idle: wall time, waits included
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for process in self.processes:
            process.wait(timeout=60)


# ----- the run


def run(single: int, burst: int, parallel: int, root: Path, profile: Path | None) -> dict[str, Phase]:
    ensure_test_images()
    run_id = uuid.uuid4().hex[:6]
    owner, network, node_prefix = f"bench-startup-{run_id}", f"tk-bench-{run_id}", f"bs{run_id}"
    master = Master(root / "master", extra_args=["--scheduler-seed", "1"])
    kubelets = [Kubelet(master, f"{node_prefix}-{i}", owner=owner, network=network, root_dir=root / "nodes",
                        time_scale=1.0) for i in (1, 2, 3)]
    raw = RawEngine(owner, network)
    profilers = None
    try:
        master.start()
        for kubelet in kubelets:
            kubelet.start()
        watch = RunningWatch(master)
        # Warm up: one pod on each node creates the network and opens each kubelet's engine connection.
        with master.client() as client:
            for kubelet in kubelets:
                name = f"warmup-{kubelet.node_name}"
                client.post("/api/v1/namespaces/default/pods",
                            json=bench_pod(name, node_name=kubelet.node_name)).raise_for_status()
                watch.wait([name])
        delete_all_pods(master, owner)
        raw.single(1)
        print(f"master and {len(kubelets)} kubelets up; measuring", flush=True)

        profilers = Profilers({"master": master.process.pid,
                               **{k.node_name: k.process.pid for k in kubelets}}, profile)
        results = {"tinykube single": tinykube_single(master, watch, single)}
        delete_all_pods(master, owner)
        results["raw single"] = raw.single(single)
        results["raw pod-shaped single"] = raw.single(single, pod_shaped=True)
        results["tinykube burst"] = tinykube_burst(master, watch, burst)
        delete_all_pods(master, owner)
        results["raw burst"] = raw.burst(burst, parallel)
        results["raw pod-shaped burst"] = raw.burst(burst, parallel, pod_shaped=True)
        watch.stop()
        return results
    finally:
        if profilers is not None:
            profilers.stop()
        raw.close()
        for kubelet in kubelets:
            kubelet.stop()
        master.stop()
        remove_owned(owner, node_prefix=node_prefix, network=network)


def report(results: dict[str, Phase], *, single: int, burst: int, parallel: int) -> None:
    ts, rs, ps = results["tinykube single"], results["raw single"], results["raw pod-shaped single"]
    tb, rb, pb = results["tinykube burst"], results["raw burst"], results["raw pod-shaped burst"]
    engine = docker.from_env()
    try:
        engine_version = engine.version()["Version"]
    finally:
        engine.close()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, Docker {engine_version}")
    print("| measurement | tinykube | raw docker (1 container) | tinykube / raw | "
          "raw pod-shaped (pause + app) | tinykube / pod-shaped |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")

    def row(label: str, t: float, r: float, p: float, unit: str, digits: int = 0) -> None:
        print(f"| {label} | {t:.{digits}f} {unit} | {r:.{digits}f} {unit} | {t / r:.2f}x | "
              f"{p:.{digits}f} {unit} | {t / p:.2f}x |")

    row(f"single ({single}, one at a time): p50", ts.p50, rs.p50, ps.p50, "ms")
    row(f"single ({single}, one at a time): p99", ts.p99, rs.p99, ps.p99, "ms")
    row("single: containers/s", ts.containers_per_second, rs.containers_per_second,
        ps.containers_per_second, "/s", 1)
    row(f"burst ({burst} at once; raw {parallel} in parallel): p50", tb.p50, rb.p50, pb.p50, "ms")
    row(f"burst ({burst} at once; raw {parallel} in parallel): p99", tb.p99, rb.p99, pb.p99, "ms")
    row("burst: total time to all running", tb.seconds, rb.seconds, pb.seconds, "s", 2)
    row("burst: containers/s", tb.containers_per_second, rb.containers_per_second,
        pb.containers_per_second, "/s", 1)
    print("(tinykube counts 2 containers per pod; raw counts 1 per container, pod-shaped 2 per pod)")
    for label, phase in (("single", ts), ("burst", tb)):
        print(f"tinykube {label}: create -> bound p50 {statistics.median(phase.to_bound_ms):.0f} ms, "
              f"p99 {percentile(phase.to_bound_ms, 0.99):.0f} ms (the rest of each latency is the kubelet)")
    checks = [
        (f"single pod p99 <= {SINGLE_POD_P99_TARGET_MS} ms", ts.p99 <= SINGLE_POD_P99_TARGET_MS,
         f"{ts.p99:.0f} ms"),
        (f"single p50 <= {RAW_RATIO_TARGET}x raw docker", ts.p50 / rs.p50 <= RAW_RATIO_TARGET,
         f"{ts.p50 / rs.p50:.2f}x"),
        (f"single p99 <= {RAW_RATIO_TARGET}x raw docker", ts.p99 / rs.p99 <= RAW_RATIO_TARGET,
         f"{ts.p99 / rs.p99:.2f}x"),
        (f"burst total <= {RAW_RATIO_TARGET}x raw docker", tb.seconds / rb.seconds <= RAW_RATIO_TARGET,
         f"{tb.seconds / rb.seconds:.2f}x"),
    ]
    for label, met, value in checks:
        print(f"target {label}: {'met' if met else 'MISSED'} ({value})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--single", type=int, default=30, help="pods created one at a time")
    parser.add_argument("--burst", type=int, default=60, help="pods created at once")
    parser.add_argument("--parallel", type=int, default=8, help="raw engine creates in parallel in the burst")
    parser.add_argument("--profile", type=Path, help="record the master and kubelets with py-spy into this directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-startup-") as tmp:
        results = run(args.single, args.burst, args.parallel, Path(tmp), args.profile)
    report(results, single=args.single, burst=args.burst, parallel=args.parallel)


if __name__ == "__main__":
    main()
