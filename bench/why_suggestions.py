"""The suggestion search for one Pending pod at 5,000 nodes: how long until it answers.

    python -m bench.why_suggestions
    python -m bench.why_suggestions --nodes 5000 --pods-per-node 20 --runs 7

In-process, on the scheduler's own objects: N hollow nodes (bench.scheduler's
shape, 32 cpu, 128Gi, 110 pods) become NodeInfo the way the scheduler's
informer makes them, each with `--pods-per-node` placed pods of 1.5 cpu (so
2 cpu stay free). Some nodes are made to hold a pod back for one reason each:
cordoned (2 %, empty), tainted dedicated=gpu:NoSchedule (5 %, empty), labelled
disk=ssd (10 %). Then, for each pending pod shape below, it runs the cycle
(which must find no node, or the search would not run), and times
`suggestions.suggest`: the whole search, survey and every check, as the
scheduler's reporter runs it. Prints, per shape, the median wall time of
`--runs` runs, and the median and slowest CPU time of the thread: what the
search itself costs, whatever else the machine runs (this machine is shared,
and another process on its two cores stretches the wall time, not the CPU time).

A run during which the interpreter made a full (generation 2) garbage
collection is counted apart: that collection walks every object of the
process, here the 100,000 placed pods, and lands on whatever code happens to
run, the search or the cycle alike; the slowest run is given with and without
them.

Target: under 200 ms per pod at 5,000 nodes (issue #14).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import time
from typing import Any

from bench.scheduler import bench_pod, hollow_node
from master.scheduler.cycle import Cycle
from master.scheduler.framework import NodeInfo, PodInfo
from master.scheduler.profile import default_profile
from master.scheduler.suggestions import Template, suggest
from objects.pod import Pod

TARGET_MS = 200.0
GPU_TAINT = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}


def build_nodes(count: int, pods_per_node: int) -> list[NodeInfo]:
    nodes = []
    for i in range(count):
        wire: dict[str, Any] = hollow_node(f"hollow-{i:05d}")
        wire["spec"] = {}
        placed = pods_per_node
        if i % 50 == 7:
            wire["spec"]["unschedulable"] = True
            placed = 0
        elif i % 20 == 3:
            wire["spec"]["taints"] = [GPU_TAINT]
            placed = 0
        if i % 10 == 5:
            wire["metadata"]["labels"]["disk"] = "ssd"
        node = NodeInfo.from_node(wire)
        for j in range(placed):
            filler = bench_pod(f"filler-{i:05d}-{j:03d}")
            filler["metadata"].update(namespace="default", uid=f"uid-{i}-{j}",
                                      creationTimestamp=f"2024-05-01T12:{j // 60:02d}:{j % 60:02d}Z")
            filler["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "1500m"
            filler["spec"]["nodeName"] = node.name
            node.add_pod(PodInfo.from_pod(filler))
        nodes.append(node)
    return nodes


def pending_pod(name: str, *, cpu: str, **spec: Any) -> Pod:
    wire = bench_pod(name)
    wire["metadata"].update(namespace="default", uid=f"uid-{name}")
    wire["spec"]["containers"][0]["resources"]["requests"]["cpu"] = cpu
    wire["spec"].update(spec)
    return Pod.model_validate(wire)


SHAPES = {
    # Room: cordoned and tainted nodes are empty, full ones need a few pods gone; 4 cpu is twice the free.
    "4 cpu (room, cordon, taint)": lambda: pending_pod("room", cpu="4"),
    # Larger than any node: only lowering the request (or a bigger node) helps.
    "40 cpu (larger than any node)": lambda: pending_pod("huge", cpu="40"),
    # A label no node has.
    "nodeSelector disk=nvme": lambda: pending_pod("nvme", cpu="100m", nodeSelector={"disk": "nvme"}),
    # A required term no node matches; ssd nodes match once zone goes.
    "required affinity disk In [ssd], zone In [z]": lambda: pending_pod("zoned", cpu="100m", affinity={
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "disk", "operator": "In", "values": ["ssd"]},
                                  {"key": "zone", "operator": "In", "values": ["z"]}]}]}}}),
}


def run(nodes: int, pods_per_node: int, runs: int) -> list[dict[str, Any]]:
    started = time.perf_counter()
    cluster = build_nodes(nodes, pods_per_node)
    print(f"built {nodes} nodes with {pods_per_node} pods each in {time.perf_counter() - started:.1f}s", flush=True)
    profile = default_profile()
    full_collections = []
    gc.callbacks.append(lambda phase, info: phase == "start" and info["generation"] == 2
                        and full_collections.append(1))
    rows = []
    for shape, make in SHAPES.items():
        pod = make()
        info = PodInfo.from_model(pod)
        result = Cycle(profile, rng=random.Random(1)).run(info, cluster)
        if result.node is not None:
            raise SystemExit(f"{shape}: the pod fitted {result.node}; the search runs only when nothing fits")
        times, cpu, collected, found = [], [], [], []
        for _ in range(runs):
            full_collections.clear()
            begin, begin_cpu = time.perf_counter(), time.thread_time()
            found = suggest(pod, PodInfo.from_model(pod), cluster, profile.filters, Template.bare(pod))
            times.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.thread_time() - begin_cpu) * 1000)
            collected.append(bool(full_collections))
        clean = [t for t, full in zip(cpu, collected) if not full]
        rows.append({"shape": shape, "median_ms": statistics.median(times), "cpu_ms": statistics.median(cpu),
                     "max_cpu_ms": max(cpu), "max_clean_cpu_ms": max(clean, default=0.0),
                     "full_gc_runs": sum(collected), "suggestions": [s.type for s in found]})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--pods-per-node", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    rows = run(args.nodes, args.pods_per_node, args.runs)
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"| pending pod ({args.nodes} nodes, {args.runs} runs) | median ms | CPU ms: median | slowest "
          "| slowest without a full GC | runs with a full GC | suggestions |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        print(f"| {row['shape']} | {row['median_ms']:.0f} | {row['cpu_ms']:.0f} | {row['max_cpu_ms']:.0f} | "
              f"{row['max_clean_cpu_ms']:.0f} | {row['full_gc_runs']} | {', '.join(row['suggestions'])} |")
    median = max(row["median_ms"] for row in rows)
    slowest = max(row["max_clean_cpu_ms"] for row in rows)
    met = median < TARGET_MS and slowest < TARGET_MS
    print(f"target {TARGET_MS:.0f} ms: worst median {median:.0f} ms, slowest CPU without a full GC {slowest:.0f} ms: "
          f"{'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
