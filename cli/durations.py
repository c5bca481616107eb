"""Go's time.ParseDuration, which kubectl uses for flags such as `logs --since=1h30m`."""

from __future__ import annotations

import re

from cli.errors import CommandError

_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TERM = re.compile(r"(\d*\.?\d*)([^\d.]*)")


def parse_duration(text: str) -> float:
    """`300ms`, `5m`, `1h30m`, `-1.5h` -> seconds; Go's error wording for anything else."""
    rest = text
    sign = 1.0
    if rest[:1] in "+-" and rest:
        sign, rest = (-1.0 if rest[0] == "-" else 1.0), rest[1:]
    if rest == "0":
        return 0.0
    if not rest:
        raise CommandError(f'time: invalid duration "{text}"')
    total = 0.0
    while rest:
        match = _TERM.match(rest)
        number, unit = match.group(1), match.group(2)
        if number in ("", "."):
            raise CommandError(f'time: invalid duration "{text}"')
        if not unit:
            raise CommandError(f'time: missing unit in duration "{text}"')
        if unit not in _UNIT_SECONDS:
            raise CommandError(f'time: unknown unit "{unit}" in duration "{text}"')
        total += float(number) * _UNIT_SECONDS[unit]
        rest = rest[match.end():]
    return sign * total


def round_to_seconds(seconds: float) -> int:
    """Go's Duration.Round(time.Second): halves round away from zero."""
    whole = int(abs(seconds) + 0.5)
    return -whole if seconds < 0 else whole


def format_duration(seconds: float) -> str:
    """Go's Duration.String for a duration of a second or more: `2m3.5s`, `1h0m0.25s`."""
    nanos = round(abs(seconds) * 1e9)
    hours, nanos = divmod(nanos, 3600 * 10**9)
    minutes, nanos = divmod(nanos, 60 * 10**9)
    whole, fraction = divmod(nanos, 10**9)
    text = f"{whole}.{fraction:09d}".rstrip("0").rstrip(".") + "s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return ("-" if seconds < 0 else "") + text
