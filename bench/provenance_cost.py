"""Provenance on vs off: what recording who wrote each revision, and why, costs, measured side by side.

    python -m bench.provenance_cost                          # 3 runs a side; scheduler at 500 nodes, 1000 pods
    python -m bench.provenance_cost --runs 5 --nodes 5000 --pods 10000
    python -m bench.provenance_cost --only api_load --runs 1 --seconds 5     # a smoke test
    python -m bench.provenance_cost --only store --runs 5                     # the store alone, in seconds

Every write's revision row records its provenance (master/store/provenance.py);
the master's hidden --no-provenance flag leaves those columns NULL. This runs
three benchmarks with the recording on and off, alternately and in mirrored
pairs (on, off, off, on, on, off, ...), so both sides meet the same load on
this noisy machine and neither always runs first:

- bench.api_load's paced phase: 50 clients paced at 500 single-object writes/s
  for 30 s, after 5 s of the same load that warms the master up and is not
  counted. Its write p99 is judged. It runs in this process with api_load's
  own functions (its unpaced phase is left out: it measures a queue).
- bench.scheduler: hollow nodes, pods created over HTTPS and bound by the
  in-process scheduler, whose bindings, events and explanations carry their
  cause. Its pods/s is judged. It runs as its own process, as bench.compare
  runs a benchmark.
- the store alone, in this process: a pod's create, status update and delete
  on a SqlStore of its own, inside the origin a kubelet's request would give
  them, timed in CPU per write. No HTTP and no neighbour's load in the way:
  it shows what the recording itself costs, where the two above see it
  through the spread that other processes' load adds.

Components send their X-Tinykube-Reacted-To and note headers either way and
the master reads them either way: the difference measured is the recording.
Target: less than 10 % worse with provenance on, on the two judged numbers.
Prints every run, then per metric the median of each side, the range (min to
max) and the ratio on / off.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import api_load
from bench.history_cost import STEP_NOTE, pod, running_status
from master.store import ObjectKey, SqlStore
from master.store.provenance import WriteOrigin, recording
from tests.support.cluster import Master

REPOSITORY = Path(__file__).resolve().parents[1]
SIDES = {"on": (), "off": ("--no-provenance",)}
BENCHMARKS = ("api_load", "scheduler", "store")
STORE_PODS = 2_000  # each written three times
WORSE_LIMIT = 0.10  # provenance on may be at most this much worse, as a fraction of off
WARMUP_SECONDS = 5.0


@dataclass(frozen=True)
class Metric:
    """One number of one benchmark's result, and whether the target judges it."""

    benchmark: str
    name: str
    read: Callable[[dict[str, Any]], float]
    unit: str
    better: str  # "higher" or "lower"
    judged: bool = False

    def worse_by(self, on: float, off: float) -> float:
        """How much worse the on side is, as a fraction of off (negative: better)."""
        return on / off - 1 if self.better == "lower" else 1 - on / off


METRICS = [
    Metric("api_load", "paced write p99 (500 writes/s)", lambda r: r["writes"]["p99_ms"], "ms", "lower",
           judged=True),
    Metric("api_load", "paced write p50", lambda r: r["writes"]["p50_ms"], "ms", "lower"),
    Metric("api_load", "paced writes/s reached", lambda r: r["writes"]["per_second"], "/s", "higher"),
    Metric("api_load", "paced master CPU", lambda r: r["master_cpu_seconds"], "s", "lower"),
    # What a write costs the master, whatever else ran: the recording's cost is CPU in the write path,
    # and on a shared machine the latencies move with the neighbours' load more than with it.
    Metric("api_load", "paced master CPU per request",
           lambda r: r["master_cpu_seconds"] / sum(v["count"] for v in r["verbs"].values()) * 1e6, "µs", "lower"),
    Metric("scheduler", "pods/s (create -> last binding)", lambda r: r["pods_per_second"], "/s", "higher",
           judged=True),
    Metric("scheduler", "pod latency p99", lambda r: r["p99_ms"], "ms", "lower"),
    Metric("scheduler", "master CPU", lambda r: r["master_cpu_seconds"], "s", "lower"),
    Metric("scheduler", "master CPU per pod", lambda r: r["master_cpu_seconds"] / r["pods"] * 1e3, "ms", "lower"),
    Metric("store", "CPU per write (create, status, delete)", lambda r: r["cpu_us_per_write"], "µs", "lower"),
]


