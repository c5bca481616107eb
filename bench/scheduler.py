"""Scheduler throughput: N hollow nodes, M pods with requests, all through the public HTTPS API.

    python -m bench.scheduler --nodes 500 --pods 1000
    python -m bench.scheduler --nodes 5000 --pods 10000
    python -m bench.scheduler --nodes 5000 --pods 10000 --profile /tmp/master.txt   # py-spy, raw format
    python -m bench.scheduler --master-arg=--no-provenance   # any extra flag for the master (repeatable)

Starts its own master (scheduler in-process), registers N Node objects with
capacity and no kubelet, then creates M pods from C concurrent clients, exactly
as any client would. A watch records when each pod's binding is persisted.
Reports pods/s from the first create to the last persisted binding, the p50 and
p99 of each pod's latency (its create answered -> its binding seen), and the
master's peak RSS. With --profile, py-spy (a tool, not a dependency: `pip install
py-spy`) samples the master during the measured window; profiled numbers are
slower and are not the ones to record. Not a test: run it by hand and record the output in
docs/benchmarks.md.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.procfs import cpu_seconds
from tests.support.cluster import Master


def hollow_node(name: str) -> dict:
    capacity = {"cpu": "32", "memory": "128Gi", "pods": "110"}
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"bench": "hollow"}},
            "status": {"capacity": capacity, "allocatable": capacity,
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def bench_pod(name: str) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"bench": "pod"}},
            "spec": {"containers": [{"name": "app", "image": "tinykube/busybox:test",
                                     "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]}}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Profiler:
    """py-spy recording one process in raw (collapsed stack) format until stopped."""

    def __init__(self, pid: int, output: Path | None):
        self.process = None
        if output is not None:
            self.process = subprocess.Popen(
                ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--output", str(output),
                 "--rate", "100", "--nonblocking", "--threads", "--gil"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            self.process.wait(timeout=60)


def run(nodes: int, pods: int, clients: int, data_dir: Path, *, timeout: float = 3600,
        profile: Path | None = None, master_args: tuple[str, ...] = ()) -> dict:
    master = Master(data_dir, extra_args=["--log-level", "warning", "--scheduler-seed", "1", *master_args]).start()
    try:
        with ThreadPoolExecutor(clients) as pool, master.client() as setup:
            local = threading.local()

            def client():
                if not hasattr(local, "client"):
                    local.client = master.client()
                return local.client

            started = time.perf_counter()
            list(pool.map(lambda i: client().post("/api/v1/nodes", json=hollow_node(f"hollow-{i:05d}")).raise_for_status(),
                          range(nodes)))
            print(f"registered {nodes} nodes in {time.perf_counter() - started:.1f}s", flush=True)
            # Let the scheduler see every node before the clock starts.
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                if len(setup.get("/api/v1/nodes").json()["items"]) == nodes:
                    break
                time.sleep(0.2)
            from_revision = setup.get("/api/v1/namespaces/default/pods").json()["metadata"]["resourceVersion"]

            bound_at: dict[str, float] = {}
            all_bound = threading.Event()

            def watch_bindings() -> None:
                revision = from_revision
                while True:  # a watch ends at its timeoutSeconds; resume from the last revision seen
                    with master.client() as watcher, watcher.stream(
                        "GET", "/api/v1/namespaces/default/pods",
                        params={"watch": "1", "resourceVersion": revision, "timeoutSeconds": "600"},
                        timeout=None,
                    ) as stream:
                        for line in stream.iter_lines():
                            event = json.loads(line)
                            if event["type"] == "ERROR":
                                raise SystemExit(f"watch failed: {event['object']}")
                            pod = event["object"]
                            revision = pod["metadata"]["resourceVersion"]
                            name = pod["metadata"]["name"]
                            if pod.get("spec", {}).get("nodeName") and name not in bound_at:
                                bound_at[name] = time.perf_counter()
                                if len(bound_at) == pods:
                                    all_bound.set()
                                    return

            watcher = threading.Thread(target=watch_bindings, daemon=True)
            watcher.start()
            created_at: dict[str, float] = {}

            def create(i: int) -> None:
                name = f"bench-{i:06d}"
                client().post("/api/v1/namespaces/default/pods", json=bench_pod(name)).raise_for_status()
                created_at[name] = time.perf_counter()

            profiler = Profiler(master.process.pid, profile)
            cpu_before = cpu_seconds(master.process.pid)
            try:
                first_create = time.perf_counter()
                list(pool.map(create, range(pods)))
                creates_done = time.perf_counter()
                if not all_bound.wait(timeout=timeout):
                    raise SystemExit(f"only {len(bound_at)}/{pods} pods were bound")
            finally:
                profiler.stop()
            master_cpu = cpu_seconds(master.process.pid) - cpu_before  # a little after the last bind: an upper bound
            last_bind = max(bound_at.values())
            latencies = [(bound_at[n] - created_at[n]) * 1000 for n in created_at]
            return {
                "nodes": nodes, "pods": pods, "clients": clients,
                "pods_per_second": pods / (last_bind - first_create),
                "create_per_second": pods / (creates_done - first_create),
                "p50_ms": statistics.median(latencies), "p99_ms": percentile(latencies, 0.99),
                "master_peak_rss_mib": peak_rss_mib(master.process.pid),
                "seconds": last_bind - first_create, "master_cpu_seconds": master_cpu,
            }
    finally:
        master.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16, help="concurrent API clients creating pods")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for every binding")
    parser.add_argument("--profile", type=Path, help="record the master with py-spy (raw format) to this file")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here (bench.compare uses it)")
    parser.add_argument("--master-arg", action="append", default=[], metavar="FLAG",
                        help="an extra flag for the master, repeatable; spelled with '=' when it starts with "
                             "a dash: --master-arg=--no-provenance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-") as tmp:
        result = run(args.nodes, args.pods, args.clients, Path(tmp) / "data", timeout=args.timeout,
                     profile=args.profile, master_args=tuple(args.master_arg))
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| nodes | pods | pods/s (create -> last binding) | creates/s | p50 ms | p99 ms | master peak RSS "
          "| master CPU |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(f"| {result['nodes']} | {result['pods']} | {result['pods_per_second']:.0f} | "
          f"{result['create_per_second']:.0f} | {result['p50_ms']:.0f} | {result['p99_ms']:.0f} | "
          f"{result['master_peak_rss_mib']:.0f} MiB | {result['master_cpu_seconds']:.1f} s in "
          f"{result['seconds']:.1f} s |")
    print(f"target 2,000 pods/s: {result['pods_per_second'] / 2000:.2f}x of target")
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
