"""The page of one why answer: the state in one line, then each part the server sent, in the order
a reader asks about them (where would it go, where did it go, what is it doing, who acts next).

    pod/web-1 is CrashLoopBackOff: container app exited with code 1; restarts in 8.2 s
    Namespace:   default
    Answered:    12:00:05.120
    Next:        in 8.2 s: container app restarts (kubelet/node-1)
    Scheduling:  ...            the scheduler       (cli/why/scheduling.py)
    Placement:   ...
    Kubelet:     node-1         the pod's kubelet   (cli/why/containers.py)
    Containers:  ...
    Node Health: ...            the controllers     (cli/why/workloads.py)
    Service:     ...            the endpoint controllers (cli/why/services.py)

Written with describe's Page, so it aligns as `tkctl describe` does.
"""

from __future__ import annotations

from collections.abc import Callable

from cli.describers.page import Page
from cli.why.containers import add_kubelet
from cli.why.countdowns import Clock
from cli.why.scheduling import add_placement, add_scheduling
from cli.why.services import add_service
from cli.why.times import clock_time
from cli.why.workloads import add_daemon_set, add_node_health, add_replica_set, add_rollout
from objects.why import Why


def render_why(why: Why, clock: Clock) -> str:
    answered = why.generated_at
    page = Page()
    page.line(headline(why))
    if why.subject.namespace:
        page.field("Namespace", why.subject.namespace)
    page.field("Answered", clock_time(answered))
    soonest = next((c for c in why.countdowns if (clock.seconds_left(c) or 0) > 0), None)
    if soonest is not None:
        page.field("Next", clock.line(soonest))
    for section in _sections(why, clock):
        page.line("")  # a blank line between sections: each aligns on its own, and the eye finds it
        section(page)
    # an empty last cell (a taint with no time) would leave the padding of the cells before it
    return "".join(line.rstrip() + "\n" for line in page.render().splitlines())


def headline(why: Why) -> str:
    """`pod/web-1 is Pending: 0/3 nodes are available: 3 Insufficient cpu.`"""
    text = f"{why.subject.kind.lower()}/{why.subject.name} is {why.state}"
    return f"{text}: {why.summary}" if why.summary else text


def _sections(why: Why, clock: Clock) -> list[Callable[[Page], None]]:
    """The parts the answer holds, each as a function that adds its section to the page."""
    answered = why.generated_at
    sections: list[Callable[[Page], None]] = []
    if why.scheduling is not None:
        sections.append(lambda page: add_scheduling(page, why.scheduling, answered_at=answered))
    if why.placement is not None:
        sections.append(lambda page: add_placement(page, why.placement))
    if why.kubelet_error:
        sections.append(lambda page: page.field("Kubelet", f"did not answer: {why.kubelet_error}"))
    if why.kubelet is not None:
        sections.append(lambda page: add_kubelet(page, why.kubelet, clock, answered_at=answered))
    if why.node_health is not None:
        sections.append(lambda page: add_node_health(page, why.node_health, clock, answered_at=answered))
    if why.rollout is not None:
        sections.append(lambda page: add_rollout(page, why.rollout, clock))
    if why.replica_set is not None:
        sections.append(lambda page: add_replica_set(page, why.replica_set))
    if why.daemon_set is not None:
        sections.append(lambda page: add_daemon_set(page, why.daemon_set))
    if why.service is not None:
        sections.append(lambda page: add_service(page, why.service))
    return sections