def paced_phase(master_args: tuple[str, ...], root: Path, *, seconds: float) -> dict[str, Any]:
    """bench.api_load's paced phase against a master of its own: the phase's summary."""
    master = Master(root / "master", extra_args=["--no-scheduler", *master_args])  # and no controllers
    try:
        master.start()
        namespaces = [f"load-{i:02d}" for i in range(api_load.CLIENTS)]
        with master.client() as client:
            for namespace in namespaces:
                client.post("/api/v1/namespaces", json={"apiVersion": "v1", "kind": "Namespace",
                                                        "metadata": {"name": namespace}}).raise_for_status()
        # A fresh master's first requests are slower (imports, first queries): keep them out of the p99.
        api_load.measure(master, namespaces, seconds=WARMUP_SECONDS, write_rate=api_load.WRITE_RATE_TARGET)
        return api_load.measure(master, namespaces, seconds=seconds, write_rate=api_load.WRITE_RATE_TARGET)
    finally:
        master.stop()


def scheduler_run(master_args: tuple[str, ...], output: Path, *, nodes: int, pods: int) -> dict[str, Any]:
    """`python -m bench.scheduler` in its own process, with the master's extra flags; its numbers."""
    subprocess.run([sys.executable, "-m", "bench.scheduler", "--nodes", str(nodes), "--pods", str(pods),
                    *(f"--master-arg={flag}" for flag in master_args), "--json", str(output)],
                   cwd=REPOSITORY, check=True)
    return json.loads(output.read_text())


