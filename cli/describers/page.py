"""A describe page: indented `Label:  value` lines aligned the way kubectl's describe aligns them.

kubectl writes describe output through a tabwriter with two spaces of padding
and two spaces of indent per level; blocks of consecutive lines align
together (see cli/tabwriter.py). Page keeps that shape so the describers read
as a list of fields.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from cli.tabwriter import align
from cli.three_way import LAST_APPLIED

DESCRIBE_PADDING = 2
NONE = "<none>"
UNKNOWN = "<unknown>"


class Page:
    def __init__(self) -> None:
        self._lines: list[list[str]] = []

    def field(self, label: str, value: Any, *, level: int = 0) -> None:
        """`Label:  value` (an empty value still aligns, as `IP:` does for a pod without one)."""
        self._lines.append([f"{_indent(level)}{label}:", _text(value)])

    def heading(self, label: str, *, level: int = 0) -> None:
        """`Label:` alone on its line, introducing the indented lines after it."""
        self._lines.append([f"{_indent(level)}{label}:"])

    def line(self, text: str, *, level: int = 0) -> None:
        self._lines.append([f"{_indent(level)}{text}"])

    def row(self, cells: list[str], *, level: int = 0) -> None:
        """One line of an aligned table, such as an event."""
        self._lines.append([f"{_indent(level)}{cells[0]}", *cells[1:]])

    def table(self, header: list[str], rows: list[list[str]], *, underline: bool | list[str] = False,
              level: int = 1) -> None:
        """A header, optionally a `----` underline (given, or as long as each name), and the rows."""
        self.row(header, level=level)
        if underline:
            dashes = underline if isinstance(underline, list) else ["-" * len(name) for name in header]
            self.row(dashes, level=level)
        for cells in rows:
            self.row(cells, level=level)

    def multiline(self, label: str, entries: list[str], *, level: int = 0) -> None:
        """`Labels:  a=1` and then `b=2` under it, or `<none>`."""
        if not entries:
            self.field(label, NONE, level=level)
            return
        self.field(label, entries[0], level=level)
        for entry in entries[1:]:
            self._lines.append([_indent(level), entry])

    def render(self) -> str:
        return align(self._lines, padding=DESCRIBE_PADDING)


def _indent(level: int) -> str:
    return "  " * level


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def label_entries(labels: dict[str, str] | None) -> list[str]:
    return [f"{key}={value}" for key, value in sorted((labels or {}).items())]


def annotation_entries(annotations: dict[str, str] | None) -> list[str]:
    """Annotations as describe shows them: sorted, without apply's bookkeeping annotation."""
    return [f"{key}: {value}" for key, value in sorted((annotations or {}).items()) if key != LAST_APPLIED]


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def timestamp(value: str | None) -> str:
    """RFC 1123 with a numeric zone, as kubectl prints times: `Fri, 27 Nov 2026 03:32:06 +0000`."""
    moment = parse_time(value)
    return moment.strftime("%a, %d %b %Y %H:%M:%S %z") if moment else NONE


def seconds_since(value: str | None) -> float:
    moment = parse_time(value)
    return (datetime.now(timezone.utc) - moment).total_seconds() if moment else 0.0


def age(value: str | None, *, now: datetime | None = None) -> str:
    moment = parse_time(value)
    if moment is None:
        return NONE
    return human_duration(((now or datetime.now(timezone.utc)) - moment).total_seconds())


def human_duration(seconds: float) -> str:
    """apimachinery's duration.HumanDuration: `59s`, `3m20s`, `2h5m`, `3d4h`."""
    whole = int(seconds)
    if whole < -1:
        return "<invalid>"
    if whole < 0:
        return "0s"
    if whole < 120:
        return f"{whole}s"
    minutes = whole // 60
    if minutes < 10:
        return f"{minutes}m{whole % 60}s" if whole % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = whole // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def add_events(page: Page, events: list[dict[str, Any]] | None) -> None:
    """The Events section, as kubectl's DescribeEvents writes it.

    Sorted by lastTimestamp alone (a stable sort keeps the server's order among
    equals); Age is the first sighting, or `4m (x3 over 10m)` for a repeated event.
    """
    if not events:
        page.field("Events", NONE)
        return
    page.heading("Events")
    rows = []
    for event in sorted(events, key=lambda e: e.get("lastTimestamp") or ""):
        rows.append([event.get("type") or "", event.get("reason") or "", _interval(event),
                     _source(event), (event.get("message") or "").strip()])
    page.table(["Type", "Reason", "Age", "From", "Message"], rows,
               underline=["----", "------", "----", "----", "-------"])  # kubectl's Age underline is 4 long


def _interval(event: dict[str, Any]) -> str:
    first = _since(event.get("eventTime") or event.get("firstTimestamp"))
    series = event.get("series")
    if series:
        return f"{_since(series.get('lastObservedTime'))} (x{series.get('count', 0)} over {first})"
    if (event.get("count") or 0) > 1:
        return f"{_since(event.get('lastTimestamp'))} (x{event['count']} over {first})"
    return first


def _since(value: str | None) -> str:
    return age(value) if parse_time(value) else UNKNOWN


def _source(event: dict[str, Any]) -> str:
    """The reporting component alone: kubectl no longer appends the host (`kubelet, node-1`)."""
    return (event.get("source") or {}).get("component") or event.get("reportingComponent") or ""
