"""What every comparison benchmark returns, how it is printed, and the Tally its load clients keep.

A benchmark's `run(...)` returns a result dict (JSON-ready, so `bench.run` can
collect it from a subprocess):

    {"benchmark": "burst_vs_swarm", "command": "python -m bench.burst_vs_swarm",
     "rows": [Row as a dict, ...],      # one line of the comparison table each
     "numbers": {...}}                  # every raw number behind the rows

A Row compares tinykube with its baseline as a ratio (tinykube / baseline), so
a reader can compare runs on a noisy machine by ratios, not absolute numbers.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

TABLE_HEADER = ("| measurement | tinykube | baseline | tinykube / baseline | target | result |\n"
                "| --- | ---: | ---: | ---: | --- | --- |")


@dataclass
class Row:
    """One line of a comparison. `met` is None when the line is context and has no target."""

    measurement: str
    tinykube: str
    baseline: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    def markdown(self) -> str:
        ratio = "" if self.ratio is None else f"{self.ratio:.2f}x"
        verdict = {True: "met", False: "**MISSED**", None: ""}[self.met]
        return f"| {self.measurement} | {self.tinykube} | {self.baseline} | {ratio} | {self.target} | {verdict} |"


def result(benchmark: str, command: str, rows: list[Row], numbers: dict[str, Any]) -> dict[str, Any]:
    return {"benchmark": benchmark, "command": command, "rows": [asdict(row) for row in rows], "numbers": numbers}


def rows_of(result_dict: dict[str, Any]) -> list[Row]:
    return [Row(**row) for row in result_dict["rows"]]


def print_result(result_dict: dict[str, Any]) -> None:
    print(f"\n{result_dict['benchmark']}: {result_dict['command']}")
    print(TABLE_HEADER)
    for row in rows_of(result_dict):
        print(row.markdown())


def write_json(result_dict: dict[str, Any], path: Path | None) -> None:
    """`bench.run` passes --json to collect the result of a module it ran as a subprocess."""
    if path is not None:
        path.write_text(json.dumps(result_dict, indent=2))


# ----- counting requests


@dataclass
class Tally:
    """A load client's latencies by verb, and every answer that was not a success."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)  # by verb: any answer but 2xx
    server_errors: int = 0  # 5xx
    locked: int = 0  # answers that mention "database is locked" (SQLite's busy error leaking out)
    first_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0  # the window the requests were made in

    def record(self, verb: str, response: httpx.Response, seconds: float) -> bool:
        """Count one answered request; True when it succeeded."""
        self.latencies_ms.setdefault(verb, []).append(seconds * 1000)
        if response.is_success:
            return True
        self.failures[verb] = self.failures.get(verb, 0) + 1
        self.server_errors += response.status_code >= 500
        self.locked += "database is locked" in response.text
        if len(self.first_errors) < 5:
            self.first_errors.append(f"{verb} {response.request.url.path}: {response.status_code} "
                                     f"{response.text[:200]}")
        return False

    def latencies(self, verbs: tuple[str, ...]) -> list[float]:
        return [ms for verb in verbs for ms in self.latencies_ms.get(verb, [])]

    def failed(self, verbs: tuple[str, ...]) -> int:
        return sum(self.failures.get(verb, 0) for verb in verbs)


# ----- latency summaries


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile; NaN for no values, so an empty phase shows rather than crashes."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary_ms(latencies_ms: list[float]) -> dict[str, float]:
    """count, p50, p99 and max of latencies in milliseconds."""
    return {"count": len(latencies_ms),
            "p50_ms": statistics.median(latencies_ms) if latencies_ms else float("nan"),
            "p99_ms": percentile(latencies_ms, 0.99),
            "max_ms": max(latencies_ms) if latencies_ms else float("nan")}
