"""Every comparison benchmark in one run, one after the other, as one table of ratios.

    python -m bench.run                                   # the full suite (about 15 min on 2 idle cores)
    python -m bench.run --small                           # every module in its smoke-test size
    python -m bench.run --markdown /tmp/results.md        # also write a Markdown results section
    python -m bench.run --only api_load,watch_fanout      # a subset, in the suite's order

Builds the local images first (scripts/build-images: no registry needed), then
runs each module as its own process, exactly as `python -m bench.<name>` runs
it alone (each starts and removes its own master, kubelets and containers), and
collects its result dict. A module that fails is reported as failed and the
suite goes on. The Markdown section holds the machine's facts (cores, memory,
kernel, Docker engine, Python, git commit, load average), the exact commands
and every table.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import docker

from bench.results import TABLE_HEADER, rows_of

REPOSITORY = Path(__file__).resolve().parents[1]
BENCHMARKS = ("burst_vs_swarm", "api_load", "watch_fanout", "heartbeat_load", "footprint", "node_loss")


def machine_facts() -> dict[str, str]:
    with open("/proc/meminfo") as meminfo:
        memory_kib = int(next(line for line in meminfo if line.startswith("MemTotal:")).split()[1])
    with open("/proc/cpuinfo") as cpuinfo:
        models = {line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")}
    engine = docker.from_env()
    try:
        version, info = engine.version(), engine.info()
    finally:
        engine.close()
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {
        "CPU": f"{os.cpu_count()} cores ({', '.join(sorted(models)) or 'model unknown'})",
        "Memory": f"{memory_kib / 1024 / 1024:.1f} GiB",
        "Kernel": f"{platform.system()} {platform.release()}",
        "Docker Engine": f"{version['Version']} (API {version['ApiVersion']}, storage driver {info['Driver']})",
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "Code": f"commit {commit}" + (" plus uncommitted changes" if dirty else ""),
    }


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPOSITORY, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else "unknown"


def load_average() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


def run_one(name: str, *, small: bool, directory: Path) -> dict:
    """`python -m bench.<name>` in its own process; its result dict, or a record of its failure."""
    command = [sys.executable, "-m", f"bench.{name}", *(["--small"] if small else [])]
    shown = " ".join(["python", *command[1:]])
    output = directory / f"{name}.json"
    print(f"\n===== {shown}", flush=True)
    started = time.monotonic()
    exit_code = subprocess.run([*command, "--json", str(output)], cwd=REPOSITORY).returncode
    seconds = time.monotonic() - started
    if exit_code != 0 or not output.exists():
        return {"benchmark": name, "command": shown, "failed": f"exit code {exit_code}", "seconds": seconds}
    return {**json.loads(output.read_text()), "seconds": seconds}


def table(results: list[dict]) -> str:
    lines = []
    for outcome in results:
        lines += [f"### {outcome['benchmark']}", "", f"    {outcome['command']}", ""]
        if "failed" in outcome:
            lines += [f"**FAILED** ({outcome['failed']}, after {outcome['seconds']:.0f} s): see its output.", ""]
            continue
        lines += [TABLE_HEADER, *(row.markdown() for row in rows_of(outcome)),
                  "", f"({outcome['seconds']:.0f} s)", ""]
    return "\n".join(lines)


def targets(results: list[dict]) -> str:
    """Every row that has a target, from every benchmark, in one table."""
    lines = ["| benchmark | measurement | tinykube | baseline | tinykube / baseline | target | result |",
             "| --- | --- | ---: | ---: | ---: | --- | --- |"]
    for outcome in results:
        if "failed" in outcome:
            lines.append(f"| {outcome['benchmark']} | | | | | | **FAILED to run** |")
            continue
        lines += [f"| {outcome['benchmark']} {row.markdown()}" for row in rows_of(outcome) if row.met is not None]
    return "\n".join(lines)


def markdown(results: list[dict], *, facts: dict[str, str], command: str, began: str, seconds: float,
             load_before: str, load_after: str) -> str:
    verdicts = [row.met for outcome in results if "failed" not in outcome for row in rows_of(outcome)]
    failed = [outcome["benchmark"] for outcome in results if "failed" in outcome]
    lines = [f"## Results of {began}", "", f"    {command}", "",
             f"{verdicts.count(True)} targets met, {verdicts.count(False)} missed"
             + (f"; failed to run: {', '.join(failed)}" if failed else "") + ".", "",
             "| | |", "| --- | --- |", *(f"| {key} | {value} |" for key, value in facts.items()),
             f"| Load average (1 / 5 / 15 min) | before {load_before}, after {load_after} |",
             f"| Duration | {seconds / 60:.1f} min |", "",
             "Ratios are tinykube / baseline, measured in the same run; compare ratios across runs, "
             "not absolute numbers.", "", "### Targets", "", targets(results), "", table(results)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="every module in its smoke-test size")
    parser.add_argument("--markdown", type=Path, help="write the Markdown results section to this file")
    parser.add_argument("--only", help=f"a comma list of: {', '.join(BENCHMARKS)}")
    args = parser.parse_args()
    chosen = [name for name in BENCHMARKS if not args.only or name in args.only.split(",")]
    unknown = set((args.only or "").split(",")) - set(BENCHMARKS) - {""}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    began = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_before, started = load_average(), time.monotonic()
    subprocess.run([str(REPOSITORY / "scripts" / "build-images")], cwd=REPOSITORY, check=True)
    with tempfile.TemporaryDirectory(prefix="tinykube-bench-run-") as tmp:
        results = [run_one(name, small=args.small, directory=Path(tmp)) for name in chosen]
    seconds, load_after = time.monotonic() - started, load_average()

    command = " ".join(["python -m bench.run", *(["--small"] if args.small else []),
                        *([f"--only {args.only}"] if args.only else [])])
    text = markdown(results, facts=machine_facts(), command=command, began=began, seconds=seconds,
                    load_before=load_before, load_after=load_after)
    print("\n" + text)
    if args.markdown:
        args.markdown.write_text(text + "\n")
        print(f"\nwritten to {args.markdown}")
    if any("failed" in outcome for outcome in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
