"""Times and durations on a why page, read against the answer's own time, not the local clock.

    duration(30.0)                          -> "30 s"
    clock_time("2026-12-05T12:00:01.234Z")  -> "12:00:01.234"
    moment(at, answer)                      -> "12:00:01.234 (4.2 s before the answer)"
"""

from __future__ import annotations

from objects.meta import parse_time

NEVER = "<none>"


def duration(seconds: float | None) -> str:
    """Real seconds (already scaled by --time-scale), as short as they are precise."""
    return NEVER if seconds is None else f"{seconds:g} s"


def clock_time(at: str | None) -> str:
    """The UTC time of day with milliseconds: the answers are about the last seconds and minutes."""
    stamp = parse_time(at)
    if stamp is None:
        return at or NEVER
    return stamp.strftime("%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}"


def moment(at: str | None, answered_at: str) -> str:
    """When something happened, and how long before the server answered (so no clocks are compared)."""
    stamp, answered = parse_time(at), parse_time(answered_at)
    if stamp is None or answered is None:
        return clock_time(at)
    before = (answered - stamp).total_seconds()
    if before < 0:
        return f"{clock_time(at)} ({-before:.1f} s after the answer)"
    return f"{clock_time(at)} ({before:.1f} s before the answer)"
