"""The tables `kubectl top` prints (its metricsutil.TopCmdPrinter), from NodeMetrics and PodMetrics JSON.

    NAME     CPU(cores)   CPU(%)   MEMORY(bytes)   MEMORY(%)      top node
    node-1   303m         15%      12Mi            0%
    NAME     CPU(cores)   MEMORY(bytes)                           top pod
    busy     329m         1Mi

CPU is printed in millicores rounded up, memory in whole MiB rounded down, and
a node's percentages are its usage over its allocatable (or capacity), in
millis, truncated: exactly kubectl's integer arithmetic, so both print the same
digits. A node listed without metrics gets a row of `<unknown>`. Every cell,
the last included, is tab-terminated, so lines end in padding as kubectl's do.
Pure functions: the JSON in, the text out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cli.tabwriter import align
from objects.quantity import cpu_millicores as milli_value  # Quantity.MilliValue, for any resource
from objects.quantity import parse_quantity

NODE_COLUMNS = ["NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)"]
POD_COLUMNS = ["NAME", "CPU(cores)", "MEMORY(bytes)"]
UNKNOWN = "<unknown>"
SUM_RULE = "________"
MEBIBYTE = 1024 * 1024
# kubectl's tabwriter for tables (printers.GetNewTabWriter).
PADDING = 3
MIN_WIDTH = 6


@dataclass(frozen=True)
class Usage:
    """CPU in cores and memory in bytes, exact, as Kubernetes adds quantities."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)

    @classmethod
    def of(cls, usage: dict[str, Any] | None) -> Usage:
        usage = usage or {}
        return cls(parse_quantity(usage.get("cpu", 0)), parse_quantity(usage.get("memory", 0)))

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.cpu + other.cpu, self.memory + other.memory)

    @property
    def cpu_millis(self) -> int:
        return math.ceil(self.cpu * 1000)  # Quantity.MilliValue

    @property
    def memory_bytes(self) -> int:
        return math.ceil(self.memory)  # Quantity.Value

    @property
    def memory_millis(self) -> int:
        return math.ceil(self.memory * 1000)


def render_nodes(metrics: list[dict[str, Any]], available: dict[str, dict[str, Any]], *, no_headers: bool,
                 sort_by: str) -> str:
    """NodeMetrics items; `available` maps each listed node to its allocatable (or capacity), in list order."""
    if not metrics:
        return ""
    rows = [] if no_headers else [NODE_COLUMNS]
    measured = [(m["metadata"]["name"], Usage.of(m.get("usage"))) for m in metrics]
    for name, usage in _largest_first(measured, sort_by) if sort_by else sorted(measured, key=lambda e: e[0]):
        rows.append([name, *_cells(usage, available.get(name))])
    reported = {name for name, _ in measured}
    rows.extend([name, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN] for name in available if name not in reported)
    return _table(rows)


def render_pods(metrics: list[dict[str, Any]], *, containers: bool, with_namespace: bool, no_headers: bool,
                sort_by: str, total: bool) -> str:
    """PodMetrics items, one row per pod (or per container), optionally with kubectl's --sum footer."""
    if not metrics:
        return ""
    rows: list[list[str]] = []
    width = len(POD_COLUMNS)
    if not no_headers:
        # kubectl widens the footer for these columns only when it prints the header (its quirk, kept).
        width += with_namespace + containers
        rows.append((["NAMESPACE"] if with_namespace else []) + (["POD"] if containers else []) + POD_COLUMNS)
    pods = [(m, _pod_usage(m)) for m in metrics]
    if sort_by:
        pods = _largest_first(pods, sort_by)
    else:
        pods.sort(key=lambda p: ((p[0]["metadata"].get("namespace", "") if with_namespace else ""),
                                 p[0]["metadata"]["name"]))
    for pod, usage in pods:
        meta = pod["metadata"]
        prefix = [meta.get("namespace", "")] if with_namespace else []
        if not containers:
            rows.append([*prefix, meta["name"], *_cells(usage, None)])
            continue
        each = [(c["name"], Usage.of(c.get("usage"))) for c in pod.get("containers") or []]
        for name, container_usage in _largest_first(each, sort_by) if sort_by else sorted(each, key=lambda e: e[0]):
            rows.append([*prefix, meta["name"], name, *_cells(container_usage, None)])
    if total:
        grand = sum((usage for _, usage in pods), Usage())
        rows.append([""] * (width - 2) + [SUM_RULE, SUM_RULE])
        rows.append([""] * (width - 3) + ["", *_cells(grand, None)])
    return _table(rows)


def _pod_usage(pod: dict[str, Any]) -> Usage:
    return sum((Usage.of(c.get("usage")) for c in pod.get("containers") or []), Usage())


def _largest_first(entries: Iterable[tuple[Any, Usage]], sort_by: str) -> list[tuple[Any, Usage]]:
    """By "cpu" or "memory", largest first; ties keep the server's order, as kubectl's sort of a short list does."""
    if sort_by == "cpu":
        return sorted(entries, key=lambda e: -e[1].cpu_millis)
    return sorted(entries, key=lambda e: -e[1].memory_bytes)


def _cells(usage: Usage, available: dict[str, Any] | None) -> list[str]:
    cells = [f"{usage.cpu_millis}m"]
    if available is not None and "cpu" in available:
        cells.append(_percent(usage.cpu_millis, milli_value(available["cpu"])))
    cells.append(f"{usage.memory_bytes // MEBIBYTE}Mi")
    if available is not None and "memory" in available:
        cells.append(_percent(usage.memory_millis, milli_value(available["memory"])))
    return cells


def _percent(used_millis: int, available_millis: int) -> str:
    fraction = float(used_millis) / float(available_millis) * 100 if available_millis else 0.0
    return f"{int(fraction)}%"


def _table(rows: list[list[str]]) -> str:
    return align([row + [""] for row in rows], padding=PADDING, min_width=MIN_WIDTH)
