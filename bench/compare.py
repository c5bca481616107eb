"""Before and after: one benchmark against two commits, run alternately in one sitting, as ratios.

    python -m bench.compare --before 081ff71 footprint
    python -m bench.compare --before 081ff71 --runs 3 scheduler -- --nodes 500 --pods 1000
    python -m bench.compare --before 081ff71 --after HEAD api_load

These machines are noisy, so two numbers measured an hour apart say little. This
checks out `--before` (and `--after`, default: this working tree) into
temporary git worktrees, then runs the benchmark module alternately against
each (before, after, before, after, ...) so both sides meet the same load.
The benchmark's own driver (this tree's bench/ and tests/support/) runs in both
trees, so only the product code differs. Each run is its own process with the
tree first on PYTHONPATH and as its working directory, and it checks that the
master it starts comes from that tree.

Prints every run, then the median of each side and the ratio after / before,
with the spread (min to max) so a reader can tell a change from noise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
# What the driver needs from the tree it runs in besides the product code: copied from this tree.
DRIVER_DIRECTORIES = ("bench", "tests/support")


@dataclass(frozen=True)
class Metric:
    """One number a benchmark reports, read from its result JSON."""

    name: str
    read: Callable[[dict[str, Any]], float]
    unit: str
    better: str  # "higher" or "lower"


def _phase(name: str, *keys: str) -> Callable[[dict[str, Any]], float]:
    def read(result: dict[str, Any]) -> float:
        value: Any = result["numbers"]["phases"][name]
        for key in keys:
            value = value[key]
        return float(value)
    return read


METRICS: dict[str, list[Metric]] = {
    "scheduler": [
        Metric("pods/s (create -> last binding)", lambda r: r["pods_per_second"], "/s", "higher"),
        Metric("pod latency p99", lambda r: r["p99_ms"], "ms", "lower"),
        Metric("master CPU", lambda r: r["master_cpu_seconds"], "s", "lower"),
        Metric("master peak RSS", lambda r: r["master_peak_rss_mib"], "MiB", "lower"),
    ],
    "api_load": [
        Metric("unpaced writes/s", _phase("unpaced", "writes", "per_second"), "/s", "higher"),
        Metric("unpaced write p99", _phase("unpaced", "writes", "p99_ms"), "ms", "lower"),
        Metric("paced write p99", _phase("paced", "writes", "p99_ms"), "ms", "lower"),
        Metric("unpaced master CPU", _phase("unpaced", "master_cpu_seconds"), "s", "lower"),
    ],
    "footprint": [
        Metric("RSS stored (VmRSS)", lambda r: r["numbers"]["stored"]["VmRSS"] / MIB, "MiB", "lower"),
        Metric("peak RSS (VmHWM)", lambda r: r["numbers"]["stored"]["VmHWM"] / MIB, "MiB", "lower"),
        Metric("RSS idle", lambda r: r["numbers"]["idle"]["VmRSS"] / MIB, "MiB", "lower"),
        Metric("store time", lambda r: r["numbers"]["store_seconds"], "s", "lower"),
    ],
}


def worktree(revision: str, into: Path) -> Path:
    """A detached checkout of `revision`, carrying this tree's benchmark driver."""
    subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "add", "--detach", "--force", str(into), revision],
                   check=True, capture_output=True)
    for directory in DRIVER_DIRECTORIES:
        shutil.rmtree(into / directory, ignore_errors=True)
        shutil.copytree(REPOSITORY / directory, into / directory, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def run_once(tree: Path, benchmark: str, arguments: list[str], output: Path) -> dict[str, Any]:
    """One benchmark run with `tree`'s code; its result JSON."""
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    check = subprocess.run([sys.executable, "-c", "import master; print(master.__file__)"], cwd=tree,
                           env=environment, capture_output=True, text=True, check=True)
    if not Path(check.stdout.strip()).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"bench.compare: {tree} would run the master from {check.stdout.strip()}")
    subprocess.run([sys.executable, "-m", f"bench.{benchmark}", *arguments, "--json", str(output)], cwd=tree,
                   env=environment, check=True)
    return json.loads(output.read_text())


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def report(benchmark: str, command: str, sides: dict[str, list[dict[str, Any]]], labels: dict[str, str]) -> str:
    lines = [f"`{command}`", "",
             f"| measurement | before ({labels['before']}) | after ({labels['after']}) | after / before |",
             "| --- | ---: | ---: | ---: |"]
    for metric in METRICS[benchmark]:
        before = [metric.read(result) for result in sides["before"]]
        after = [metric.read(result) for result in sides["after"]]
        ratio = statistics.median(after) / statistics.median(before)
        lines.append(f"| {metric.name}, {metric.unit} ({metric.better} is better) | {spread(before)} | "
                     f"{spread(after)} | {ratio:.2f}x |")
    lines.append("")
    lines.append(f"Median of {len(sides['before'])} runs a side (min-max), run alternately.")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the git revision to compare against")
    parser.add_argument("--after", help="a git revision (default: this working tree as it is)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side")
    parser.add_argument("benchmark", choices=sorted(METRICS))
    parser.add_argument("arguments", nargs="*", help="passed to the benchmark (after --)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tinykube-compare-") as tmp:
        root = Path(tmp)
        trees = {"before": worktree(args.before, root / "before"),
                 "after": worktree(args.after, root / "after") if args.after else REPOSITORY}
        labels = {"before": args.before, "after": args.after or _describe_working_tree()}
        sides: dict[str, list[dict[str, Any]]] = {"before": [], "after": []}
        try:
            for run in range(args.runs):
                for side in ("before", "after"):
                    print(f"--- run {run + 1}/{args.runs}: {side} ({labels[side]})", flush=True)
                    sides[side].append(run_once(trees[side], args.benchmark, args.arguments,
                                                root / f"{side}-{run}.json"))
        finally:
            for side in ("before", "after"):
                if trees[side] != REPOSITORY:
                    subprocess.run(["git", "-C", str(REPOSITORY), "worktree", "remove", "--force",
                                    str(trees[side])], capture_output=True)
    command = " ".join(["python -m bench.compare", "--before", args.before,
                        *(["--after", args.after] if args.after else []), "--runs", str(args.runs),
                        args.benchmark, *(["--", *args.arguments] if args.arguments else [])])
    print()
    print(report(args.benchmark, command, sides, labels))


def _describe_working_tree() -> str:
    commit = subprocess.run(["git", "-C", str(REPOSITORY), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPOSITORY), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return commit + (" plus uncommitted changes" if dirty else "")


if __name__ == "__main__":
    main()