def store_writes(master_args: tuple[str, ...], root: Path, *, pods: int = STORE_PODS) -> dict[str, Any]:
    """Each pod created, its status written and deleted on a SqlStore of our own; CPU per write."""
    store = SqlStore(f"sqlite:///{root / 'store.db'}", record_provenance="--no-provenance" not in master_args)
    origin = WriteOrigin(user="system:node:hollow-001", component="kubelet/hollow-001", verb="patch",
                         subresource="status", cause=1234, note=STEP_NOTE)
    try:
        with recording(origin):
            begun = time.process_time()
            for index in range(pods):
                key = ObjectKey("pods", "default", f"store-{index:05d}")
                created = store.create(key, pod(key.name))
                updated = store.update(key, {**created, **running_status(index, "hollow-001")},
                                       expected_revision=int(created["metadata"]["resourceVersion"]))
                store.delete(key, expected_revision=int(updated["metadata"]["resourceVersion"]))
            cpu = time.process_time() - begun
    finally:
        store.close()
    return {"writes": 3 * pods, "cpu_seconds": cpu, "cpu_us_per_write": cpu / (3 * pods) * 1e6}


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def report(sides: dict[str, dict[str, list[dict[str, Any]]]], command: str) -> tuple[str, bool]:
    """The Markdown table of every metric, and whether every judged number held the target."""
    lines = [f"`{command}`", "",
             "| measurement | provenance on | provenance off | on / off | target | result |",
             "| --- | ---: | ---: | ---: | --- | --- |"]
    held = True
    for metric in METRICS:
        on = [metric.read(result) for result in sides["on"].get(metric.benchmark, [])]
        off = [metric.read(result) for result in sides["off"].get(metric.benchmark, [])]
        if not on or not off:
            continue
        median_on, median_off = statistics.median(on), statistics.median(off)
        target = verdict = ""
        if metric.judged:
            met = metric.worse_by(median_on, median_off) < WORSE_LIMIT
            held = held and met
            target = f"< {WORSE_LIMIT:.0%} worse"
            verdict = "met" if met else "**MISSED**"
        lines.append(f"| {metric.benchmark}: {metric.name}, {metric.unit} ({metric.better} is better) | "
                     f"{spread(on)} | {spread(off)} | {median_on / median_off:.2f}x | {target} | {verdict} |")
    runs = max(len(results) for results in sides["on"].values())
    lines += ["", f"Median of {runs} runs a side (min-max), run alternately (on, off, off, on, ...)."]
    return "\n".join(lines), held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of each side, per benchmark")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the measured paced phase")
    parser.add_argument("--nodes", type=int, default=500, help="bench.scheduler's hollow nodes")
    parser.add_argument("--pods", type=int, default=1000, help="bench.scheduler's pods")
    parser.add_argument("--only", choices=BENCHMARKS, help="run one of the benchmarks")
    parser.add_argument("--json", type=Path, help="also write every run's numbers here")
    args = parser.parse_args()
    benchmarks = (args.only,) if args.only else BENCHMARKS

    load_before, started = os.getloadavg(), time.monotonic()
    sides: dict[str, dict[str, list[dict[str, Any]]]] = {side: {b: [] for b in benchmarks} for side in SIDES}
    with tempfile.TemporaryDirectory(prefix="tinykube-provenance-") as tmp:
        root = Path(tmp)
        for run in range(args.runs):
            for benchmark in benchmarks:
                # Mirrored pairs: whatever the previous run leaves behind (dirty pages, a warm cache)
                # falls on each side equally often.
                for side in (("on", "off") if run % 2 == 0 else ("off", "on")):
                    master_args = SIDES[side]
                    print(f"--- run {run + 1}/{args.runs}: {benchmark}, provenance {side}", flush=True)
                    where = root / f"{benchmark}-{side}-{run}"
                    where.mkdir()
                    if benchmark == "api_load":
                        outcome = paced_phase(master_args, where, seconds=args.seconds)
                        print(f"    write p99 {outcome['writes']['p99_ms']:.1f} ms at "
                              f"{outcome['writes']['per_second']:.0f} writes/s, master CPU "
                              f"{outcome['master_cpu_seconds']:.1f} s", flush=True)
                    elif benchmark == "scheduler":
                        outcome = scheduler_run(master_args, where / "result.json", nodes=args.nodes,
                                                pods=args.pods)
                    else:
                        outcome = store_writes(master_args, where)
                        print(f"    {outcome['cpu_us_per_write']:.0f} µs of CPU a write", flush=True)
                    sides[side][benchmark].append(outcome)
    load_after, minutes = os.getloadavg(), (time.monotonic() - started) / 60

    command = " ".join(["python -m bench.provenance_cost", *(["--runs", str(args.runs)] if args.runs != 3 else []),
                        *(["--seconds", f"{args.seconds:g}"] if args.seconds != 30 else []),
                        *(["--nodes", str(args.nodes)] if args.nodes != 500 else []),
                        *(["--pods", str(args.pods)] if args.pods != 1000 else []),
                        *(["--only", args.only] if args.only else [])])
    table, held = report(sides, command)
    print()
    print(table)
    print(f"\nLoad average (1 / 5 / 15 min): before {' / '.join(f'{v:.1f}' for v in load_before)}, "
          f"after {' / '.join(f'{v:.1f}' for v in load_after)}; {minutes:.1f} min.")
    print(f"Target (provenance on less than {WORSE_LIMIT:.0%} worse): {'met' if held else 'MISSED'}")
    if args.json is not None:
        args.json.write_text(json.dumps({"sides": sides, "load_before": load_before, "load_after": load_after,
                                         "minutes": minutes, "held": held}, indent=2))


if __name__ == "__main__":
    main()
