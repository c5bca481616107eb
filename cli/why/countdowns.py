"""Seconds left on the published timers, as the answer gave them.

A countdown is the moment its owner's timer fires (`at`) and, filled in by the
API server when it answered, `secondsLeft`. tkctl never derives one from an
assumed constant: it shows `secondsLeft`, and under `-w`, between two answers,
it ticks that number down by the time elapsed on the local monotonic clock
since the answer came. That is the owner's own timer still, and unlike
comparing `at` with the local wall clock, it is immune to a skewed clock.

A countdown the server left without `secondsLeft` inside a section is matched
with the same timer in `Why.countdowns`, where the server lists every one.
"""

from __future__ import annotations

import re

from cli.describers.page import Page
from objects.why import Countdown, Why

DUE = "now"


class Clock:
    """The seconds left on each countdown of one answer, `elapsed` seconds after it came."""

    def __init__(self, why: Why, *, elapsed: float = 0.0):
        self._elapsed = max(0.0, elapsed)
        self._answered = {_key(c): c.seconds_left for c in why.countdowns if c.seconds_left is not None}
        self._countdowns = why.countdowns

    def seconds_left(self, countdown: Countdown) -> float | None:
        left = countdown.seconds_left if countdown.seconds_left is not None else self._answered.get(_key(countdown))
        return None if left is None else max(0.0, left - self._elapsed)

    def text(self, countdown: Countdown) -> str:
        """`in 12.3 s`, `now` once due, or the moment itself when the answer gave no seconds."""
        left = self.seconds_left(countdown)
        if left is None:
            return f"at {countdown.at}"
        return in_seconds(left)

    def line(self, countdown: Countdown) -> str:
        """`in 12.3 s: container app restarts (kubelet/node-1)`."""
        return f"{self.text(countdown)}: {countdown.message} ({countdown.owner})"

    @property
    def running(self) -> bool:
        """Whether any timer is still counting, so a watching page has something to tick."""
        return any((self.seconds_left(c) or 0.0) > 0 for c in self._countdowns)

    @property
    def next_due(self) -> float | None:
        """Seconds until the soonest timer fires: its owner acts then, and the answer changes."""
        running = [left for c in self._countdowns if (left := self.seconds_left(c)) is not None and left > 0]
        return min(running, default=None)


def in_seconds(seconds: float) -> str:
    return DUE if seconds <= 0 else f"in {seconds:.1f} s"


def label(countdown: Countdown) -> str:
    """A countdown's name as a page label: NextRestart -> Next Restart."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", countdown.name)


def _key(countdown: Countdown) -> tuple[str, str, str, str]:
    return countdown.name, countdown.at, countdown.owner, countdown.message


def add_countdowns(page: Page, countdowns: list[Countdown], clock: Clock, *, level: int) -> None:
    """`Next Restart:  in 8.2 s: container app restarts (kubelet/node-1)`, one line per timer."""
    for countdown in countdowns:
        page.field(label(countdown), clock.line(countdown), level=level)
