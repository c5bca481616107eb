"""Docker's container stats JSON -> `ContainerStats`: the arithmetic `docker stats` and the kubelet do.

`GET /containers/{id}/stats?stream=false` answers with two samples the engine
took about a second apart: `precpu_stats` at `preread` and `cpu_stats` at `read`.

    cpu   usageNanoCores  = (cpu_stats.total_usage - precpu_stats.total_usage)   CPU nanoseconds used
                            / (read - preread)                                   wall nanoseconds passed
                            * 1e9                                                 -> billionths of a core
    memory workingSetBytes = usage - inactive_file   (cgroup v2; total_inactive_file on cgroup v1)

The working set leaves out file cache the kernel can drop at once: it is what
the OOM killer weighs, so it is what Kubernetes calls a container's memory.
Pure functions of the JSON, no engine: tests feed them recorded samples.
"""

from __future__ import annotations

import calendar
import re
import time
from typing import Any

from kubelet.runtime.protocol import ContainerStats

NANOS_PER_SECOND = 1_000_000_000
# What the engine sends for a sample it never took (a stopped container's `read`).
_ZERO_TIME = "0001-01-01T00:00:00Z"
_RFC3339 = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)")


def container_stats(raw: dict[str, Any]) -> ContainerStats | None:
    """The sample in `raw`; None when the engine took none (the container is not running)."""
    read = raw.get("read") or _ZERO_TIME
    memory = raw.get("memory_stats") or {}
    if read == _ZERO_TIME or "usage" not in memory:
        return None
    cpu = raw.get("cpu_stats") or {}
    return ContainerStats(
        timestamp=rfc3339_nano(parse_rfc3339_nanos(read)),
        cpu_usage_nano_cores=cpu_nano_cores(raw),
        cpu_usage_core_nano_seconds=int((cpu.get("cpu_usage") or {}).get("total_usage") or 0),
        memory_usage_bytes=int(memory["usage"]),
        memory_working_set_bytes=working_set_bytes(memory),
    )


def cpu_nano_cores(raw: dict[str, Any]) -> int:
    """CPU time used between the two samples over the wall time between them, in billionths of a core.

    0 when there is no earlier sample, or when the counter went backwards (the
    container restarted in between): no rate can be told from one point.
    """
    preread = raw.get("preread") or _ZERO_TIME
    if preread == _ZERO_TIME:
        return 0
    used = _total_usage(raw.get("cpu_stats")) - _total_usage(raw.get("precpu_stats"))
    elapsed = parse_rfc3339_nanos(raw["read"]) - parse_rfc3339_nanos(preread)
    if used <= 0 or elapsed <= 0:
        return 0
    return used * NANOS_PER_SECOND // elapsed


def working_set_bytes(memory_stats: dict[str, Any]) -> int:
    """Usage minus the inactive file cache, never below zero (as `docker stats` and cAdvisor)."""
    usage = int(memory_stats.get("usage") or 0)
    counters = memory_stats.get("stats") or {}
    # cgroup v1 names it total_inactive_file (the hierarchy's total), cgroup v2 inactive_file.
    inactive = counters.get("total_inactive_file", counters.get("inactive_file", 0))
    return max(0, usage - int(inactive))


def parse_rfc3339_nanos(text: str) -> int:
    """`2024-05-01T10:00:00.123456789Z` as nanoseconds since the epoch (datetime keeps only micros)."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    whole, fraction, zone = match.groups()
    seconds = calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S"))
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        seconds -= sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    nanos = int((fraction or "0")[:9].ljust(9, "0"))
    return seconds * NANOS_PER_SECOND + nanos


def rfc3339_nano(nanos: int) -> str:
    seconds, fraction = divmod(nanos, NANOS_PER_SECOND)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def _total_usage(cpu_stats: dict[str, Any] | None) -> int:
    return int(((cpu_stats or {}).get("cpu_usage") or {}).get("total_usage") or 0)
