"""What Linux's /proc says about a process: its memory now and at its peak, and the CPU it has used."""

from __future__ import annotations

import os

MIB = 1024 * 1024


def memory_bytes(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (the peak resident, the "high water mark"), in bytes."""
    found = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) * 1024  # the kernel reports kB, meaning KiB
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        # The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5), counted from 1
    return (utime + stime) / os.sysconf("SC_CLK_TCK")
