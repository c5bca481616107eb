"""Countdowns in an answer: each as its owner published it (`at`), with the seconds left as of now.

The owner publishes the moment its timer fires; only the seconds left depend on
when someone asks, so the API server fills them in as it answers, and lists
every countdown of every section once more at the top, soonest first.
"""

from __future__ import annotations

import time

from objects.why import Countdown, Why, epoch_of


def fill_countdowns(why: Why, *, now: float | None = None) -> None:
    moment = time.time() if now is None else now
    found: list[Countdown] = []
    for countdown in _every_countdown(why):
        try:
            countdown.seconds_left = round(max(0.0, epoch_of(countdown.at) - moment), 3)
        except ValueError:  # a malformed time from a component: shown as published, without a count
            countdown.seconds_left = None
        found.append(countdown)
    why.countdowns = sorted(found, key=lambda c: (c.seconds_left is None, c.seconds_left or 0.0))


def _every_countdown(why: Why) -> list[Countdown]:
    found: list[Countdown] = []
    if why.kubelet is not None:
        for container in why.kubelet.containers:
            found += container.countdowns
        if why.kubelet.termination is not None:
            found += why.kubelet.termination.countdowns
    if why.node_health is not None:
        found += why.node_health.countdowns
        for pod in why.node_health.pods:
            found += pod.countdowns
    if why.rollout is not None:
        found += why.rollout.countdowns
    return found


def seconds_left(countdowns: list[Countdown], name: str) -> float | None:
    """The seconds left on the first countdown called `name`, or None when there is none."""
    return next((c.seconds_left for c in countdowns if c.name == name), None)
